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
  /**
   * Sections written by hand (Markdown) that the generated README carries after the parameter
   * tables, such as how the defaults compare with a reference. Kept in code so the README cannot
   * drift from what the role's tests check.
   */
  readme?: ReadmeSection[];
  /**
   * The role's tasks read host facts (`bosun_facts`, `ansible_*`): they are gathered, once per
   * host and run, before its first task runs on a host, whatever the play's gather_facts.
   */
  gatherFacts?: boolean;
  /** Relative to the role folder; default `templates` when it exists. */
  templatesDir?: string;
  /** Relative to the role folder; default `files` when it exists. */
  filesDir?: string;
  /**
   * Rules across parameters that a schema cannot say (a login in `users_state` must be a key
   * of `users`), run after the schema check, before any host is touched. It sees the params
   * with the defaults applied, minus those only known per host (values holding `{{`): a rule
   * must let a missing key pass. Each issue names the offending value's key path.
   */
  check?: (params: Partial<Static<S>> & Record<string, unknown>) => RoleParamIssue[];
}

/** A README section: `## title`, then the Markdown body. */
export interface ReadmeSection {
  title: string;
  markdown: string;
}

/** A broken cross-parameter rule: `path` from the params (`['users_state', 'ghost']`). */
export interface RoleParamIssue {
  path: (string | number)[];
  message: string;
  /** Whether the key at `path` is wrong (a login that should not be there) or its value; default value. */
  target?: 'key' | 'value';
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

/** An issue for each entry of the list param `param` whose `key` an earlier entry already has. */
export function duplicateIssues<T>(
  param: string,
  list: readonly T[] | undefined,
  key: keyof T & string,
): RoleParamIssue[] {
  const issues: RoleParamIssue[] = [];
  const seen = new Map<unknown, number>();
  for (const [index, entry] of (list ?? []).entries()) {
    const value = entry[key];
    const first = seen.get(value);
    if (first !== undefined) {
      issues.push({ path: [param, index, key], message: `"${String(value)}" is already ${param}[${first}]` });
    } else {
      seen.set(value, index);
    }
  }
  return issues;
}
