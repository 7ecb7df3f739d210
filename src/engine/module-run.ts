/**
 * One module invocation on one host: what F's contract asks of the engine. Controller modules
 * run here; planning modules gather (one remote script), parse, plan, and, unless in check
 * mode, run the plan's steps in order, stopping at the first that fails. Check mode never runs
 * a step: the plan is the prediction, made against the changes planned before it
 * (prediction.ts); a command that would run is reported changed, not run.
 *
 * A write applies only to the state it was planned from: tasks of the run writing one file on
 * one host take turns (write-queue.ts), and a write the host refuses because the file changed
 * since the gather is planned again from a new gather.
 */
import { finishPlan } from '../modules/outcome.js';
import type {
  ChangePlan,
  Diff,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  NoChangePlan,
  Plan,
} from '../modules/types.js';
import type { UnknownReason } from '../predict/effects.js';
import type { ExecOptions, ExecResult, Transport } from '../transport/types.js';
import { isStaleWrite, STALE_WRITE } from '../transport/verified-write.js';
import type { Lookups } from '../vars/lookups.js';
import type { Secrets } from '../vars/secrets.js';
import { type ModulePrediction, predictModule } from './prediction.js';
import { writeQueue } from './write-queue.js';

/** Plans of a write refused because its file changed meanwhile, before the task fails. */
const WRITE_ATTEMPTS = 5;

export interface ModuleInvocation {
  module: ModuleDefinition;
  /** Rendered and checked. */
  args: Record<string, unknown>;
  ctx: ModuleContext;
  /** The transport of the host the module acts on (opened on first use: controller modules need none). */
  transport: () => Transport;
  sudo: boolean;
  becomeUser?: string | undefined;
  env?: Record<string, string> | undefined;
  /** Effective check mode for this task. */
  check: boolean;
  /** Check mode: the host's predictions and the task they are made for. */
  prediction?: ModulePrediction;
  /** The run's secrets, which the values of a step's `secrets` join. */
  secrets?: Secrets;
  /** The run's secret lookups, fetched when a render needs one. */
  lookups?: Lookups;
}

export type ModuleRun =
  | { kind: 'skipped'; reason: string }
  | {
      kind: 'done';
      outcome: ModuleOutcome;
      diffs?: Diff[];
      /** Plan reason or summary, for the JSON output. */
      detail?: string;
      /** Check mode: the command would run (changed) but did not, so its output is not known. */
      notRun?: boolean;
    }
  /** Check mode: what the task would do cannot be known before the real run. */
  | { kind: 'unknown'; reason: UnknownReason; detail?: string };

/** How the module's scripts run on the host: become, its user, the task's environment. */
export function execOptions(invocation: ModuleInvocation): ExecOptions {
  const options: ExecOptions = { sudo: invocation.sudo };
  if (invocation.becomeUser !== undefined) options.user = invocation.becomeUser;
  if (invocation.env && Object.keys(invocation.env).length > 0) options.env = invocation.env;
  return options;
}

export async function runModule(invocation: ModuleInvocation): Promise<ModuleRun> {
  const { module, ctx } = invocation;
  // Controller-side work only renders and reads: run again once a lookup it needs is fetched.
  const again = <T>(work: () => T | Promise<T>) =>
    invocation.lookups ? invocation.lookups.retrying(work) : work();
  const prepare = module.prepare;
  const args = prepare ? await again(() => prepare(invocation.args, ctx)) : invocation.args;
  if (module.kind === 'controller') {
    const controller = module.controller;
    if (!controller) return { kind: 'done', outcome: { changed: false, result: {} } };
    return { kind: 'done', outcome: await again(() => controller(args, ctx)) };
  }
  if (invocation.check) return predictModule(invocation, args);

  const options = execOptions(invocation);
  const key = module.writeKey?.(args);
  const queue = key === undefined ? undefined : writeQueue(invocation.transport(), key);
  const mark = queue?.mark();
  const plan = await gatherAndPlan(invocation, args, options);
  if (!plan.changed) return unchanged(plan);
  if (!queue || !mark) return apply(invocation, args, options, plan);
  // Writers of one file on one host take turns; if another wrote it since it was read, read it again.
  const turn = await queue.take();
  try {
    return await apply(invocation, args, options, turn.writtenSince(mark) ? undefined : plan);
  } finally {
    turn.end();
  }
}

async function gatherAndPlan(
  invocation: ModuleInvocation,
  args: Record<string, unknown>,
  options: ExecOptions,
): Promise<Plan> {
  const { module, ctx } = invocation;
  const script = module.gather?.(args, ctx);
  let facts: unknown;
  if (script !== undefined) {
    const gathered = await invocation.transport().exec(script, options);
    facts = module.parse ? module.parse(gathered, args, ctx) : gathered;
  }
  return module.plan(args, facts, ctx);
}

function unchanged(plan: NoChangePlan): ModuleRun {
  return { kind: 'done', outcome: { changed: false, result: { ...plan.result } }, detail: plan.reason };
}

/**
 * Run the steps of `planned` (or of a new plan when undefined), stopping at the first that
 * fails. A write the host refuses because its file changed since the gather (another writer)
 * is planned again from a new gather, a few times.
 */
async function apply(
  invocation: ModuleInvocation,
  args: Record<string, unknown>,
  options: ExecOptions,
  planned: ChangePlan | undefined,
): Promise<ModuleRun> {
  const { module, ctx } = invocation;
  for (let attempt = 1; ; attempt++) {
    const plan = attempt === 1 && planned ? planned : await gatherAndPlan(invocation, args, options);
    if (!plan.changed) return unchanged(plan);
    const outputs: ExecResult[] = [];
    for (const step of plan.steps) {
      if (step.secrets) invocation.secrets?.add(step.secrets);
      const stepOptions: ExecOptions = { ...options };
      if (step.stdin !== undefined) stepOptions.stdin = step.stdin;
      const output = await invocation.transport().exec(step.command, stepOptions);
      outputs.push(output);
      if (output.code !== 0) break;
    }
    const last = outputs[outputs.length - 1];
    if (last && last.code !== 0 && isStaleWrite(last.stderr)) {
      if (attempt < WRITE_ATTEMPTS) continue;
      const msg = `${firstLineOf(last.stderr)} (planned ${attempt} times: something else keeps changing it)`;
      return {
        kind: 'done',
        outcome: { changed: false, failed: true, msg, result: { ...plan.result, msg } },
      };
    }
    const outcome = finishPlan(module, args, outputs, ctx, plan);
    const run: ModuleRun = { kind: 'done', outcome, detail: plan.summary };
    if (plan.diffs && !outcome.failed) run.diffs = plan.diffs;
    return run;
  }
}

function firstLineOf(stderr: string): string {
  return stderr.split('\n').find((line) => line.startsWith(STALE_WRITE)) ?? STALE_WRITE;
}
