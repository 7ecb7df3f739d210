/**
 * sysctl: a kernel parameter set in a persistent file (/etc/sysctl.d/99-bosun.conf by default)
 * and, when it can be, in the running kernel. A container shares the host's kernel: there only
 * keys of its own network, IPC or UTS namespace are its own, and /proc/sys is usually read-only.
 * Then the live value is reported as not applicable with a notice while the file is still
 * written, so the same task converges a VM and a container.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  canonicalKey,
  normalizeValue,
  parseSysctl,
  procPath,
  SYSCTL_FILE_LIMIT,
  type SysctlFacts,
  sysctlScript,
} from '../facts/sysctl.js';
import { overlayPathState } from '../predict/paths.js';
import { sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { firstLine, moduleFailure } from './failure.js';
import { fileKey, finishWrite, planWrite } from './file-write.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  Diff,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
  Step,
} from './types.js';
import { withWriteEffects } from './write-effects.js';

export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/99-bosun.conf';

export const SysctlArgs = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description: 'The key, dotted ("net.ipv4.ip_forward") or as a path ("net/ipv4/ip_forward").',
    }),
    value: Type.Optional(
      Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
        description:
          'The value (required with state: present). Runs of spaces compare as one ("32768 60999"); yes/true/on mean 1 and no/false/off mean 0.',
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description:
          'present: the key is set in sysctl_file. absent: its lines are removed (the live value is left as it is).',
      }),
    ),
    sysctl_file: Type.Optional(
      Type.String({
        minLength: 1,
        default: DEFAULT_SYSCTL_FILE,
        description: 'The persistent file holding the key (its folder must exist).',
      }),
    ),
    reload: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'When the file changes, also set the value in the running kernel (only when it differs there).',
      }),
    ),
    sysctl_set: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Check the running kernel even when the file is already right, and set the value there when it differs.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SysctlArgs = Static<typeof SysctlArgs>;

/** Keys a container owns through its namespaces; every other key belongs to the host's kernel. */
const IPC_KEYS = new Set([
  'kernel.shmmax',
  'kernel.shmall',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
  'kernel.shm_next_id',
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.msg_next_id',
  'kernel.sem',
  'kernel.sem_next_id',
  'kernel.auto_msgmni',
]);
const UTS_KEYS = new Set(['kernel.hostname', 'kernel.domainname']);

export function namespaceOf(key: string): 'net' | 'ipc' | 'uts' | undefined {
  const name = canonicalKey(key);
  if (name.startsWith('net.')) return 'net';
  if (IPC_KEYS.has(name) || name.startsWith('fs.mqueue.')) return 'ipc';
  if (UTS_KEYS.has(name)) return 'uts';
  return undefined;
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:@+/-]*$/;

export function checkSysctlArgs(args: SysctlArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (!isTemplated(args.name)) {
    // Checked as the path it becomes: no component may be empty or climb out of /proc/sys.
    const parts = procPath(args.name).slice('/proc/sys/'.length).split('/');
    if (!KEY.test(args.name) || parts.some((part) => part === '' || part === '..' || part === '.')) {
      issues.push({ key: 'name', message: `"${args.name}" is not a sysctl key (like net.ipv4.ip_forward)` });
    }
  }
  if ((args.state ?? 'present') === 'present' && args.value === undefined) {
    issues.push({ key: 'value', message: 'value is required with state: present' });
  }
  if (typeof args.value === 'string' && /[\r\n]/.test(args.value)) {
    issues.push({ key: 'value', message: 'value must be one line' });
  }
  if (args.state === 'absent' && args.sysctl_set === true) {
    issues.push({
      key: 'sysctl_set',
      message: 'sysctl_set needs state: present (absent leaves the live value)',
    });
  }
  return issues;
}

/** The value as the kernel shows it; booleans and their usual spellings are 1 and 0 (as Ansible). */
export function sysctlValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  const text = String(value);
  if (/^(yes|true|on)$/i.test(text)) return '1';
  if (/^(no|false|off)$/i.test(text)) return '0';
  return normalizeValue(text);
}

