/**
 * A minimal task runner for tests: what the engine does with a module (prepare, check args,
 * gather, parse, plan, steps, finish), against a real transport, so the generated shell is
 * proven on a real system.
 */
import { BosunError } from '../../../src/errors.js';
import { finishPlan } from '../../../src/modules/outcome.js';
import { getModule } from '../../../src/modules/registry.js';
import type { ModuleContext, ModuleOutcome, Plan } from '../../../src/modules/types.js';
import type { ExecResult, Transport } from '../../../src/transport/types.js';
import { renderTemplateFile, VarScope } from '../../../src/vars/index.js';

export interface RunOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  files?: Record<string, string | Buffer>;
  evaluate?: (condition: string | boolean) => boolean;
}

export interface RunReport {
  plan?: Plan;
  facts?: unknown;
  outputs: ExecResult[];
  outcome: ModuleOutcome | { skipped: true };
}

export function testContext(options: RunOptions = {}): ModuleContext {
  return {
    host: 'localhost',
    check: options.check ?? false,
    diff: options.diff ?? false,
    vars: options.vars ?? {},
    become: false,
    readLocalFile: async (path) => {
      const content = options.files?.[path];
      if (content === undefined) throw new BosunError('BOSUN_INPUT', `no such local file: ${path}`);
      return Buffer.from(content);
    },
    evaluate:
      options.evaluate ??
      ((condition) => {
        throw new Error(`no evaluator for ${String(condition)}`);
      }),
    renderTemplate: (text, file) =>
      renderTemplateFile(
        text,
        VarScope.from([{ layer: 'play vars', source: 'fixture', values: options.vars ?? {} }]),
        file,
      ),
  };
}

export async function runModule(
  transport: Transport,
  name: string,
  rawArgs: Record<string, unknown>,
  options: RunOptions = {},
): Promise<RunReport> {
  const module = getModule(name);
  if (!module) throw new Error(`unknown module ${name}`);
  const ctx = testContext(options);
  const issues = module.checkArgs?.(rawArgs) ?? [];
  if (issues.length > 0) throw new Error(`bad args: ${issues.map((i) => i.message).join('; ')}`);
  const args = module.prepare ? await module.prepare(rawArgs, ctx) : rawArgs;
  if (module.kind === 'controller') {
    return { outputs: [], outcome: module.controller!(args, ctx) };
  }
  const script = module.gather?.(args, ctx);
  const facts = script ? module.parse!(await transport.exec(script), args, ctx) : undefined;
  const plan = module.plan(args, facts, ctx);
  if (!plan.changed)
    return { plan, facts, outputs: [], outcome: { changed: false, result: plan.result ?? {} } };
  if (ctx.check) return { plan, facts, outputs: [], outcome: { changed: true, result: plan.result ?? {} } };
  const outputs: ExecResult[] = [];
  for (const step of plan.steps) {
    const output = await transport.exec(step.command, step.stdin === undefined ? {} : { stdin: step.stdin });
    outputs.push(output);
    if (output.code !== 0) break;
  }
  return { plan, facts, outputs, outcome: finishPlan(module, args, outputs, ctx, plan) };
}
