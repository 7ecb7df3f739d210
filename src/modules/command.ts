/** command: run a program with arguments, without a shell (no pipes, redirections or expansions). */
import { type Static, Type } from '@sinclair/typebox';
import { type RunFacts, runModuleHooks, runSchemas } from './run-command.js';
import type { ModuleDefinition } from './types.js';

export const CommandArgs = Type.Object(
  {
    cmd: Type.Optional(
      Type.String({
        description:
          'The command line (also the free-form form `command: ls -l /tmp`). Split into words by shell quoting rules; nothing is expanded. A one-line command may hold creates=, removes=, chdir= words, taken as those arguments (as Ansible does).',
      }),
    ),
    argv: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 1,
        description:
          'The program and its arguments as a list; each item is passed as one argument, verbatim.',
      }),
    ),
    ...runSchemas,
  },
  { additionalProperties: false },
);
export type CommandArgs = Static<typeof CommandArgs>;

export const commandModule: ModuleDefinition<CommandArgs, RunFacts> = {
  name: 'command',
  description: 'Run a program with arguments on the host, without a shell.',
  schema: CommandArgs,
  ...runModuleHooks<CommandArgs>('command'),
};
