/** meta: engine actions; `meta: flush_handlers` runs the notified handlers now. */
import { type Static, Type } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';

export const MetaArgs = Type.Object(
  {
    free_form: Type.Union([Type.Literal('flush_handlers'), Type.Literal('noop')], {
      description:
        'flush_handlers: run handlers notified so far, here instead of at the end of the play. noop: nothing.',
    }),
  },
  { additionalProperties: false },
);
export type MetaArgs = Static<typeof MetaArgs>;

export const metaModule: ModuleDefinition<MetaArgs, undefined> = {
  name: 'meta',
  description: 'Engine actions: flush_handlers.',
  schema: MetaArgs,
  freeForm: 'free_form',
  kind: 'controller',
  plan: () => ({ changed: false, reason: 'runs on the controller' }),
  controller(args) {
    if (args.free_form === 'flush_handlers') return { changed: false, meta: 'flush_handlers', result: {} };
    return { changed: false, result: {} };
  },
};
