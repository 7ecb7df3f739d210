/**
 * One module run through the engine's own runner (src/engine/module-run.ts) on a transport of
 * this machine, so the generated shell is proven on a real system by the code that runs it in
 * production. The adapter only observes: it checks the arguments as loading a playbook does,
 * builds the module context a task gets, and keeps the plan the module made, for assertions.
 */
import { runModule } from '../../../src/engine/module-run.js';
import { BosunError } from '../../../src/errors.js';
import { getModule } from '../../../src/modules/registry.js';
import type { ModuleContext, ModuleDefinition, ModuleOutcome, Plan } from '../../../src/modules/types.js';
import type { Transport } from '../../../src/transport/types.js';
import { renderTemplateFile, VarScope } from '../../../src/vars/index.js';

export interface RunOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  files?: Record<string, string | Buffer>;
  evaluate?: (condition: string | boolean) => boolean;
}

export interface RunReport {
  /** The module's plan; none when the engine skipped the module before planning. */
  plan?: Plan;
  outcome: ModuleOutcome | { skipped: true } | { unknown: string };
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

/** `name` with `args` on `transport`, as a task without become runs it. */
export async function runModuleOn(
  transport: Transport,
  name: string,
  args: Record<string, unknown>,
  options: RunOptions = {},
): Promise<RunReport> {
  const module = getModule(name);
  if (!module) throw new Error(`unknown module ${name}`);
  const issues = module.checkArgs?.(args) ?? [];
  if (issues.length > 0) throw new Error(`bad args: ${issues.map((i) => i.message).join('; ')}`);
  const ctx = testContext(options);
  let plan: Plan | undefined;
  const observed: ModuleDefinition = {
    ...module,
    plan: (...planArgs) => {
      plan = module.plan(...planArgs);
      return plan;
    },
  };
  const run = await runModule({
    module: observed,
    args,
    ctx,
    transport: () => transport,
    sudo: false,
    check: ctx.check,
  });
  const outcome =
    run.kind === 'skipped'
      ? { skipped: true as const }
      : run.kind === 'unknown'
        ? { unknown: run.reason.why }
        : run.outcome;
  return plan === undefined ? { outcome } : { plan, outcome };
}
