/** The task outcome after a plan's steps ran, the same way for every module. */
import type { ExecResult } from '../transport/types.js';
import type { ChangePlan, ModuleContext, ModuleDefinition, ModuleOutcome } from './types.js';

/**
 * `outputs` are the results of the steps that ran, in order; the engine stops after the first
 * one exiting non-zero. Modules without `finish` report changed with the plan's result, or
 * fail with the failing step's error output.
 */
export function finishPlan(
  module: ModuleDefinition,
  args: unknown,
  outputs: ExecResult[],
  ctx: ModuleContext,
  plan: ChangePlan,
): ModuleOutcome {
  if (module.finish) return module.finish(args, outputs, ctx, plan);
  const failed = outputs.find((output) => output.code !== 0);
  if (!failed) return { changed: true, result: { ...plan.result } };
  const msg = failed.stderr.trim() || `exit code ${failed.code}`;
  return {
    changed: false,
    failed: true,
    msg,
    result: { ...plan.result, msg, rc: failed.code, stdout: failed.stdout, stderr: failed.stderr },
  };
}
