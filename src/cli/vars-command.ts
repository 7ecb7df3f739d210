/**
 * `bosun vars HOST -i INVENTORY [-e ...] [--playbook P]`: every variable the host sees, its
 * value, the layer and place it came from, and the definitions it overrode. With a playbook,
 * the first play that runs on the host adds its vars and vars files. Secrets are redacted by
 * value, as in a run: vault values, connection passwords and passphrases, and the values of
 * role parameters a role's schema marks secret (of the playbook's roles, or of every role
 * found from here without one).
 */
import { join } from 'node:path';
import { FactStore, magicVars, playScope } from '../engine/host-scope.js';
import { loadRunInput, roleVariables } from '../engine/input.js';
import { BosunError } from '../errors.js';
import { secretVariableValues } from '../inventory/connection.js';
import { packageRolesDir, RoleLoader } from '../model/role-loader.js';
import { registryCatalog } from '../model/task-modules.js';
import { extraVarsLayer, parseExtraVars } from '../vars/extra-vars.js';
import { PRECEDENCE_TEXT } from '../vars/precedence.js';
import { inventoryLayers, VarScope } from '../vars/scope.js';
import { secretValues } from '../vars/secret-fields.js';
import { type Secrets, withSecrets } from '../vars/secrets.js';
import { type ExplainedRenderedVar, explainVars } from '../vars/template.js';
import type { Command } from '../vendor/commander.js';
import { inventoryLoadOptions, loadInventoryForCli } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import { type CliIO, secretsOf } from './io.js';
import { REFRESH_CACHE_HELP } from './options.js';
import { addVaultOptions, type VaultOptions, vaultContext, vaultPasswords } from './vault-options.js';

export interface VarsCommandOptions extends VaultOptions {
  inventory: string[];
  extraVars: string[];
  playbook?: string;
  json?: boolean;
  refreshCache?: boolean;
}

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
    const vault = vaultContext(options, io);
    const inventory = await loadInventoryForCli(options.inventory, io, { ...options, vault });
    if (!inventory.hasHost(host)) throw new BosunError('BOSUN_INPUT', `no host "${host}" in the inventory`);
    const extra = await parseExtraVars(options.extraVars, io.cwd, vault);
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
    await addRoleSecrets(scope, io);
  }

  const secrets = secretsOf(io);
  // Rendered as a run renders: what a helper makes from a secret is redacted too.
  const entries = withSecrets(secrets, () => explainVars(scope)).filter((entry) => !HIDDEN.has(entry.name));
  for (const entry of entries) addNamedSecrets(entry, secrets);
  if (options.json) {
    for (const entry of entries) io.stdout.write(`${JSON.stringify(entry)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`${host}: ${context}\n\n`);
  for (const entry of entries) io.stdout.write(formatVar(entry));
  io.stdout.write(`\n(not shown: ${[...HIDDEN].join(', ')}; precedence: bosun vars --help)\n`);
  return EXIT.ok;
}

/** A password variable's values (its own, its rendering, those it overrode) are secrets. */
function addNamedSecrets(entry: ExplainedRenderedVar, secrets: Secrets): void {
  secrets.add(
    secretVariableValues(entry.name, [entry.value, entry.rendered, ...entry.overridden.map((o) => o.value)]),
  );
}

/**
 * Without a playbook the roles that will use these variables are not known: the secret
 * parameters of every role here (`roles/`) or shipped with Bosun (the users role's password
 * hashes) are secrets. A role that does not load is passed over: the run that uses it says why.
 */
async function addRoleSecrets(scope: VarScope, io: CliIO): Promise<void> {
  const loader = new RoleLoader({
    searchPath: [...new Set([join(io.cwd, 'roles'), packageRolesDir()])],
    catalog: registryCatalog,
    cwd: io.cwd,
  });
  for (const name of loader.available()) {
    const role = await loader.load(name).catch(() => undefined);
    if (role?.schema) secretsOf(io).add(secretValues(role.schema, roleVariables(role.schema, scope)));
  }
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
