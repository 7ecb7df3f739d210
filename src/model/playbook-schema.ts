/**
 * Play and role-reference keywords as TypeBox schemas. The loader checks values with them (the
 * task lists and roles are loaded apart, so here they are left open); schema-export.ts builds
 * the editor schema from the same definitions with the task shape filled in.
 */
import { type TSchema, Type } from '@sinclair/typebox';

const StringOrList = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))]);
const Condition = Type.Union([Type.String(), Type.Array(Type.String()), Type.Boolean()]);
const BatchSize = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ pattern: '^\\s*(100|[1-9][0-9]?)(\\.[0-9]+)?\\s*%\\s*$' }),
]);

export const RoleRefSchema = Type.Partial(
  Type.Object(
    {
      role: Type.String({
        minLength: 1,
        description: 'Role name (a folder in the role search path) or path',
      }),
      name: Type.String({ minLength: 1, description: 'Same as role' }),
      params: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())], {
        description: 'Role parameters, checked against the role schema',
      }),
      tags: StringOrList,
      when: Condition,
    },
    { additionalProperties: false },
  ),
);
export const ROLE_REF_KEYS = Object.keys(RoleRefSchema.properties);

/** Play keywords, with the shape of tasks and role references given by the caller. */
export function playKeywordSchemas(task: TSchema, roleRef: TSchema) {
  const TaskList = Type.Union([Type.Null(), Type.Array(task)]);
  return {
    name: Type.String({ minLength: 1 }),
    hosts: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))], {
      description: 'Host pattern: all, a group, a host, globs, a:b union, a:&b intersection, a:!b exclusion',
    }),
    become: Type.Boolean(),
    become_user: Type.String({ minLength: 1 }),
    gather_facts: Type.Boolean(),
    vars: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]),
    vars_files: Type.Union([Type.Null(), Type.Array(Type.String({ minLength: 1 }))], {
      description: 'YAML files of variables, relative to the playbook folder',
    }),
    roles: Type.Union([Type.Null(), Type.Array(roleRef)]),
    pre_tasks: TaskList,
    tasks: TaskList,
    post_tasks: TaskList,
    handlers: TaskList,
    serial: Type.Union([BatchSize, Type.Array(BatchSize, { minItems: 1 })], {
      description: 'Hosts per batch: a number or a percentage such as "30%"; a list gives successive batches',
    }),
    max_fail_percentage: Type.Number({ minimum: 0, maximum: 100 }),
    any_errors_fatal: Type.Boolean(),
    tags: StringOrList,
  } satisfies Record<string, TSchema>;
}

export const PLAY_KEYS = Object.keys(playKeywordSchemas(Type.Unknown(), Type.Unknown()));

/** For checking play values once lists and role references are handled apart. */
export const PlayKeywordsSchema = Type.Partial(
  Type.Object(
    {
      ...playKeywordSchemas(Type.Unknown(), Type.Unknown()),
      // Checked by hand (serial) or by the task loader, whose messages are more specific.
      serial: Type.Unknown(),
      pre_tasks: Type.Unknown(),
      tasks: Type.Unknown(),
      post_tasks: Type.Unknown(),
      handlers: Type.Unknown(),
    },
    { additionalProperties: true },
  ),
);
