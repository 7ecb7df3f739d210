/**
 * The keywords a task may carry besides its one module key, as TypeBox schemas: checked at load
 * time (ajv, via validate.ts) and exported as JSON Schema for editors. Keys whose rules read
 * better in words (loop, register, retries...) are also checked by hand in task-loader.ts,
 * before these, so the message is specific.
 */
import { type TSchema, Type } from '@sinclair/typebox';

const Condition = Type.Union([Type.String(), Type.Array(Type.String()), Type.Boolean()], {
  description: 'An expression, a list of expressions that must all hold, or true/false',
});
const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VarsMapping = Type.Record(Type.String(), Type.Unknown());

export const TaskKeywordSchemas = {
  name: Type.String({ minLength: 1, description: 'Shown in the output; notifies a handler of that name' }),
  when: Condition,
  loop: Type.Union([Type.Array(Type.Unknown()), Type.String({ pattern: '\\{\\{' })], {
    description: 'Run the task once per item (the item is in `item`, or in loop_control.loop_var)',
  }),
  loop_control: Type.Object(
    { loop_var: Type.Optional(Type.String({ pattern: VARIABLE_NAME.source })) },
    { additionalProperties: false },
  ),
  register: Type.String({ pattern: VARIABLE_NAME.source, description: 'Variable receiving the result' }),
  notify: StringOrList,
  tags: StringOrList,
  become: Type.Boolean(),
  become_user: Type.String({ minLength: 1 }),
  check_mode: Type.Boolean({ description: 'false: run even in --check; true: always check only' }),
  changed_when: Condition,
  failed_when: Condition,
  ignore_errors: Type.Boolean(),
  retries: Type.Integer({ minimum: 0 }),
  delay: Type.Number({ minimum: 0, description: 'Seconds between retries' }),
  until: StringOrList,
  run_once: Type.Boolean(),
  delegate_to: Type.String({ minLength: 1 }),
  no_log: Type.Boolean({ description: 'Hide args and results (secrets)' }),
  environment: VarsMapping,
  vars: VarsMapping,
  args: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Module arguments given apart (e.g. chdir for a free-form command)',
  }),
} satisfies Record<string, TSchema>;

export type TaskKeyword = keyof typeof TaskKeywordSchemas;
export const TASK_KEYWORDS = Object.keys(TaskKeywordSchemas) as TaskKeyword[];

/** Task keywords of the schema, checked in one ajv pass. */
export const TaskKeywordsSchema = Type.Partial(
  Type.Object(TaskKeywordSchemas, { additionalProperties: true }),
);

/** Ansible task keys Bosun knows but does not do (yet): said plainly instead of "unknown key". */
export const UNSUPPORTED_TASK_KEYS: Record<string, string> = {
  block: 'is not supported yet',
  rescue: 'is not supported yet (it belongs to block, which is not supported yet)',
  always: 'is not supported yet (it belongs to block, which is not supported yet)',
  include_tasks: 'is not supported yet: put the tasks in a role',
  import_tasks: 'is not supported yet: put the tasks in a role',
  include_role: 'is not supported yet: list the role under the play\'s "roles:"',
  import_role: 'is not supported yet: list the role under the play\'s "roles:"',
  include_vars: 'is not supported yet: use the play\'s "vars_files:"',
  import_playbook: 'is not supported yet',
  async: 'is not supported yet',
  poll: 'is not supported yet',
  listen: 'is not supported yet: notify the handler by its name',
  local_action: 'is not supported yet: use delegate_to: localhost',
  action: 'is not supported: write the module as the key (e.g. "copy:")',
  with_items: 'is not supported: use "loop:"',
  with_list: 'is not supported: use "loop:"',
  with_dict: 'is not supported: use "loop:" over a list',
  with_fileglob: 'is not supported yet',
  with_sequence: 'is not supported: use "loop:"',
  with_nested: 'is not supported: use "loop:"',
  with_together: 'is not supported: use "loop:"',
  with_subelements: 'is not supported: use "loop:"',
  throttle: 'is not supported yet',
  connection: 'is not supported as a task key: set bosun_connection in the inventory',
};
