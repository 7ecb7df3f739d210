/**
 * The variables a host sees in a play and in one task, built from E's layers (see
 * src/vars/precedence.ts for the order): inventory, play vars, vars files, extra vars and
 * Bosun's magic variables for the play; role defaults, role params, task vars and facts
 * (registered results, set_fact) added per task.
 */
import type { Inventory } from '../inventory/inventory.js';
import type { PlayModel } from '../model/playbook-types.js';
import { formatPosition } from '../model/yaml-source.js';
import { type ExtraVars, extraVarsLayer } from '../vars/extra-vars.js';
import { inventoryLayers, mappingLayer, type VarLayerInput, VarScope } from '../vars/scope.js';
import type { TaskEntry } from './play-plan.js';

/** What a host has learnt during the run: registered results and set_fact values, by name. */
export class FactStore {
  private readonly byHost = new Map<
    string,
    { values: Record<string, unknown>; sources: Record<string, string> }
  >();

  set(host: string, name: string, value: unknown, source: string): void {
    let entry = this.byHost.get(host);
    if (!entry) {
      entry = { values: {}, sources: {} };
      this.byHost.set(host, entry);
    }
    entry.values[name] = value;
    entry.sources[name] = source;
  }

  values(host: string): Record<string, unknown> {
    return this.byHost.get(host)?.values ?? {};
  }

  layer(host: string): VarLayerInput {
    const entry = this.byHost.get(host);
    return { layer: 'facts', source: 'facts', values: { ...entry?.values }, sources: { ...entry?.sources } };
  }
}

export interface MagicInput {
  inventory: Inventory;
  host: string;
  /** The account the host's transport logs in as (bosun_connection_user). */
  connectionUser?: string | undefined;
  /** How the host is reached, after --connection (bosun_connection_kind): ssh, local or docker. */
  connectionKind?: string | undefined;
  playbookDir: string;
  check: boolean;
  diff: boolean;
  /** Hosts of the play, and of the current batch. */
  playHosts: readonly string[];
  batchHosts: readonly string[];
  facts: FactStore;
}

/** Variables Bosun sets itself, named as in Ansible so playbooks read the same. */
export function magicVars(input: MagicInput): Record<string, unknown> {
  const { inventory, host } = input;
  const groups: Record<string, string[]> = {};
  for (const group of inventory.groupNames()) groups[group] = inventory.hostsOf(group);
  // Other hosts' variables, computed only when a template looks at them.
  const hostvars: Record<string, unknown> = {};
  for (const name of inventory.hostNames()) {
    Object.defineProperty(hostvars, name, {
      enumerable: true,
      get: () => ({ ...inventory.plainVarsOf(name), ...input.facts.values(name) }),
    });
  }
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    bosun_connection_user: input.connectionUser ?? null,
    bosun_connection_kind: input.connectionKind ?? null,
    group_names: inventory.host(host).groups.filter((group) => group !== 'all'),
    groups,
    hostvars,
    playbook_dir: input.playbookDir,
    ansible_check_mode: input.check,
    ansible_diff_mode: input.diff,
    ansible_play_hosts_all: [...input.playHosts],
    ansible_play_hosts: [...input.playHosts],
    play_hosts: [...input.playHosts],
    ansible_play_batch: [...input.batchHosts],
  };
}

export interface PlayScopeInput {
  inventory: Inventory;
  host: string;
  play: PlayModel;
  extraVars: ExtraVars;
  /** The play's vars files for this host, in order. */
  varsFiles: readonly VarLayerInput[];
  magic: Record<string, unknown>;
}

/** A host's variables for a play, before any task. */
export function playScope(input: PlayScopeInput): VarScope {
  const { play } = input;
  return VarScope.from([
    ...inventoryLayers(input.inventory, input.host),
    mappingLayer('play vars', play.source, [...play.path, 'vars'], play.vars),
    ...input.varsFiles,
    extraVarsLayer(input.extraVars),
    { layer: 'magic vars', source: 'set by bosun', values: input.magic },
  ]);
}

/** The scope of one task on one host: the play scope plus the task's role, its vars and the host's facts. */
export function taskScope(base: VarScope, entry: TaskEntry, facts: VarLayerInput): VarScope {
  const layers: VarLayerInput[] = [];
  const { task, roleUse } = entry;
  if (roleUse) {
    const { ref, role } = roleUse;
    layers.push({
      layer: 'role defaults',
      source: `role ${role.name} defaults (${role.dir})`,
      values: role.defaults,
    });
    layers.push(mappingLayer('role params', ref.source, [...ref.path, 'params'], ref.params));
    layers.push({
      layer: 'magic vars',
      source: 'set by bosun',
      values: { role_name: role.name, role_path: role.dir },
    });
  }
  if (task.vars) layers.push(mappingLayer('task vars', task.source, [...task.path, 'vars'], task.vars));
  layers.push(facts);
  return base.withLayers(layers);
}

/** How a fact's origin is shown by `bosun vars` and in messages. */
export function factSource(kind: 'register' | 'set_fact', entry: TaskEntry): string {
  return `${kind} at ${formatPosition(entry.task.at)}`;
}
