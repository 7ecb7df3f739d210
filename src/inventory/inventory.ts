/**
 * The loaded inventory: groups (a DAG under `all`), hosts, and every variable definition with
 * where it was written. Variables of a host are resolved in Ansible's order, and the losing
 * definitions are kept so a user can see why a value is what it is.
 */
import type { SourcePosition } from '../model/yaml-source.js';
import type { PatternInventory } from './pattern.js';

/** Written in an inventory file or a vars folder, or made by an inventory plugin or script. */
export type VarOrigin = 'inventory' | 'group_vars' | 'host_vars' | 'aws_ec2' | 'script';

export interface VarSource extends SourcePosition {
  /** Inline in an inventory file, or in a group_vars / host_vars file. */
  origin: VarOrigin;
  scope: 'group' | 'host';
  /** The group or host the variable was set on. */
  name: string;
  /** Absolute folder of the inventory file the value belongs to: relative paths resolve there. */
  baseDir: string;
  /** What made a generated value, e.g. `instance i-0abc in eu-west-1`. */
  detail?: string;
}

export interface VarDefinition {
  name: string;
  value: unknown;
  source: VarSource;
}

export interface ResolvedVar {
  value: unknown;
  source: VarSource;
  /** Position in the precedence order: a higher rank won over a lower one. */
  rank: number;
  /** Definitions this one replaced, weakest first. */
  overridden: VarDefinition[];
}

export type HostVars = Record<string, ResolvedVar>;

export interface GroupRecord {
  name: string;
  parents: string[];
  children: string[];
  /** Hosts listed directly in the group, in declaration order. */
  hosts: string[];
  /** Inline `vars:` definitions in file order (later wins). */
  vars: VarDefinition[];
  declaredAt: SourcePosition;
}

export interface HostRecord {
  name: string;
  /** Groups the host is listed in directly. */
  groups: string[];
  /** Inline host variables in file order (later wins). */
  vars: VarDefinition[];
  declaredAt: SourcePosition;
}

/** One group_vars/host_vars file (or folder) beside inventory source number `sourceIndex`. */
export interface VarsFileRecord {
  sourceIndex: number;
  scope: 'group' | 'host';
  name: string;
  vars: VarDefinition[];
}

export interface InventoryHost {
  name: string;
  /** Every group the host is in, `all` first, then by depth and name (Ansible's order). */
  groups: string[];
  /** Groups that list the host directly. */
  directGroups: string[];
  declaredAt: SourcePosition;
}

export interface InventoryGroup {
  name: string;
  /** Longest distance from `all` (all = 0). */
  depth: number;
  parents: string[];
  children: string[];
  /** Hosts listed directly. */
  hosts: string[];
}

export class Inventory {
  private readonly depths = new Map<string, number>();
  private readonly hostGroupsCache = new Map<string, string[]>();

  constructor(
    private readonly groupRecords: ReadonlyMap<string, GroupRecord>,
    private readonly hostRecords: ReadonlyMap<string, HostRecord>,
    private readonly varsFiles: readonly VarsFileRecord[],
    /** Inventory sources in load order (as given). */
    readonly sources: readonly string[],
    /** Things worth telling the user that do not stop the load. */
    readonly warnings: readonly string[],
  ) {
    this.computeDepth('all', 0);
  }

  private computeDepth(name: string, depth: number): void {
    if ((this.depths.get(name) ?? -1) >= depth) return;
    this.depths.set(name, depth);
    for (const child of this.groupRecords.get(name)?.children ?? []) this.computeDepth(child, depth + 1);
  }

  /** Host names in declaration order. */
  hostNames(): string[] {
    return [...this.hostRecords.keys()];
  }

  /** Group names: `all`, then by depth and name. */
  groupNames(): string[] {
    return this.sortGroups([...this.groupRecords.keys()]);
  }

  hasHost(name: string): boolean {
    return this.hostRecords.has(name);
  }

  hasGroup(name: string): boolean {
    return this.groupRecords.has(name);
  }

  host(name: string): InventoryHost {
    const record = this.hostRecords.get(name);
    if (!record) throw new RangeError(`no host ${name} in the inventory`);
    return {
      name,
      groups: this.groupsOfHost(name),
      directGroups: [...record.groups],
      declaredAt: record.declaredAt,
    };
  }

  group(name: string): InventoryGroup {
    const record = this.groupRecords.get(name);
    if (!record) throw new RangeError(`no group ${name} in the inventory`);
    return {
      name,
      depth: this.depths.get(name) ?? 0,
      parents: [...record.parents],
      children: [...record.children],
      hosts: [...record.hosts],
    };
  }

