/**
 * One module fixture (test/fixtures/modules/<module>/<case>.yaml) run through the module's
 * pure functions: checkArgs, prepare, gather, parse, plan, finish or
 * controller. Shared by the table-driven test and by the script that writes expectations.
 */
import { readFileSync } from 'node:fs';
import { finishPlan } from '../../../src/modules/outcome.js';
import { getModule } from '../../../src/modules/registry.js';
import type { ModuleDefinition } from '../../../src/modules/types.js';
import { commandText } from '../../../src/transport/quote.js';
import type { ExecResult } from '../../../src/transport/types.js';
import { parseDocument } from '../../../src/vendor/yaml.js';
import { testContext } from './engine-run.js';

export interface FixtureCase {
  description: string;
  args: Record<string, unknown>;
  ctx?: { check?: boolean; diff?: boolean; vars?: Record<string, unknown> };
  /** Controller files for prepare (copy src): text, or { base64 } for bytes. */
  files?: Record<string, string | { base64: string }>;
  /** Truth of each condition (assert). */
  conditions?: Record<string, boolean>;
  /** Recorded output of the gather script, parsed by the module. */
  gather_output?: Partial<ExecResult>;
  /** Facts given directly (instead of gather_output). */
  facts?: unknown;
  /** Results of the plan's steps, for finish. */
  outputs?: Partial<ExecResult>[];
  expect: Record<string, unknown>;
}

export function loadCase(file: string): FixtureCase {
  return parseDocument(readFileSync(file, 'utf8')).toJS() as FixtureCase;
}

function execResult(partial: Partial<ExecResult>): ExecResult {
  return { code: 0, stdout: '', stderr: '', durationMs: 5, ...partial };
}

/** What the module does with the case, in the shape of `expect` (only the parts that apply). */
export async function runCase(moduleName: string, c: FixtureCase): Promise<Record<string, unknown>> {
  const module = getModule(moduleName) as ModuleDefinition;
  const conditions = c.conditions ?? {};
  const ctx = testContext({
    ...c.ctx,
    files: Object.fromEntries(
      Object.entries(c.files ?? {}).map(([path, content]) => [
        path,
        typeof content === 'string' ? content : Buffer.from(content.base64, 'base64'),
      ]),
    ),
    evaluate: (condition) => {
      const key = String(condition);
      if (typeof condition === 'boolean') return condition;
      if (!(key in conditions)) throw new Error(`fixture has no truth value for condition ${key}`);
      return conditions[key] as boolean;
    },
  });
  const out: Record<string, unknown> = {};
  const issues = module.checkArgs?.(c.args) ?? [];
  out.issues = issues;
  if (issues.length > 0) return out;
  try {
    const args = module.prepare ? await module.prepare(c.args, ctx) : c.args;
    if (module.kind === 'controller') {
      out.outcome = module.controller!(args, ctx);
      return out;
    }
    const gather = module.gather?.(args, ctx);
    out.gather = gather ? commandText(gather) : null;
    let facts = c.facts;
    if (c.gather_output) {
      facts = module.parse!(execResult(c.gather_output), args, ctx);
      out.facts = facts;
    }
    const plan = module.plan(args, facts, ctx);
    out.changed = plan.changed;
    if (!plan.changed) {
      out.reason = plan.reason;
      if (plan.result) out.result = plan.result;
      return out;
    }
    out.summary = plan.summary;
    out.steps = plan.steps.map((step) => {
      const s: Record<string, unknown> = {
        command: commandText(step.command),
        description: step.description,
      };
      if (step.stdin !== undefined) s.stdin = showBytes(Buffer.from(step.stdin));
      if (step.secrets) s.secrets = step.secrets;
      return s;
    });
    if (plan.diffs) out.diffs = plan.diffs;
    if (plan.result) out.result = plan.result;
    if (c.outputs) out.outcome = finishPlan(module, args, c.outputs.map(execResult), ctx, plan);
  } catch (error) {
    out.error = { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  return out;
}

/** Text as is; bytes that are not UTF-8 text as { base64 }. */
function showBytes(bytes: Buffer): string | { base64: string } {
  try {
    if (!bytes.includes(0)) return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // not text
  }
  return { base64: bytes.toString('base64') };
}
