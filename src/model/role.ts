/**
 * Roles written in TypeScript: `roles/<name>/index.ts` default-exports `defineRole({...})`.
 * The params schema is TypeBox, so role parameters are typed for the author, checked before any
 * host is touched, and exported as JSON Schema for editors. Tasks have the same shape as in
 * YAML (plain objects); they are checked by the same loader as YAML tasks.
 */
import type { Static, TSchema } from '@sinclair/typebox';

/** A task as written in YAML: one module key plus task keywords. */
export type TaskInput = Record<string, unknown>;

export interface RoleDefinitionInput<S extends TSchema> {
  /** Must be the role's folder name. */
  name: string;
  description?: string;
  /** Parameters; `default` annotations and `defaults` fill what the caller leaves out. */
  schema?: S;
  defaults?: Partial<Static<S>> & Record<string, unknown>;
  tasks: TaskInput[];
  handlers?: TaskInput[];
  /** Relative to the role folder; default `templates` when it exists. */
  templatesDir?: string;
  /** Relative to the role folder; default `files` when it exists. */
  filesDir?: string;
}

export interface RoleDefinition<S extends TSchema = TSchema> extends RoleDefinitionInput<S> {
  readonly [ROLE_BRAND]: true;
  /** Where defineRole was called (file:line:column), to locate errors in the tasks. */
  readonly definedAt?: { file: string; line: number; column: number };
}

/** Shared across module instances (a role compiled apart from the engine still carries it). */
export const ROLE_BRAND: unique symbol = Symbol.for('bosun.role');

export function defineRole<S extends TSchema>(definition: RoleDefinitionInput<S>): RoleDefinition<S> {
  const definedAt = callSite(new Error().stack);
  return { ...definition, [ROLE_BRAND]: true, ...(definedAt ? { definedAt } : {}) };
}

export function isRoleDefinition(value: unknown): value is RoleDefinition {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ROLE_BRAND] === true
  );
}

/** The first stack frame outside this file: `at ... (file:///x/index.ts:12:5)` -> position. */
function callSite(stack: string | undefined): { file: string; line: number; column: number } | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.replace(/^file:\/\//, '');
    if (/\/model\/role\.(?:ts|js)$/.test(file)) continue;
    return { file: decodeURIComponent(file), line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}
