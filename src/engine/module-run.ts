/**
 * One module invocation on one host: what F's contract asks of the engine. Controller modules
 * run here; planning modules gather (one remote script), parse, plan, and, unless in check
 * mode, run the plan's steps in order, stopping at the first that fails. Check mode never runs
 * a step: the plan is the prediction, made against the changes planned before it
 * (prediction.ts); a command that would run is reported changed, not run.
 */
import { finishPlan } from '../modules/outcome.js';
import type { Diff, ModuleContext, ModuleDefinition, ModuleOutcome } from '../modules/types.js';
import type { UnknownReason } from '../predict/effects.js';
import type { ExecOptions, ExecResult, Transport } from '../transport/types.js';
import { type ModulePrediction, predictModule } from './prediction.js';

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
  const args = module.prepare ? await module.prepare(invocation.args, ctx) : invocation.args;
  if (module.kind === 'controller') {
    if (!module.controller) return { kind: 'done', outcome: { changed: false, result: {} } };
    return { kind: 'done', outcome: module.controller(args, ctx) };
  }
  if (invocation.check) return predictModule(invocation, args);

  const options = execOptions(invocation);
  const script = module.gather?.(args, ctx);
  let facts: unknown;
  if (script !== undefined) {
    const gathered = await invocation.transport().exec(script, options);
    facts = module.parse ? module.parse(gathered, args, ctx) : gathered;
  }
  const plan = module.plan(args, facts, ctx);
  if (!plan.changed) {
    return { kind: 'done', outcome: { changed: false, result: { ...plan.result } }, detail: plan.reason };
  }
  const outputs: ExecResult[] = [];
  for (const step of plan.steps) {
    const stepOptions: ExecOptions = { ...options };
    if (step.stdin !== undefined) stepOptions.stdin = step.stdin;
    const output = await invocation.transport().exec(step.command, stepOptions);
    outputs.push(output);
    if (output.code !== 0) break;
  }
  const outcome = finishPlan(module, args, outputs, ctx, plan);
  const run: ModuleRun = { kind: 'done', outcome, detail: plan.summary };
  if (plan.diffs && !outcome.failed) run.diffs = plan.diffs;
  return run;
}
