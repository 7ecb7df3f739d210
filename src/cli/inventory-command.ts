/** `bosun inventory list|graph|host`. */
import { BosunError } from '../errors.js';
import { inventoryConnection } from '../inventory/connection.js';
import { loadInventoryForCli, selectHosts } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import { hostListings, hostView, renderGraph, renderHost, renderHostList } from './inventory-view.js';
import type { CliIO } from './io.js';

export async function inventoryListCommand(
  pattern: string | undefined,
  options: { inventory: string[]; json?: boolean; refreshCache?: boolean },
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options.refreshCache);
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
  options: { inventory: string[]; vars?: boolean; refreshCache?: boolean },
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options.refreshCache);
  const root = group ?? 'all';
  if (!inventory.hasGroup(root)) throw new BosunError('BOSUN_INPUT', `no group "${root}" in the inventory`);
  io.stdout.write(renderGraph(inventory, root, { vars: options.vars ?? false }));
  return EXIT.ok;
}

export async function inventoryHostCommand(
  host: string,
  options: { inventory: string[]; json?: boolean; refreshCache?: boolean },
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io, options.refreshCache);
  if (!inventory.hasHost(host)) throw new BosunError('BOSUN_INPUT', `no host "${host}" in the inventory`);
  const view = hostView(inventory, host, inventoryConnection(inventory, host));
  io.stdout.write(options.json ? `${JSON.stringify(view)}\n` : renderHost(view));
  return EXIT.ok;
}
