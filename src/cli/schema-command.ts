/** `bosun schema [--out DIR]`: write the JSON Schemas editors use for playbooks, inventories, vars and roles. */
import { resolve } from 'node:path';
import { exportSchemas, writeSchemas } from '../model/schema-export.js';
import type { Command } from '../vendor/commander.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export function registerSchemaCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('schema')
    .description('write JSON Schemas (playbook, inventory, vars, roles) for editor completion')
    .option('-o, --out <dir>', 'folder to write into', 'schemas')
    .addHelpText(
      'after',
      '\nStart a playbook with\n  # yaml-language-server: $schema=../schemas/playbook.schema.json\nto get completion and checks in editors using yaml-language-server.',
    )
    .action(async (options: { out: string }) => {
      setExit(await schemaCommand(options, io));
    });
}

export async function schemaCommand(options: { out: string }, io: CliIO): Promise<number> {
  const written = await writeSchemas(resolve(io.cwd, options.out), await exportSchemas());
  for (const path of written) io.stdout.write(`wrote ${path}\n`);
  return EXIT.ok;
}
