/**
 * `bosun vars HOST -i INVENTORY [-e ...] [--playbook P]`: every variable the host sees, its
 * value, the layer and place it came from, and the definitions it overrode. With a playbook,
 * the first play that runs on the host adds its vars and vars files. Secret connection
 * variables (passwords, passphrases) are shown as [redacted], as is every vault value.
 */

import { FactStore, magicVars, playScope } from '../engine/host-scope.js';
import { loadRunInput } from '../engine/input.js';
import { BosunError } from '../errors.js';
import { SECRET_VARIABLE_NAMES } from '../inventory/connection.js';
import { extraVarsLayer, parseExtraVars } from '../vars/extra-vars.js';
import { PRECEDENCE_TEXT } from '../vars/precedence.js';
import { inventoryLayers, VarScope } from '../vars/scope.js';
import { type ExplainedRenderedVar, explainVars } from '../vars/template.js';
import type { Command } from '../vendor/commander.js';
import { inventoryLoadOptions, loadInventoryForCli } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import { type CliIO, MASK, secretsOf } from './io.js';
import { REFRESH_CACHE_HELP } from './options.js';
import { addVaultOptions, type VaultOptions, vaultPasswords } from './vault-options.js';

export interface VarsCommandOptions extends VaultOptions {
  inventory: string[];
  extraVars: string[];
  playbook?: string;
  json?: boolean;
  refreshCache?: boolean;
}

const SECRET_NAMES = SECRET_VARIABLE_NAMES;
/** Magic variables too big to print usefully: they hold every host and group. */
const HIDDEN = new Set(['hostvars', 'groups']);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerVarsCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command('vars')
    .description('show every variable of a host, where it comes from and what it overrode')
    .argument('<host>', 'an inventory host')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option(
      '-e, --extra-vars <vars>',
      'key=value pairs, @file.yml or a JSON/YAML mapping (repeatable)',
      collect,
      [],
    )
    .option('--playbook <file>', "add the vars and vars_files of the playbook's first play on this host")
    .option('--json', 'one JSON object per variable per line');
  addVaultOptions(command)
    .addHelpText('after', `\n${PRECEDENCE_TEXT}\n`)
    .action(async (host: string, options: VarsCommandOptions) => {
      setExit(await varsCommand(host, options, io));
    });
}

export async function varsCommand(host: string, options: VarsCommandOptions, io: CliIO): Promise<number> {
  let scope: VarScope;
  let context: string;
  if (options.playbook !== undefined) {
    const input = await loadRunInput({
      playbook: options.playbook,
      inventory: options.inventory,
      extraVars: options.extraVars,
      cwd: io.cwd,
      secrets: secretsOf(io),
      vaultPasswords: vaultPasswords(options, io),
      inventoryOptions: inventoryLoadOptions(io, options.refreshCache),
    });
    if (!input.inventory.hasHost(host))
      throw new BosunError('BOSUN_INPUT', `no host "${host}" in the inventory`);
    const prepared = input.plays.find((play) => play.hosts.includes(host));
    if (!prepared) throw new BosunError('BOSUN_INPUT', `no play of ${options.playbook} runs on ${host}`);
    scope = playScope({
      inventory: input.inventory,
      host,
      play: prepared.play,
      extraVars: input.extraVars,
      varsFiles: prepared.varsFiles.get(host) ?? [],
      magic: magicVars({
        inventory: input.inventory,
        host,
        playbookDir: input.playbook.dir,
        check: false,
        diff: false,
        playHosts: prepared.hosts,
        batchHosts: prepared.hosts,
        facts: new FactStore(),
      }),
    });
    context = `play #${prepared.index + 1} "${prepared.play.name}" of ${options.playbook}`;
  } else {
    const inventory = await loadInventoryForCli(options.inventory, io, options.refreshCache);
    if (!inventory.hasHost(host)) throw new BosunError('BOSUN_INPUT', `no host "${host}" in the inventory`);
    const extra = await parseExtraVars(options.extraVars, io.cwd, {
      passwords: vaultPasswords(options, io),
      secrets: secretsOf(io),
    });
    const magic = magicVars({
      inventory,
      host,
      playbookDir: io.cwd,
      check: false,
      diff: false,
      playHosts: [host],
      batchHosts: [host],
      facts: new FactStore(),
    });
    scope = VarScope.from([
      ...inventoryLayers(inventory, host),
      extraVarsLayer(extra),
      { layer: 'magic vars', source: 'set by bosun', values: magic },
    ]);
    context = 'inventory and -e only (add --playbook to include play vars)';
  }

  const entries = explainVars(scope).filter((entry) => !HIDDEN.has(entry.name));
  if (options.json) {
    for (const entry of entries) io.stdout.write(`${JSON.stringify(masked(entry))}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`${host}: ${context}\n\n`);
  for (const entry of entries) io.stdout.write(formatVar(masked(entry)));
  io.stdout.write(`\n(not shown: ${[...HIDDEN].join(', ')}; precedence: bosun vars --help)\n`);
  return EXIT.ok;
}

function masked(entry: ExplainedRenderedVar): ExplainedRenderedVar {
  if (!SECRET_NAMES.has(entry.name)) return entry;
  const out: ExplainedRenderedVar = {
    ...entry,
    value: MASK,
    overridden: entry.overridden.map((o) => ({ ...o, value: MASK })),
  };
  if (out.rendered !== undefined) out.rendered = MASK;
  return out;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** `name = value  [layer] source`, then what it overrode (strongest first) and its rendering. */
export function formatVar(entry: ExplainedRenderedVar): string {
  let out = `${entry.name} = ${show(entry.value)}  [${entry.layer}] ${entry.source}\n`;
  if (entry.rendered !== undefined) out += `    renders to ${show(entry.rendered)}\n`;
  if (entry.renderError !== undefined) out += `    does not render: ${entry.renderError}\n`;
  for (const old of [...entry.overridden].reverse()) {
    out += `    overrode ${show(old.value)}  [${old.layer}] ${old.source}\n`;
  }
  return out;
}
