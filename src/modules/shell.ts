/** shell: run a script through /bin/sh (pipes, redirections and expansions work). */
import { type Static, Type } from '@sinclair/typebox';
import { type RunFacts, runModuleHooks, runSchemas } from './run-command.js';
import type { ModuleDefinition } from './types.js';

export const ShellArgs = Type.Object(
  {
    cmd: Type.Optional(
      Type.String({
        description:
          'The shell script (also the free-form form `shell: ls | wc -l`), run with `/bin/sh -c`. A one-line script may hold creates=, removes=, chdir=, executable= words, taken as those arguments (as Ansible does).',
      }),
    ),
    executable: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Shell that runs the script (default /bin/sh), called as `<executable> -c <script>`.',
      }),
    ),
    ...runSchemas,
  },
  { additionalProperties: false },
);
export type ShellArgs = Static<typeof ShellArgs>;

export const shellModule: ModuleDefinition<ShellArgs, RunFacts> = {
  name: 'shell',
  description: 'Run a shell script on the host through /bin/sh.',
  schema: ShellArgs,
  ...runModuleHooks<ShellArgs>('shell'),
};
