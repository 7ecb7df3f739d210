/** fail: stop the host with a message (usually under `when`). */
import { type Static, Type } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';

export const FailArgs = Type.Object(
  {
    msg: Type.Optional(
      Type.String({ description: 'Why the host fails. Default "Failed as requested from task".' }),
    ),
  },
  { additionalProperties: false },
);
export type FailArgs = Static<typeof FailArgs>;

export const failModule: ModuleDefinition<FailArgs, undefined> = {
  name: 'fail',
  description: 'Fail the host with a message.',
  schema: FailArgs,
  kind: 'controller',
  plan: () => ({ changed: false, reason: 'runs on the controller' }),
  controller(args) {
    const msg = args.msg ?? 'Failed as requested from task';
    return { changed: false, failed: true, msg, result: { msg } };
  },
};
