/** set_fact: add variables to the host for the rest of the run. */
import { type Static, Type } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const SetFactArgs = Type.Object(
  {
    cacheable: Type.Optional(
      Type.Boolean({
        description: 'Accepted for Ansible compatibility; Bosun keeps no fact cache between runs.',
      }),
    ),
  },
  {
    additionalProperties: true,
    patternProperties: { [NAME.source]: { description: 'A variable to set on the host (any value).' } },
    description: 'Each key is a variable name, each value its value.',
  },
);
export type SetFactArgs = Static<typeof SetFactArgs> & Record<string, unknown>;

export const setFactModule: ModuleDefinition<SetFactArgs, undefined> = {
  name: 'set_fact',
  description: 'Set variables on the host for the following tasks.',
  schema: SetFactArgs,
  kind: 'controller',
  checkArgs(args) {
    const names = Object.keys(args).filter((key) => key !== 'cacheable');
    if (names.length === 0) return [{ message: 'no variable to set' }];
    return names
      .filter((key) => !NAME.test(key))
      .map((key) => ({ key, message: `"${key}" is not a valid variable name (letters, digits, _)` }));
  },
  plan: () => ({ changed: false, reason: 'runs on the controller' }),
  controller(args) {
    const facts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(args)) if (key !== 'cacheable') facts[key] = value;
    return { changed: false, facts, result: { ansible_facts: facts } };
  },
};
