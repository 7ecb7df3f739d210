/**
 * The validated model of playbooks, plays, roles and tasks: what the engine runs. Everything in
 * here was checked when loaded; values may still hold `{{ }}` templates, rendered per host later.
 */
import type { TSchema } from '@sinclair/typebox';
import type { SourcePosition, YamlSource } from './yaml-source.js';

export type Located = SourcePosition;

/** `when`, `changed_when`, `failed_when`: an expression, a list that must all hold, or a literal. */
export type Condition = string | string[] | boolean;

export interface TaskModel {
  /** Stable: `${file}:${line}` of the task (role tasks defined in TypeScript add their index). */
  id: string;
  /** The given name, or `${module} ${short args}` when none. */
  name: string;
  /** Canonical module name (aliases and `ansible.builtin.` resolved). */
  module: string;
  /** Raw (untemplated) args; a free-form string sits at args[freeForm]. */
  args: Record<string, unknown>;
  when?: Condition;
  loop?: unknown;
  loopVar: string;
  register?: string;
  notify: string[];
  /** Effective tags: the task's own plus those of its play and of the role reference that brought it. */
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  checkMode?: boolean;
  changedWhen?: Condition;
  failedWhen?: Condition;
  ignoreErrors: boolean;
  retries?: number;
  delay?: number;
  until?: string | string[];
  runOnce: boolean;
  delegateTo?: string;
  noLog: boolean;
  environment?: Record<string, unknown>;
  /** Task-level `vars:` (weaker than nothing the task itself sets; layered by the vars engine). */
  vars?: Record<string, unknown>;
  at: Located;
  /** Where to point errors found later (render errors), at key paths under `path`. */
  source: YamlSource;
  path: (string | number)[];
  /** Role name when the task comes from a role. */
  role?: string;
}

export interface RoleRef {
  name: string;
  /** Parameters as written (defaults are in the role, layered by the vars engine). */
  params: Record<string, unknown>;
  at: Located;
  tags: string[];
  /** Applies to every task of the role (the engine evaluates it with the task's own `when`). */
  when?: Condition;
  source: YamlSource;
  path: (string | number)[];
}

export interface LoadedRole {
  name: string;
  /** Absolute folder of the role. */
  dir: string;
  /** TypeBox schema of the params (TypeScript roles); YAML roles have none (any params allowed). */
  schema?: TSchema;
  /** Schema defaults and declared defaults, merged (declared win). */
  defaults: Record<string, unknown>;
  tasks: TaskModel[];
  handlers: TaskModel[];
  templatesDir?: string;
  filesDir?: string;
  kind: 'typescript' | 'yaml';
  /** The role reads host facts: they are gathered before its first task runs on a host. */
  gatherFacts?: boolean;
  /** Cross-parameter rules of a TypeScript role (defineRole `check`). */
  check?: (
    params: Record<string, unknown>,
  ) => { path: (string | number)[]; message: string; target?: 'key' | 'value' }[];
}

export interface PlayModel {
  name: string;
  /** Host pattern (a list in the playbook is joined with ","). */
  hosts: string;
  become?: boolean;
  becomeUser?: string;
  /** Gather host facts at the start of the play (false or unset: only for roles that need them). */
  gatherFacts?: boolean;
  vars: Record<string, unknown>;
  /** Absolute paths, resolved from the playbook folder (templated names are kept as written). */
  varsFiles: string[];
  /** In order; each role's tasks already carry the play's and the reference's tags. */
  roles: { ref: RoleRef; role: LoadedRole }[];
  preTasks: TaskModel[];
  tasks: TaskModel[];
  postTasks: TaskModel[];
  /** Every handler of the play in definition order: those of its roles first, then its own. */
  handlers: TaskModel[];
  /** Batch sizes: numbers of hosts or percentages such as "30%"; the last one repeats. */
  serial?: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  tags: string[];
  at: Located;
  source: YamlSource;
  path: (string | number)[];
}

export interface PlaybookModel {
  /** The playbook file as given (relative to cwd when it was). */
  file: string;
  /** Absolute folder of the playbook. */
  dir: string;
  plays: PlayModel[];
}
