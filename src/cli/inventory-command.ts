/** `bosun inventory list|graph|host`. */
import { BosunError } from '../errors.js';
import { inventoryConnection } from '../inventory/connection.js';
import { loadInventoryForCli, selectHosts } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import {
  hostListings,
  hostView,
  inventorySecrets,
  renderGraph,
  renderHost,
  renderHostList,
} from './inventory-view.js';
import { type CliIO, secretsOf } from './io.js';
import type { VaultOptions } from './vault-options.js';

export async function inventoryListCommand(
  pattern: string | undefined,
  options: { inventory: string[]; json?: boolean; refreshCache?: boolean } & VaultOptions,
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options);
  const hosts = selectHosts(inventory, pattern ?? 'all', io);
  const listings = hostListings(inventory, hosts);
  if (options.json) {
    for (const listing of listings) io.stdout.write(`${JSON.stringify(listing)}\n`);
  } else if (listings.length > 0) {
    io.stdout.write(renderHostList(listings));
  }
  return EXIT.ok;
}

export async function inventoryGraphCommand(
  group: string | undefined,
  options: { inventory: string[]; vars?: boolean; refreshCache?: boolean } & VaultOptions,
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options);
  const root = group ?? 'all';
  if (!inventory.hasGroup(root)) throw new BosunError('BOSUN_INPUT', `no group "${root}" in the inventory`);
  if (options.vars) secretsOf(io).add(inventorySecrets(inventory, inventory.hostNames()));
  io.stdout.write(renderGraph(inventory, root, { vars: options.vars ?? false }));
  return EXIT.ok;
}

export async function inventoryHostCommand(
  host: string,
  options: { inventory: string[]; json?: boolean; refreshCache?: boolean } & VaultOptions,
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options);
  if (!inventory.hasHost(host)) throw new BosunError('BOSUN_INPUT', `no host "${host}" in the inventory`);
  secretsOf(io).add(inventorySecrets(inventory, [host]));
  const view = hostView(inventory, host, inventoryConnection(inventory, host));
  io.stdout.write(options.json ? `${JSON.stringify(view)}\n` : renderHost(view));
  return EXIT.ok;
}
