/** group: a local group present (with a gid) or absent, through groupadd/groupmod/groupdel. */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { type GroupFacts, groupFactsScript, parseGroupFacts } from '../facts/group.js';
import { parseGroupLine } from '../facts/passwd.js';
import { overlayGroupFacts } from '../predict/accounts.js';
import { sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { firstLine } from './failure.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ChangePlan, ModuleContext, ModuleDefinition, ModuleOutcome, Plan } from './types.js';
import { nameProblem } from './user.js';

export const GroupArgs = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Name of the group.' }),
    gid: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Group id; an existing group is renumbered.' }),
    ),
    system: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Create a system group (gid from the system range); new groups only.',
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description:
          'present: the group exists. absent: it is removed (not while it is the primary group of a user).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type GroupArgs = Static<typeof GroupArgs>;

const GROUP_PREFIX = 'bosun-group=';

export function checkGroupArgs(args: GroupArgs): ArgIssue[] {
  if (isTemplated(args.name)) return [];
  const problem = nameProblem(args.name, 'group');
  return problem ? [{ key: 'name', message: problem }] : [];
}

function planAccount(args: GroupArgs, facts: GroupFacts): Plan {
  const group = facts.group;
  const name = args.name;
  if (args.state === 'absent') {
    const result = { name, state: 'absent' };
    if (!group) return { changed: false, reason: `group ${name} does not exist`, result };
    return {
      changed: true,
      summary: `remove group ${name}`,
      steps: [{ command: sh`groupdel -- ${name}`, description: `remove group ${name}` }],
      diffs: [{ before: { name, state: 'present', gid: group.gid }, after: { name, state: 'absent' } }],
      result,
      effects: [{ kind: 'group', name, after: null }],
    };
  }
  const result: Record<string, unknown> = { name, state: 'present', system: args.system === true };
  if (!group) {
    const words = [
      ...(args.gid === undefined ? [] : ['-g', String(args.gid)]),
      ...(args.system ? ['-r'] : []),
    ];
    const after: Record<string, unknown> = { name, state: 'present' };
    if (args.gid !== undefined) {
      after.gid = args.gid;
      result.gid = args.gid;
    }
    if (args.system) after.system = true;
    return {
      changed: true,
      summary: `create group ${name}`,
      steps: [
        {
          command: sh`groupadd ${[...words, '--', name]} && printf '%s%s\\n' ${GROUP_PREFIX} "$(getent group ${name})"`,
          description: `create group ${name}`,
        },
      ],
      diffs: [{ before: { name, state: 'absent' }, after }],
      result,
      effects: [
        { kind: 'group', name, after: args.gid === undefined ? {} : { gid: args.gid }, created: true },
      ],
    };
  }
  result.gid = args.gid ?? group.gid;
  if (args.gid === undefined || args.gid === group.gid) {
    return {
      changed: false,
      reason: `group ${name} exists${args.gid === undefined ? '' : ` with gid ${group.gid}`}`,
      result,
    };
  }
  return {
    changed: true,
    summary: `group ${name}: gid ${group.gid} -> ${args.gid}`,
    steps: [
      { command: sh`groupmod -g ${String(args.gid)} -- ${name}`, description: `renumber group ${name}` },
    ],
    diffs: [{ before: { name, gid: group.gid }, after: { name, gid: args.gid } }],
    result,
    effects: [{ kind: 'group', name, after: { gid: args.gid } }],
  };
}

export function planGroup(args: GroupArgs, facts: GroupFacts, ctx: ModuleContext): Plan {
  const plan = planAccount(args, facts);
  if (plan.changed && !ctx.diff) delete plan.diffs;
  return plan;
}

export function finishGroup(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  const result: Record<string, unknown> = { ...plan.result };
  if (output?.code !== 0) {
    const msg = firstLine(output?.stderr ?? '') || `exit code ${output?.code}`;
    return { changed: false, failed: true, msg, result: { ...result, msg, rc: output?.code } };
  }
  const line = output.stdout.split('\n').find((text) => text.startsWith(GROUP_PREFIX));
  const entry = line === undefined ? undefined : parseGroupLine(line.slice(GROUP_PREFIX.length));
  if (entry) result.gid = entry.gid;
  return { changed: true, result };
}

export const groupModule: ModuleDefinition<GroupArgs, GroupFacts> = {
  name: 'group',
  description: 'Manage a local group (groupadd/groupmod/groupdel).',
  schema: GroupArgs,
  kind: 'plan',
  checkArgs: checkGroupArgs,
  gather: (args) => groupFactsScript(args.name),
  parse: (result, args) => parseGroupFacts(result, args.name),
  overlay: (facts, overlay, args) => overlayGroupFacts(facts, args.name, args.gid !== undefined, overlay),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'group: planned without facts');
    return planGroup(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishGroup(outputs, plan),
};
