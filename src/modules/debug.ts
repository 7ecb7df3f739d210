/** debug: show a message or a variable's value in the run's output. */
import { type Static, Type } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';
import { lookupPath } from './var-path.js';

export const DebugArgs = Type.Object(
  {
    msg: Type.Optional(
      Type.Unknown({
        description: 'The message to show (any value; templates are rendered). Default "Hello world!".',
      }),
    ),
    var: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Name of a variable to show, without braces; dotted paths and [index] work: result.stdout_lines[0].',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DebugArgs = Static<typeof DebugArgs>;

const UNDEFINED = 'VARIABLE IS NOT DEFINED!';

export const debugModule: ModuleDefinition<DebugArgs, undefined> = {
  name: 'debug',
  description: 'Show a message or the value of a variable.',
  schema: DebugArgs,
  rawArgs: ['var'],
  kind: 'controller',
  checkArgs: (args) =>
    args.msg !== undefined && args.var !== undefined
      ? [{ key: 'var', message: 'msg and var are mutually exclusive' }]
      : [],
  plan: () => ({ changed: false, reason: 'runs on the controller' }),
  controller(args, ctx) {
    if (args.var !== undefined) {
      const value = lookupPath(ctx.vars, args.var);
      const shown = value === undefined ? UNDEFINED : value;
      return { changed: false, msg: display(shown), result: { [args.var]: shown } };
    }
    const msg = args.msg === undefined ? 'Hello world!' : args.msg;
    return { changed: false, msg: display(msg), result: { msg } };
  },
};

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
