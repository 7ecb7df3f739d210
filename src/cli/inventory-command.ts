/** `bosun inventory list|graph`. */
import { BosunError } from '../errors.js';
import { loadInventoryForCli, selectHosts } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import { hostListings, renderGraph, renderHostList } from './inventory-view.js';
import type { CliIO } from './io.js';

export async function inventoryListCommand(
  pattern: string | undefined,
  options: { inventory: string[]; json?: boolean },
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io);
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
  options: { inventory: string[] },
  io: CliIO,
): Promise<number> {
  const inventory = await loadInventoryForCli(options.inventory, io);
  const root = group ?? 'all';
  if (!inventory.hasGroup(root)) throw new BosunError('BOSUN_INPUT', `no group "${root}" in the inventory`);
  io.stdout.write(renderGraph(inventory, root));
  return EXIT.ok;
}