  /**
   * Every host in the group or its descendants: the group's own hosts first, then each
   * descendant's, breadth first (Ansible's order). `all` is every host in declaration order.
   */
  hostsOf(group: string): string[] {
    if (group === 'all') return this.hostNames();
    const record = this.groupRecords.get(group);
    if (!record) return [];
    const seen = new Set<string>();
    const visited = new Set<string>([group]);
    const queue = [record];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const host of current.hosts) seen.add(host);
      for (const child of current.children) {
        if (visited.has(child)) continue;
        visited.add(child);
        const next = this.groupRecords.get(child);
        if (next) queue.push(next);
      }
    }
    return [...seen];
  }

  /** The view host patterns are evaluated against. */
  patternView(): PatternInventory {
    const groups = new Map<string, string[]>();
    for (const name of this.groupRecords.keys()) groups.set(name, this.hostsOf(name));
    return { hosts: this.hostNames(), groups };
  }

  private groupsOfHost(name: string): string[] {
    const cached = this.hostGroupsCache.get(name);
    if (cached) return cached;
    const found = new Set<string>(['all']);
    const stack = [...(this.hostRecords.get(name)?.groups ?? [])];
    while (stack.length > 0) {
      const group = stack.pop()!;
      if (found.has(group)) continue;
      found.add(group);
      stack.push(...(this.groupRecords.get(group)?.parents ?? []));
    }
    const sorted = this.sortGroups([...found]);
    this.hostGroupsCache.set(name, sorted);
    return sorted;
  }

  /** Ansible's sort_groups: by depth, then name (`all` is depth 0, so first). */
  private sortGroups(names: string[]): string[] {
    return names.sort((a, b) => {
      const depth = (this.depths.get(a) ?? 0) - (this.depths.get(b) ?? 0);
      return depth !== 0 ? depth : a < b ? -1 : a > b ? 1 : 0;
    });
  }

  /**
   * The definitions that apply to a host, weakest first, in Ansible's precedence order:
   * `all` inline vars < group_vars/all < other groups' inline vars (by depth, then name) <
   * group_vars/<group> files (by inventory source, then depth and name) < host inline vars <
   * host_vars/<host> files.
   */
  definitionsFor(hostName: string): VarDefinition[] {
    const host = this.hostRecords.get(hostName);
    if (!host) throw new RangeError(`no host ${hostName} in the inventory`);
    const groups = this.groupsOfHost(hostName).filter((g) => g !== 'all');
    const layers: VarDefinition[] = [];
    layers.push(...(this.groupRecords.get('all')?.vars ?? []));
    layers.push(...this.fileVars('group', ['all']));
    for (const group of groups) layers.push(...(this.groupRecords.get(group)?.vars ?? []));
    layers.push(...this.fileVars('group', groups));
    layers.push(...host.vars);
    layers.push(...this.fileVars('host', [hostName]));
    return layers;
  }

  private fileVars(scope: 'group' | 'host', names: string[]): VarDefinition[] {
    const out: VarDefinition[] = [];
    const sourceCount = this.sources.length;
    for (let source = 0; source < sourceCount; source++) {
      for (const name of names) {
        for (const file of this.varsFiles) {
          if (file.sourceIndex === source && file.scope === scope && file.name === name)
            out.push(...file.vars);
        }
      }
    }
    return out;
  }

  /** Resolved variables of a host, each with its source and what it overrode. */
  varsOf(hostName: string): HostVars {
    const out: HostVars = {};
    // Definitions written in one place (a vars block, a file) share a rank, so that aliases
    // set side by side tie and the caller can break the tie by name.
    let rank = -1;
    let place = '';
    for (const definition of this.definitionsFor(hostName)) {
      const { origin, scope, name, file } = definition.source;
      const here = `${origin}\u0000${scope}\u0000${name}\u0000${file}`;
      if (here !== place) {
        rank += 1;
        place = here;
      }
      const previous = out[definition.name];
      const overridden = previous
        ? [...previous.overridden, { name: definition.name, value: previous.value, source: previous.source }]
        : [];
      out[definition.name] = { value: definition.value, source: definition.source, rank, overridden };
    }
    return out;
  }

  /** Resolved variables of a host as plain values. */
  plainVarsOf(hostName: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, resolved] of Object.entries(this.varsOf(hostName))) out[name] = resolved.value;
    return out;
  }
}
