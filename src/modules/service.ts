/**
 * service (alias systemd): a systemd unit started or stopped, enabled or disabled at boot,
 * masked or not, and systemd's view of unit files reloaded when they changed on disk. Like
 * Ansible, restarted and reloaded always act (and so always report a change). Only systemd
 * is supported: on a host whose PID 1 is something else the task fails and says so.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { parseSystemd, type SystemdFacts, systemdScript, type UnitStatus } from '../facts/systemd.js';
import type { UnitAfter } from '../predict/effects.js';
import { overlaySystemd } from '../predict/units.js';
import { type RawShell, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { firstLine, moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
  Step,
} from './types.js';

const State = Type.Union(
  [Type.Literal('started'), Type.Literal('stopped'), Type.Literal('restarted'), Type.Literal('reloaded')],
  {
    description:
      'started/stopped: only acts when needed. restarted: always restarts (starts a stopped unit). reloaded: always reloads a running unit, starts a stopped one.',
  },
);

export const ServiceArgs = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The unit ("nginx" means nginx.service; "tmp.mount", "getty@tty1.service"...).',
      }),
    ),
    state: Type.Optional(State),
    enabled: Type.Optional(
      Type.Boolean({
        description:
          'Start the unit at boot (systemctl enable/disable). Static, indirect and generated units cannot be changed and are left as they are.',
      }),
    ),
    daemon_reload: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Run systemctl daemon-reload first when unit files changed on disk (systemd reports them; a reload with nothing stale is no change). May be given without name.',
      }),
    ),
    masked: Type.Optional(
      Type.Boolean({
        description: 'Mask the unit (it can then not be started at all) or unmask it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ServiceArgs = Static<typeof ServiceArgs>;

/** systemd's unit name alphabet (systemd.unit(5)); anything else would be escaped by systemctl. */
const UNIT_NAME = /^[A-Za-z0-9:_@\\][A-Za-z0-9:_.@\\-]*$/;

/** Unit-file states `enable`/`disable` cannot change (no [Install] section, or made by generators). */
const FIXED = new Set(['static', 'indirect', 'generated', 'transient']);
const RUNNING = new Set(['active', 'activating', 'reloading', 'refreshing']);

export function checkServiceArgs(args: ServiceArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  const acts = args.state !== undefined || args.enabled !== undefined || args.masked !== undefined;
  if (!acts && args.daemon_reload !== true) {
    issues.push({ message: 'give at least one of state, enabled, masked or daemon_reload' });
  }
  if (acts && args.name === undefined) {
    issues.push({ key: 'name', message: 'name is required with state, enabled or masked' });
  }
  if (args.name !== undefined && !isTemplated(args.name) && !UNIT_NAME.test(args.name)) {
    issues.push({
      key: 'name',
      message: `"${args.name}" is not a unit name (letters, digits and : _ . @ \\ - only; see systemd-escape)`,
    });
  }
  if (args.masked === true && args.state !== undefined && args.state !== 'stopped') {
    issues.push({ key: 'state', message: `a masked unit cannot be ${args.state}` });
  }
  if (args.masked === true && args.enabled === true) {
    issues.push({ key: 'enabled', message: 'a masked unit cannot be enabled' });
  }
  return issues;
}

function systemctl(verb: string[], name: string): RawShell {
  return sh`systemctl ${verb} -- ${name}`;
}

function isMasked(unit: UnitStatus): boolean {
  return unit.unitFileState.startsWith('masked') || unit.loadState === 'masked';
}

/** The state a diff and the result show: what the unit is doing. */
function runState(unit: UnitStatus): 'started' | 'stopped' {
  return RUNNING.has(unit.activeState) ? 'started' : 'stopped';
}

