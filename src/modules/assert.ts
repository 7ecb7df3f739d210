/** assert: check conditions on the host's variables; the first false one fails the host. */
import { type Static, Type } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';

const Condition = Type.Union([Type.String({ minLength: 1 }), Type.Boolean()]);

export const AssertArgs = Type.Object(
  {
    that: Type.Union([Condition, Type.Array(Condition, { minItems: 1 })], {
      description:
        'A condition or a list of conditions, written like `when` (no braces): `eq env "STG"`, `and port (not debug)`. All must hold.',
    }),
    fail_msg: Type.Optional(Type.String({ description: 'Message when a condition is false.' })),
    msg: Type.Optional(Type.String({ description: 'Alias of fail_msg.' })),
    success_msg: Type.Optional(Type.String({ description: 'Message when all conditions hold.' })),
    quiet: Type.Optional(Type.Boolean({ description: 'Leave the success message out of the output.' })),
  },
  { additionalProperties: false },
);
export type AssertArgs = Static<typeof AssertArgs>;

export const assertModule: ModuleDefinition<AssertArgs, undefined> = {
  name: 'assert',
  description: 'Fail the host unless every condition holds.',
  schema: AssertArgs,
  rawArgs: ['that'],
  kind: 'controller',
  checkArgs: (args) =>
    args.fail_msg !== undefined && args.msg !== undefined
      ? [{ key: 'msg', message: 'msg is an alias of fail_msg: give only one' }]
      : [],
  plan: () => ({ changed: false, reason: 'runs on the controller' }),
  controller(args, ctx) {
    const conditions = Array.isArray(args.that) ? args.that : [args.that];
    for (const condition of conditions) {
      if (!ctx.evaluate(condition)) {
        const msg = args.fail_msg ?? args.msg ?? 'Assertion failed';
        return {
          changed: false,
          failed: true,
          msg,
          result: { msg, assertion: condition, evaluated_to: false },
        };
      }
    }
    const msg = args.success_msg ?? 'All assertions passed';
    return args.quiet ? { changed: false, result: {} } : { changed: false, msg, result: { msg } };
  },
};