const ACTIVE_LINE = /^\s*-?\s*([^=#;\s][^=]*?)\s*=\s*(.*?)\s*$/;

/** The file's text with the key set (or removed); unchanged text when it already is. */
export function editSysctlFile(text: string, name: string, value: string | undefined): string {
  const key = canonicalKey(name);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const matches: number[] = [];
  lines.forEach((line, index) => {
    const match = ACTIVE_LINE.exec(line);
    if (match && canonicalKey((match[1] as string).trim()) === key) matches.push(index);
  });
  if (value === undefined) {
    if (matches.length === 0) return text;
    return joinLines(lines.filter((_, index) => !matches.includes(index)));
  }
  if (matches.length === 1) {
    const current = ACTIVE_LINE.exec(lines[matches[0] as number] as string)?.[2] ?? '';
    if (normalizeValue(current) === value) return text;
  }
  const wanted = `${name}=${value}`;
  if (matches.length === 0) return joinLines([...lines, wanted]);
  const first = matches[0] as number;
  return joinLines(
    lines.flatMap((line, index) => (index === first ? [wanted] : matches.includes(index) ? [] : [line])),
  );
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Why the running kernel's value is not this host's to set, or undefined when it is. */
export function liveNotApplicable(name: string, facts: SysctlFacts): string | undefined {
  const path = procPath(name);
  if (facts.container) {
    const ns = namespaceOf(name);
    if (ns === undefined) {
      return `${name} is not namespaced: in this container it is the host kernel's setting`;
    }
    if (
      (ns === 'net' && facts.initNet) ||
      (ns === 'ipc' && facts.initIpc) ||
      (ns === 'uts' && facts.initUts)
    ) {
      return `this container shares the host's ${ns} namespace, so ${name} is the host's setting`;
    }
    if (!facts.live.exists) return `${name} does not exist in this container (${path})`;
  }
  if (!facts.live.exists) return undefined;
  if (facts.live.value === undefined) return `${path} cannot be read here`;
  if (!facts.live.writable) return `${path} is not writable here (a read-only /proc/sys, as in containers)`;
  return undefined;
}

export function planSysctl(args: SysctlArgs, facts: SysctlFacts, ctx: ModuleContext): Plan {
  const file = args.sysctl_file ?? DEFAULT_SYSCTL_FILE;
  const present = (args.state ?? 'present') === 'present';
  const value = present && args.value !== undefined ? sysctlValue(args.value) : undefined;
  const result: Record<string, unknown> = {
    name: args.name,
    state: present ? 'present' : 'absent',
    sysctl_file: file,
  };
  if (value !== undefined) result.value = value;
  if (!facts.file.parentExists) {
    throw moduleFailure(`the folder of sysctl_file ${file} does not exist`, { path: file });
  }
  const stat = facts.file.stat;
  if (stat && stat.type !== 'file')
    throw moduleFailure(`sysctl_file ${file} is not a regular file`, { path: file });
  if (stat && facts.file.content === undefined) {
    throw moduleFailure(`sysctl_file ${file} is not a text file, or is larger than 1 MiB`, { path: file });
  }
  const before = facts.file.content ?? '';
  const after = editSysctlFile(before, args.name, value);
  const fileChanges = after !== before || (!stat && present);

  const steps: Step[] = [];
  const diffs: Diff[] = [];
  const warnings: string[] = [];
  let writePlan: Plan | undefined;
  if (fileChanges) {
    const bytes = Buffer.from(after);
    writePlan = withWriteEffects(planWrite({ path: file, facts: facts.file, bytes, args: {}, ctx, result }), {
      path: file,
      bytes,
      facts: facts.file,
    });
    if (writePlan.changed) {
      steps.push(...writePlan.steps);
      diffs.push(...(writePlan.diffs ?? []));
    }
  }

  if (value !== undefined) {
    if (!facts.live.exists && !facts.container) {
      throw moduleFailure(`${args.name} is not a kernel parameter of this host (no ${procPath(args.name)})`);
    }
    result.live_value = facts.live.value ?? null;
    const wantsLive = (writePlan?.changed === true && args.reload !== false) || args.sysctl_set === true;
    const reason = liveNotApplicable(args.name, facts);
    if (facts.live.value === value) {
      result.live = 'as asked';
    } else if (!wantsLive) {
      result.live = 'left as it is';
    } else if (reason !== undefined) {
      result.live = 'not applicable';
      warnings.push(`live value not applied: ${reason}; ${file} is written all the same`);
    } else {
      result.live = 'set';
      steps.push({
        command: sh`printf '%s\\n' ${value} > ${procPath(args.name)}`,
        description: `set ${args.name} to ${value} in the running kernel`,
      });
      diffs.push({
        before: { name: args.name, live_value: facts.live.value },
        after: { name: args.name, live_value: value },
      });
    }
  }
  if (warnings.length > 0) result.warnings = warnings;

  if (steps.length === 0) {
    const reason = present
      ? `${canonicalKey(args.name)} is ${value} in ${file}${result.live === 'as asked' ? ' and in the running kernel' : ''}`
      : `${canonicalKey(args.name)} is not in ${file}`;
    return { changed: false, reason, result };
  }
  const parts: string[] = [];
  if (writePlan?.changed)
    parts.push(
      present
        ? `${canonicalKey(args.name)}=${value} in ${file}`
        : `remove ${canonicalKey(args.name)} from ${file}`,
    );
  if (result.live === 'set') parts.push(`${canonicalKey(args.name)}=${value} live`);
  const effects = writePlan?.changed ? (writePlan.effects ?? []) : [];
  const plan: ChangePlan = { changed: true, summary: parts.join(', '), steps, result, effects };
  if (ctx.diff) plan.diffs = diffs;
  return plan;
}

export function finishSysctl(args: SysctlArgs, outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const file = args.sysctl_file ?? DEFAULT_SYSCTL_FILE;
  const result = { ...plan.result };
  const writes = plan.steps[0]?.stdin !== undefined;
  let outcome: ModuleOutcome = { changed: true, result };
  if (writes) {
    outcome = finishWrite(outputs.slice(0, 1), result, file);
    if (outcome.failed) return outcome;
  }
  const live = outputs[writes ? 1 : 0];
  if (live && live.code !== 0) {
    const msg = `cannot set ${args.name} in the running kernel: ${firstLine(live.stderr) || `exit code ${live.code}`}`;
    return { changed: writes, failed: true, msg, result: { ...outcome.result, msg } };
  }
  return outcome;
}

export const sysctlModule: ModuleDefinition<SysctlArgs, SysctlFacts> = {
  name: 'sysctl',
  description:
    'Set a kernel parameter persistently (a sysctl.d file) and in the running kernel when it can be.',
  schema: SysctlArgs,
  kind: 'plan',
  checkArgs: checkSysctlArgs,
  writeKey: (args) => fileKey(args.sysctl_file ?? DEFAULT_SYSCTL_FILE),
  gather: (args) => sysctlScript(args.name, args.sysctl_file ?? DEFAULT_SYSCTL_FILE),
  parse: (result, args) => parseSysctl(result, args.name, args.sysctl_file ?? DEFAULT_SYSCTL_FILE),
  overlay: (facts, overlay, args) => ({
    ...facts,
    file: overlayPathState(
      facts.file,
      { path: args.sysctl_file ?? DEFAULT_SYSCTL_FILE, contentLimit: SYSCTL_FILE_LIMIT },
      overlay,
    ),
  }),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'sysctl: planned without facts');
    return planSysctl(args, facts, ctx);
  },
  finish: (args, outputs, _ctx, plan) => finishSysctl(args, outputs, plan),
};