export function planService(args: ServiceArgs, facts: SystemdFacts, ctx: ModuleContext): Plan {
  if (!facts.systemd) {
    throw moduleFailure(
      `systemd is not running this host (PID 1 is ${facts.pid1 ? `"${facts.pid1}"` : 'unknown'}): service manages systemd units only`,
      { pid1: facts.pid1 },
    );
  }
  const steps: Step[] = [];
  const actions: string[] = [];
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const result: Record<string, unknown> = {};
  const stale = facts.stale ?? [];
  if (args.daemon_reload === true) {
    if (stale.length > 0) {
      steps.push({ command: sh`systemctl daemon-reload`, description: 'systemctl daemon-reload' });
      actions.push('daemon-reload');
      before.units_changed_on_disk = stale;
      after.units_changed_on_disk = [];
    }
    result.daemon_reloaded = stale.length > 0;
  }

  if (args.name !== undefined) {
    const name = args.name;
    const unit = facts.unit;
    if (!unit) throw new BosunError('BOSUN_INTERNAL', 'service: planned without the unit state');
    before.name = after.name = unit.id;
    result.name = unit.id;
    result.status = {
      LoadState: unit.loadState,
      ActiveState: unit.activeState,
      SubState: unit.subState,
      UnitFileState: unit.unitFileState,
    };
    const add = (verb: string[], what: string) => {
      steps.push({ command: systemctl(verb, name), description: `systemctl ${verb.join(' ')} ${unit.id}` });
      actions.push(what);
    };

    const masked = isMasked(unit);
    let maskedAfter = masked;
    if (args.masked === true && unit.unitFileState !== 'masked') {
      add(['mask'], 'mask');
      maskedAfter = true;
    } else if (args.masked === false && masked) {
      add(unit.unitFileState === 'masked-runtime' ? ['unmask', '--runtime'] : ['unmask'], 'unmask');
      maskedAfter = false;
    }
    if (args.masked !== undefined && maskedAfter !== masked) {
      before.masked = masked;
      after.masked = maskedAfter;
    }
    result.masked = maskedAfter;

    if (unit.loadState === 'not-found' && (args.state !== undefined || args.enabled !== undefined)) {
      throw moduleFailure(`could not find the requested service ${unit.id}: no such unit`, { name });
    }

    if (args.enabled !== undefined) {
      const unmasked = masked && !maskedAfter;
      const fileState = unit.unitFileState;
      if (maskedAfter) {
        if (args.enabled)
          throw moduleFailure(`${unit.id} is masked: it cannot be enabled (set masked: false)`);
        // A masked unit is not started at boot: disabled is what was asked.
      } else if (unmasked) {
        // What the unit file says once unmasked is unknown: say it, the task changes anyway.
        add([args.enabled ? 'enable' : 'disable'], args.enabled ? 'enable' : 'disable');
        before.enabled = 'masked';
        after.enabled = args.enabled;
      } else if (FIXED.has(fileState)) {
        result.enabled_note = `${unit.id} is ${fileState}: enable/disable cannot change it`;
      } else if (args.enabled && fileState !== 'enabled' && fileState !== 'alias') {
        add(['enable'], 'enable');
        before.enabled = fileState || false;
        after.enabled = true;
      } else if (!args.enabled && (fileState === 'enabled' || fileState === 'enabled-runtime')) {
        add(fileState === 'enabled-runtime' ? ['disable', '--runtime'] : ['disable'], 'disable');
        before.enabled = fileState;
        after.enabled = false;
      }
      result.enabled = args.enabled;
    }

    const current = runState(unit);
    let next = current;
    if (args.state !== undefined) {
      if (maskedAfter && args.state !== 'stopped') {
        throw moduleFailure(`${unit.id} is masked: it cannot be ${args.state} (set masked: false)`);
      }
      if (args.state === 'started' && current === 'stopped') add(['start'], 'start');
      else if (args.state === 'stopped' && current === 'started') add(['stop'], 'stop');
      else if (args.state === 'restarted') add(['restart'], 'restart');
      else if (args.state === 'reloaded') {
        const verb = current === 'started' ? 'reload' : 'start';
        add([verb], verb);
      }
      next = args.state === 'stopped' ? 'stopped' : 'started';
      if (next !== current || args.state === 'restarted' || args.state === 'reloaded') {
        before.state = current;
        after.state = args.state === 'restarted' || args.state === 'reloaded' ? args.state : next;
      }
    }
    result.state = next;
  }

  if (steps.length === 0) {
    return { changed: false, reason: noChangeReason(args, facts), result };
  }
  const plan: ChangePlan = {
    changed: true,
    summary: `${actions.join(', ')}${facts.unit ? ` ${facts.unit.id}` : ''}`,
    steps,
    result,
    effects: facts.unit ? [{ kind: 'unit', name: facts.unit.id, after: unitAfter(actions) }] : [],
  };
  if (ctx.diff) plan.diffs = [{ before, after }];
  return plan;
}

/** What the systemctl actions leave. */
function unitAfter(actions: string[]): UnitAfter {
  const after: UnitAfter = {};
  for (const action of actions) {
    if (action === 'enable') after.unitFileState = 'enabled';
    else if (action === 'disable') after.unitFileState = 'disabled';
    else if (action === 'mask') after.unitFileState = 'masked';
    else if (action === 'unmask') after.unitFileState = after.unitFileState ?? null;
    else if (action === 'stop') after.active = false;
    else if (action !== 'daemon-reload') after.active = true;
  }
  return after;
}

function noChangeReason(args: ServiceArgs, facts: SystemdFacts): string {
  const unit = facts.unit;
  if (!unit) return 'no unit file changed on disk since the last daemon reload';
  const parts = [runState(unit) === 'started' ? 'running' : 'not running'];
  if (args.enabled !== undefined && !isMasked(unit)) parts.push(unit.unitFileState || 'no unit file state');
  if (isMasked(unit)) parts.push('masked');
  return `${unit.id} is ${parts.join(', ')}`;
}

export function finishService(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const index = outputs.findIndex((output) => output.code !== 0);
  if (index < 0) return { changed: true, result: { ...plan.result } };
  const output = outputs[index] as ExecResult;
  const step = plan.steps[index];
  const why = firstLine(output.stderr) || firstLine(output.stdout) || `exit code ${output.code}`;
  const msg = `${step?.description ?? 'systemctl'} failed: ${why}`;
  return {
    changed: index > 0,
    failed: true,
    msg,
    result: { ...plan.result, msg, rc: output.code, stdout: output.stdout, stderr: output.stderr },
  };
}

export const serviceModule: ModuleDefinition<ServiceArgs, SystemdFacts> = {
  name: 'service',
  aliases: ['systemd'],
  description: 'Start, stop, restart, reload, enable or mask a systemd unit; reload changed unit files.',
  schema: ServiceArgs,
  kind: 'plan',
  checkArgs: checkServiceArgs,
  gather: (args) => systemdScript(args.name, args.daemon_reload === true),
  parse: (result, args) => parseSystemd(result, args.name, args.daemon_reload === true),
  overlay: (facts, overlay, args) =>
    overlaySystemd(
      facts,
      args.name,
      { enabled: args.enabled !== undefined || args.masked !== undefined, active: args.state !== undefined },
      overlay,
    ),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'service: planned without facts');
    return planService(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishService(outputs, plan),
};
