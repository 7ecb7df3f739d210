/** `bosun exec PATTERN -i INVENTORY -- COMMAND...` */
import { BosunError, messageOf } from '../errors.js';
import {
  type ConnectionKind,
  connectionSecrets,
  type HostConnection,
  inventoryConnection,
} from '../inventory/connection.js';
import type { Inventory } from '../inventory/inventory.js';
import { type LoadInventoryOptions, loadInventory } from '../inventory/loader.js';
import { matchHosts } from '../inventory/pattern.js';
import { raw } from '../transport/quote.js';
import { TransportRun } from '../transport/registry.js';
import type { VaultContext } from '../vars/vars-file.js';
import { formatHostResult, formatJsonResult, formatRecap } from './exec-output.js';
import { exitCodeForResults, recapOf, runAdHoc } from './exec-runner.js';
import { EXIT } from './exit-codes.js';
import { type CliIO, colors, secretsOf, warn } from './io.js';
import { connectionOverrides } from './options.js';
import { type VaultOptions, vaultContext } from './vault-options.js';

export interface ExecCommandOptions extends VaultOptions {
  inventory: string[];
  forks: number;
  become?: boolean;
  becomeUser?: string;
  askBecomePass?: boolean;
  trustNewHostKeys?: boolean;
  connection?: ConnectionKind;
  /** Seconds. */
  timeout?: number;
  /** Seconds. */
  connectTimeout?: number;
  /** Seconds. */
  keepaliveInterval?: number;
  keepaliveCount?: number;
  json?: boolean;
  refreshCache?: boolean;
}

/** How the CLI has inventory sources read: its environment, --refresh-cache, BOSUN_DEBUG=1's log. */
export function inventoryLoadOptions(io: CliIO, refreshCache = false): Omit<LoadInventoryOptions, 'cwd'> {
  const debug = io.env.BOSUN_DEBUG === '1';
  return {
    env: io.env,
    refreshCache,
    debug: (text) => {
      if (debug) io.stderr.write(`bosun: debug: ${text}\n`);
    },
  };
}

/**
 * Load the inventories named by -i (required), printing their warnings. Encrypted inventory
 * values are opened with the vault options' passwords and join the command's secrets.
 */
export async function loadInventoryForCli(
  paths: string[],
  io: CliIO,
  options: { refreshCache?: boolean | undefined; vault?: VaultContext } & VaultOptions = {},
): Promise<Inventory> {
  if (paths.length === 0) {
    throw new BosunError(
      'BOSUN_INPUT',
      'no inventory given: use -i FILE (for the lab: -i inventory/lab.yml)',
    );
  }
  const inventory = await loadInventory(paths, {
    ...inventoryLoadOptions(io, options.refreshCache),
    cwd: io.cwd,
    vault: options.vault ?? vaultContext(options, io),
  });
  for (const warning of inventory.warnings) warn(io, warning);
  return inventory;
}

/** Hosts matching the pattern; unmatched terms are warned about, not fatal. */
export function selectHosts(inventory: Inventory, pattern: string, io: CliIO): string[] {
  const { hosts, unmatched } = matchHosts(pattern, inventory.patternView());
  for (const term of unmatched) warn(io, `could not match host pattern, ignoring: ${term}`);
  return hosts;
}

export async function execCommand(
  pattern: string,
  words: string[],
  options: ExecCommandOptions,
  io: CliIO,
): Promise<number> {
  if (words.length === 0) {
    throw new BosunError('BOSUN_INPUT', 'no command given: bosun exec PATTERN -i INVENTORY -- COMMAND...');
  }
  // The words are the user's own shell text, as `ansible -m shell -a` takes it.
  const command = raw(words.join(' '));
  const inventory = await loadInventoryForCli(options.inventory, io, options);
  const hosts = selectHosts(inventory, pattern, io);
  if (hosts.length === 0) {
    warn(io, `no hosts matched "${pattern}"; nothing to do`);
    return EXIT.ok;
  }

  const overrides = await connectionOverrides(options, io);
  const palette = colors(io.stdout, io.env);
  // Every host's connection settings are checked before anything connects.
  const connections: HostConnection[] = hosts.map((host) =>
    inventoryConnection(inventory, host, {
      ...overrides,
      become: options.become || options.becomeUser !== undefined ? true : undefined,
      becomeUser: options.becomeUser,
    }),
  );
  // Passwords never show in what the hosts' commands print (io redacts the command's secrets).
  for (const connection of connections) secretsOf(io).add(connectionSecrets(connection));

  const run = new TransportRun();
  let results: Awaited<ReturnType<typeof runAdHoc>>;
  try {
    results = await runAdHoc({
      connections,
      command,
      forks: options.forks,
      timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
      run,
      signal: io.signal,
      onResult: (result) => {
        io.stdout.write(options.json ? formatJsonResult(result) : formatHostResult(result, palette));
      },
    });
  } finally {
    await run.close().catch((error: unknown) => warn(io, messageOf(error)));
  }
  if (io.signal?.aborted) {
    warn(io, 'interrupted');
    return EXIT.interrupted;
  }
  const recap = formatRecap(recapOf(results));
  // With --json, stdout carries only the JSON lines.
  (options.json ? io.stderr : io.stdout).write(recap);
  return exitCodeForResults(results);
}
