/** Text views of an inventory: `ansible-inventory --graph` style, and a host list. */
import type { Inventory } from '../inventory/inventory.js';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function graphLine(name: string, depth: number): string {
  return depth === 0 ? name : `${'  |'.repeat(depth)}--${name}`;
}

/**
 * The group tree from `root` as ansible-inventory --graph draws it: child groups first, then
 * the group's own hosts, both by name. `all` lists no hosts itself: its direct hosts show
 * under `ungrouped` or the groups they are in.
 */
export function renderGraph(inventory: Inventory, root = 'all'): string {
  const lines: string[] = [];
  const walk = (name: string, depth: number) => {
    const group = inventory.group(name);
    lines.push(graphLine(`@${name}:`, depth));
    for (const child of [...group.children].sort(byName)) walk(child, depth + 1);
    if (name !== 'all')
      for (const host of [...group.hosts].sort(byName)) lines.push(graphLine(host, depth + 1));
  };
  walk(root, 0);
  return `${lines.join('\n')}\n`;
}

export interface HostListing {
  host: string;
  /** Every group the host is in except `all`, in precedence order. */
  groups: string[];
}

export function hostListings(inventory: Inventory, hosts: readonly string[]): HostListing[] {
  return hosts.map((host) => ({ host, groups: inventory.host(host).groups.filter((g) => g !== 'all') }));
}

export function renderHostList(listings: readonly HostListing[]): string {
  const width = Math.max(4, ...listings.map((l) => l.host.length));
  const lines = [`${'HOST'.padEnd(width)}  GROUPS`];
  for (const l of listings) lines.push(`${l.host.padEnd(width)}  ${l.groups.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
