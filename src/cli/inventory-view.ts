/**
 * Text views of an inventory: `ansible-inventory --graph` style, a host list, and one host
 * with its variables, where each was set, and the hops that reach it. Secrets are not masked
 * here but by value, as in every output of a command: vault values joined the command's
 * secrets when the inventory was opened, and `inventorySecrets` gives the passwords.
 */
import { type HostConnection, secretVariableValues } from '../inventory/connection.js';
import type { Inventory } from '../inventory/inventory.js';
import { inventorySourceText } from '../vars/scope.js';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function graphLine(name: string, depth: number): string {
  return depth === 0 ? name : `${'  |'.repeat(depth)}--${name}`;
}

/**
 * The group tree from `root` as ansible-inventory --graph draws it: child groups first, then
 * the group's own hosts, both by name. `all` lists no hosts itself: its direct hosts show
 * under `ungrouped` or the groups they are in.
 */
export function renderGraph(inventory: Inventory, root = 'all', options: { vars?: boolean } = {}): string {
  const lines: string[] = [];
  const walk = (name: string, depth: number) => {
    const group = inventory.group(name);
    lines.push(graphLine(`@${name}:`, depth));
    for (const child of [...group.children].sort(byName)) walk(child, depth + 1);
    if (name !== 'all')
      for (const host of [...group.hosts].sort(byName)) {
        lines.push(graphLine(host, depth + 1));
        if (!options.vars) continue;
        for (const [variable, resolved] of Object.entries(inventory.varsOf(host)).sort(([a], [b]) =>
          byName(a, b),
        )) {
          const value = shownValue(resolved.value);
          lines.push(
            graphLine(`{${variable} = ${value}}  # ${inventorySourceText(resolved.source)}`, depth + 2),
          );
        }
      }
  };
  walk(root, 0);
  return `${lines.join('\n')}\n`;
}

export interface HostListing {
  host: string;
  /** Every group the host is in except `all`, in precedence order. */
  groups: string[];
  /** The inventory source that first declared the host. */
  source: string;
}

export function hostListings(inventory: Inventory, hosts: readonly string[]): HostListing[] {
  return hosts.map((host) => {
    const found = inventory.host(host);
    return { host, groups: found.groups.filter((g) => g !== 'all'), source: found.declaredAt.file };
  });
}

export function renderHostList(listings: readonly HostListing[]): string {
  const width = Math.max(4, ...listings.map((l) => l.host.length));
  const groups = listings.map((l) => l.groups.join(', '));
  const groupWidth = Math.max(6, ...groups.map((g) => g.length));
  const lines = [`${'HOST'.padEnd(width)}  ${'GROUPS'.padEnd(groupWidth)}  SOURCE`];
  listings.forEach((l, i) => {
    lines.push(`${l.host.padEnd(width)}  ${groups[i]!.padEnd(groupWidth)}  ${l.source}`);
  });
  return `${lines.join('\n')}\n`;
}

function shownValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The password variables' values of `hosts`, as the command's output must redact them. */
export function inventorySecrets(inventory: Inventory, hosts: readonly string[]): unknown[] {
  return hosts.flatMap((host) =>
    Object.entries(inventory.varsOf(host)).flatMap(([name, resolved]) =>
      secretVariableValues(name, [resolved.value, ...resolved.overridden.map((o) => o.value)]),
    ),
  );
}

/** `user@host:port` of each hop, the host last. */
export function jumpChain(connection: HostConnection): string[] {
  const transport = connection.transport;
  if (transport.kind !== 'ssh')
    return [`${transport.kind} ${transport.kind === 'docker' ? transport.container : connection.host}`];
  const hop = (e: { host: string; port?: number | undefined; user?: string | undefined }) =>
    `${e.user ? `${e.user}@` : ''}${e.host}:${e.port ?? 22}`;
  return [...(transport.bastions ?? []).map(hop), hop(transport)];
}

export interface HostView {
  host: string;
  source: string;
  groups: string[];
  /** Hops from here, the host last. */
  jumpChain: string[];
  vars: { name: string; value: unknown; source: string; overridden: { value: unknown; source: string }[] }[];
}

export function hostView(inventory: Inventory, host: string, connection: HostConnection): HostView {
  const found = inventory.host(host);
  const vars = Object.entries(inventory.varsOf(host))
    .sort(([a], [b]) => byName(a, b))
    .map(([name, resolved]) => ({
      name,
      value: resolved.value,
      source: inventorySourceText(resolved.source),
      overridden: resolved.overridden.map((o) => ({ value: o.value, source: inventorySourceText(o.source) })),
    }));
  return {
    host,
    source: found.declaredAt.file,
    groups: found.groups.filter((g) => g !== 'all'),
    jumpChain: jumpChain(connection),
    vars,
  };
}

export function renderHost(view: HostView): string {
  const lines = [
    `host:   ${view.host}`,
    `source: ${view.source}`,
    `groups: ${view.groups.join(', ') || '(none)'}`,
    `reach:  ${view.jumpChain.join(' -> ')}`,
    'variables:',
  ];
  for (const v of view.vars) {
    lines.push(`  ${v.name} = ${shownValue(v.value)}`, `      from ${v.source}`);
    for (const o of v.overridden) lines.push(`      over ${shownValue(o.value)} from ${o.source}`);
  }
  return `${lines.join('\n')}\n`;
}
