/** shell: run a script through /bin/sh (pipes, redirections and expansions work). */
import { type Static, Type } from '@sinclair/typebox';
import {
  checkRunArgs,
  type RunFacts,
  runFinish,
  runGather,
  runParse,
  runPlan,
  runPredicts,
  runSchemas,
} from './run-command.js';
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
  freeForm: 'cmd',
  kind: 'run',
  checkArgs: (args) => checkRunArgs(args, 'shell'),
  gather: (args) => runGather(args, 'shell'),
  parse: (result, args) => runParse(result, args, 'shell'),
  checkModePredicts: (args) => runPredicts(args, 'shell'),
  plan: (args, facts) => runPlan(args, facts, 'shell'),
  finish: (args, outputs, _ctx, plan) => runFinish(args, outputs, plan),
};
