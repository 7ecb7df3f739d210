/**
 * Check mode's memory of each host. Nothing is applied in check mode, so the engine keeps, per
 * host, what the planned changes would make (src/predict/): each task's facts are read through
 * it, so a file planned into a folder an earlier task creates plans as a write, a unit a package
 * ships can be enabled, a crontab can be edited once cron is installed. What cannot be known
 * before the real run (a task that needs the outcome of such a change, a command's output)
 * makes the task `unknown`, with the reason, never skipped and never a guess.
 */
import { randomBytes } from 'node:crypto';
import { isBosunError } from '../errors.js';
import { CHECK_WORKSPACE_PREFIX, workspaceCleanupScript } from '../facts/deb-contents.js';
import type { ModuleDefinition, Plan, PredictContext } from '../modules/types.js';
import type { Effect, TaskRef, UnknownReason } from '../predict/effects.js';
import { Overlay } from '../predict/overlay.js';
import { PredictedState } from '../predict/state.js';
import type { ExecOptions, ExecResult, Transport } from '../transport/types.js';
import { execOptions, type ModuleInvocation, type ModuleRun } from './module-run.js';

/** What one host's check run has predicted so far. */
export class HostPrediction {
  readonly state = new PredictedState();
  /** Variables registered or set by tasks whose outcome is not known, and why. */
  private readonly unknownVars = new Map<string, UnknownReason>();
  /** How a predict script used the run's workspace on this host (removed the same way at the end). */
  workspaceUser: ExecOptions | undefined;

  markVariable(name: string, reason: UnknownReason): void {
    this.unknownVars.set(name, reason);
  }

  clearVariable(name: string): void {
    this.unknownVars.delete(name);
  }

  /** The first of `names` whose value is not known, with why. */
  unknownVariable(names: Iterable<string>): { name: string; reason: UnknownReason } | undefined {
    for (const name of names) {
      const reason = this.unknownVars.get(name);
      if (reason) return { name, reason };
    }
    return undefined;
  }
}

/** The predictions of one run, by host, and the memory-only folder they may use on hosts. */
export class Predictions {
  private readonly hosts = new Map<string, HostPrediction>();
  readonly workspace = `${CHECK_WORKSPACE_PREFIX}${randomBytes(6).toString('hex')}`;

  host(name: string): HostPrediction {
    let host = this.hosts.get(name);
    if (!host) {
      host = new HostPrediction();
      this.hosts.set(name, host);
    }
    return host;
  }

  /** Remove the workspace from every host that used it; failures are ignored (a sweep catches them). */
  async clean(transportFor: (host: string) => Transport): Promise<void> {
    await Promise.all(
      [...this.hosts.entries()].map(async ([name, host]) => {
        if (!host.workspaceUser) return;
        const { sudo, user } = host.workspaceUser;
        try {
          await transportFor(name).exec(
            workspaceCleanupScript(this.workspace),
            user === undefined ? { sudo } : { sudo, user },
          );
        } catch {
          // The host went away: its workspace is swept by the next check run after a day.
        }
      }),
    );
  }
}

/** What a check-mode module run needs to know of the run. */
export interface ModulePrediction {
  host: HostPrediction;
  task: TaskRef;
  workspace: string;
}

/** The effects a changed plan leaves when its module does not say: what it reads becomes unknown. */
function undescribedEffects(module: ModuleDefinition, args: unknown, plan: Plan): Effect[] {
  if (plan.changed && plan.effects) return plan.effects;
  const why = `the ${module.name} module does not say what it changes`;
  const reads = module.reads?.(args);
  if (reads) return reads.map((path): Effect => ({ kind: 'path', path, after: { type: 'unknown' }, why }));
  return [{ kind: 'opaque', scope: 'missing-paths', why }];
}

/** Whether the run changes what a module without an overlay reads. */
function touchedReads(
  module: ModuleDefinition,
  args: unknown,
  state: PredictedState,
): UnknownReason | undefined {
  if (module.overlay || !module.gather || state.isEmpty()) return undefined;
  const reads = module.reads?.(args);
  if (!reads) {
    return { why: `the ${module.name} module cannot plan against the changes planned before it` };
  }
  for (const path of reads) {
    const source = state.touches(path);
    if (source) return { by: source.by, why: source.why ?? `it changes ${path}` };
  }
  return undefined;
}

/**
 * Check mode: gather, read the facts through the host's predictions, plan, learn what the plan
 * would make (the module's predict script) and remember it for the next tasks. Never runs a
 * step. A 'run' module whose command would run is reported changed, not run.
 */
export async function predictModule(invocation: ModuleInvocation, args: unknown): Promise<ModuleRun> {
  const { module, ctx } = invocation;
  const prediction: ModulePrediction = invocation.prediction ?? {
    host: new HostPrediction(),
    task: { task: module.name, id: '' },
    workspace: `${CHECK_WORKSPACE_PREFIX}unused`,
  };
  const { host, task } = prediction;
  const state = host.state;
  const touched = touchedReads(module, args, state);
  if (touched) return { kind: 'unknown', reason: touched };

  const options = execOptions(invocation);
  const script = module.gather?.(args, ctx);
  let facts: unknown;
  if (script !== undefined) {
    const gathered: ExecResult = await invocation.transport().exec(script, options);
    facts = module.parse ? module.parse(gathered, args, ctx) : gathered;
  }
  const overlay = new Overlay(state);
  if (module.overlay && facts !== undefined) facts = module.overlay(facts, overlay, args, ctx);
  let plan: Plan;
  try {
    plan = module.plan(args, facts, ctx);
  } catch (error) {
    // Planned from facts that are not known: the failure may be theirs, not the task's.
    if (!overlay.known && isBosunError(error, 'BOSUN_MODULE_FAILED')) {
      return { kind: 'unknown', reason: overlay.unknowns[0] as UnknownReason };
    }
    throw error;
  }
  if (!overlay.known) {
    const reason = overlay.unknowns[0] as UnknownReason;
    if (plan.changed)
      state.taint(undescribedEffects(module, args, plan), task, `it needs what "${task.task}" would do`);
    return { kind: 'unknown', reason, detail: plan.changed ? plan.summary : plan.reason };
  }
  if (!plan.changed) {
    return { kind: 'done', outcome: { changed: false, result: { ...plan.result } }, detail: plan.reason };
  }

  let effects = undescribedEffects(module, args, plan);
  let unknown: UnknownReason | undefined;
  const predictContext: PredictContext = { ...ctx, workspace: prediction.workspace, overlay };
  const predictScript = module.predict?.script(args, facts, plan, predictContext);
  if (module.predict && predictScript !== undefined) {
    host.workspaceUser = options;
    const output = await invocation.transport().exec(predictScript, options);
    const predicted = module.predict.parse(output, args, facts, plan, predictContext);
    effects = predicted.effects;
    if (predicted.unknown !== undefined) unknown = { why: predicted.unknown };
  }
  state.apply(effects, task);
  if (unknown) return { kind: 'unknown', reason: unknown, detail: plan.summary };
  const run: ModuleRun = {
    kind: 'done',
    outcome: { changed: true, result: { ...plan.result } },
    detail: plan.summary,
  };
  if (module.kind === 'run') run.notRun = true;
  if (plan.diffs) run.diffs = plan.diffs;
  return run;
}
