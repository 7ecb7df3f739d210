/**
 * From instances to an inventory, with no AWS call: host names by the `hostnames` preference
 * list, `keyed_groups`, `groups` by condition, `compose`, the default address, and the bastion
 * each private host jumps through. Every variable names the line of the file (or the instance)
 * that made it.
 */
import { BosunError, isBosunError } from '../errors.js';
import type { KeyPath, YamlSource } from '../model/yaml-source.js';
import { VarScope } from '../vars/scope.js';
import { evaluateCondition, renderText, renderValue } from '../vars/template.js';
import type { AwsEc2File } from './aws-ec2-schema.js';
import type { InstanceData, RegionInstances } from './ec2-instances.js';
import type { GeneratedGroup, GeneratedHost, GeneratedInventory, GeneratedVar } from './sources.js';

const CODE = 'BOSUN_INVENTORY';
const DEFAULT_HOSTNAMES = ['dns-name', 'private-dns-name'];
const DEFAULT_BASTION_GROUP = 'bastions';
/** Every host the plugin finds is in this group, as with Ansible's plugin. */
const PLUGIN_GROUP = 'aws_ec2';
/** The connection variables that say where a host is; compose setting one replaces the default address. */
const ADDRESS_VARIABLES = ['bosun_host', 'ansible_host', 'ansible_ssh_host'];

/** Hostname preference names that differ from the data key they read. */
const HOSTNAME_ALIASES: Record<string, string> = {
  'dns-name': 'public_dns_name',
  'ip-address': 'public_ip_address',
  'public-ip-address': 'public_ip_address',
};

function scopeOf(data: Record<string, unknown>): VarScope {
  return VarScope.from([
    { layer: 'inventory host vars', source: 'instance', values: data, templated: false },
  ]);
}

const describeInstance = (data: InstanceData) =>
  `instance ${data.instance_id} in ${(data.placement as { region?: string } | undefined)?.region ?? '?'}`;

/** A dotted path into the data, with `list[].field` projecting over a list. */
export function readPath(data: unknown, path: string): unknown {
  let values: unknown[] = [data];
  let projected = false;
  for (const raw of path.split('.')) {
    const each = raw.endsWith('[]');
    const key = each ? raw.slice(0, -2) : raw;
    const next: unknown[] = [];
    for (const value of values) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const inner = (value as Record<string, unknown>)[key];
      if (inner === undefined || inner === null) continue;
      if (each) {
        if (Array.isArray(inner)) next.push(...inner);
      } else next.push(inner);
    }
    values = next;
    projected ||= each;
  }
  return projected ? values : values[0];
}

/** Ansible's group name sanitising: anything but letters, digits and `_` becomes `_`. */
export function sanitizeGroupName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

interface BuildContext {
  file: AwsEc2File;
  yaml: YamlSource;
}

function position(context: BuildContext, path: KeyPath) {
  return context.yaml.positionOf(path, 'key');
}

/** The first preference that gives the instance a name. */
function hostnameOf(context: BuildContext, data: InstanceData): string | undefined {
  const preferences = context.file.hostnames ?? DEFAULT_HOSTNAMES;
  for (const [index, preference] of preferences.entries()) {
    const spec = typeof preference === 'string' ? { name: preference } : preference;
    let value: unknown;
    if (spec.name.includes('{{')) {
      value = renderText(spec.name, scopeOf(data), { source: context.yaml, path: ['hostnames', index] });
    } else if (spec.name.startsWith('tag:')) {
      value = (data.tags as Record<string, string>)[spec.name.slice(4)];
    } else {
      value = readPath(data, HOSTNAME_ALIASES[spec.name] ?? spec.name.replace(/-/g, '_'));
    }
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string' || value === '') continue;
    return spec.prefix ? `${spec.prefix}${spec.separator ?? '_'}${value}` : value;
  }
  return undefined;
}

/** Group names a keyed group gives the instance (none when its key is missing). */
function keyedGroupNames(context: BuildContext, data: InstanceData, index: number): string[] {
  const keyed = context.file.keyed_groups![index]!;
  const value = keyed.key.includes('{{')
    ? renderValue(keyed.key, scopeOf(data), { source: context.yaml, path: ['keyed_groups', index, 'key'] })
    : readPath(data, keyed.key);
  const words: string[] = [];
  const add = (item: unknown) => {
    if (item === null || item === undefined || item === '') return;
    if (typeof item === 'object' && !Array.isArray(item)) {
      for (const [k, v] of Object.entries(item))
        words.push(v === '' ? k : `${k}${keyed.separator ?? '_'}${String(v)}`);
    } else if (!Array.isArray(item)) words.push(String(item));
  };
  if (Array.isArray(value)) value.forEach(add);
  else add(value);
  return words.map((word) =>
    sanitizeGroupName(keyed.prefix ? `${keyed.prefix}${keyed.separator ?? '_'}${word}` : word),
  );
}

function conditionHolds(
  context: BuildContext,
  data: InstanceData,
  group: string,
  condition: string | boolean,
): boolean {
  try {
    return evaluateCondition(condition, scopeOf(data), { source: context.yaml, path: ['groups', group] });
  } catch (error) {
    // As Ansible's non-strict constructed groups: a condition on data this instance lacks is false.
    if (isBosunError(error) && error.details?.variable !== undefined) return false;
    throw error;
  }
}

interface Named {
  name: string;
  data: InstanceData;
}

/** Name every instance, refusing two instances with one name. */
function nameInstances(
  context: BuildContext,
  instances: InstanceData[],
  warnings: string[],
  display: string,
): Named[] {
  const byName = new Map<string, InstanceData>();
  const out: Named[] = [];
  for (const data of instances) {
    const name = hostnameOf(context, data);
    if (name === undefined) {
      warnings.push(`${display}: ${describeInstance(data)} has none of the hostnames asked for; skipped`);
      continue;
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new BosunError(
        CODE,
        `${display}: ${describeInstance(data)} gets the host name ${JSON.stringify(name)}, which is not a valid host name: choose another hostnames preference`,
      );
    }
    const other = byName.get(name);
    if (other) {
      throw new BosunError(
        CODE,
        `${display}: host name "${name}" is given to two instances, ${describeInstance(other)} and ${describeInstance(data)}: add a hostnames preference that tells them apart (e.g. instance-id)`,
        { details: { host: name, instances: [other.instance_id, data.instance_id] } },
      );
    }
    byName.set(name, data);
    out.push({ name, data });
  }
  return out;
}

/** The bastion (inventory name) that serves each VPC, from the instances carrying the bastion tags. */
function bastionsByVpc(
  context: BuildContext,
  regions: readonly RegionInstances[],
  warnings: string[],
  display: string,
): { byVpc: Map<string, string>; hosts: Named[] } {
  const byVpc = new Map<string, Named>();
  for (const region of regions) {
    const sorted = [...region.bastions].sort((a, b) => (a.instance_id < b.instance_id ? -1 : 1));
    for (const data of sorted) {
      const vpc = data.vpc_id;
      if (typeof vpc !== 'string') continue;
      if (typeof data.public_ip_address !== 'string') {
        warnings.push(`${display}: bastion ${describeInstance(data)} has no public address; not used`);
        continue;
      }
      const chosen = byVpc.get(vpc);
      if (chosen) {
        warnings.push(
          `${display}: ${vpc} has several bastions; using ${describeInstance(chosen.data)}, not ${describeInstance(data)}`,
        );
        continue;
      }
      byVpc.set(vpc, { name: hostnameOf(context, data) ?? data.instance_id, data });
    }
  }
  return {
    byVpc: new Map([...byVpc].map(([vpc, named]) => [vpc, named.name])),
    hosts: [...byVpc.values()],
  };
}

export function ec2Inventory(
  file: AwsEc2File,
  yaml: YamlSource,
  regions: readonly RegionInstances[],
): GeneratedInventory {
  const context: BuildContext = { file, yaml };
  const display = yaml.file;
  const warnings: string[] = [];
  const named = nameInstances(
    context,
    regions.flatMap((r) => r.instances),
    warnings,
    display,
  );
  const bastions = file.bastion?.tags ? bastionsByVpc(context, regions, warnings, display) : undefined;
  // A tagged bastion the filters left out still joins the inventory: the hosts need it.
  const bastionGroup = file.bastion?.group ?? DEFAULT_BASTION_GROUP;
  const bastionNames = new Set(bastions?.hosts.map((b) => b.name));
  for (const bastion of bastions?.hosts ?? []) {
    const same = named.find((n) => n.name === bastion.name);
    if (same && same.data.instance_id !== bastion.data.instance_id) {
      throw new BosunError(
        CODE,
        `${display}: host name "${bastion.name}" is given to two instances, ${describeInstance(same.data)} and bastion ${describeInstance(bastion.data)}`,
      );
    }
    if (!same) named.push(bastion);
  }

  const groups = new Map<string, GeneratedGroup>();
  const groupAt = (path: KeyPath) => position(context, path);
  const ensureGroup = (name: string, path: KeyPath): GeneratedGroup => {
    let group = groups.get(name);
    if (!group) {
      group = { name, children: [], vars: [], at: groupAt(path) };
      groups.set(name, group);
    }
    return group;
  };

  const hosts: GeneratedHost[] = [];
  for (const { name, data } of named) {
    const detail = describeInstance(data);
    const at = { file: display, line: 1, column: 1 };
    const memberOf: string[] = [];
    const join = (group: string, path: KeyPath) => {
      ensureGroup(group, path);
      if (!memberOf.includes(group)) memberOf.push(group);
    };
    join(PLUGIN_GROUP, ['plugin']);
    for (const [index, keyed] of (file.keyed_groups ?? []).entries()) {
      for (const group of keyedGroupNames(context, data, index)) {
        join(group, ['keyed_groups', index]);
        if (keyed.parent_group) {
          const parent = ensureGroup(keyed.parent_group, ['keyed_groups', index, 'parent_group']);
          if (!parent.children.includes(group)) parent.children.push(group);
        }
      }
    }
    for (const [group, condition] of Object.entries(file.groups ?? {})) {
      if (conditionHolds(context, data, group, condition)) join(group, ['groups', group]);
    }
    if (bastionNames.has(name)) join(bastionGroup, ['bastion', 'tags']);

    const vars: GeneratedVar[] = Object.entries(data).map(([key, value]) => ({
      name: key,
      value,
      at,
      detail,
    }));
    // compose: each value rendered over the instance's data and what compose set before it.
    const composed: Record<string, unknown> = { ...data };
    for (const [key, template] of Object.entries(file.compose ?? {})) {
      const path = ['compose', key];
      let value: unknown;
      try {
        value = renderValue(template, scopeOf(composed), { source: yaml, path });
      } catch (error) {
        if (isBosunError(error))
          throw new BosunError(error.code, `${error.message} (${detail})`, { cause: error });
        throw error;
      }
      composed[key] = value;
      vars.push({ name: key, value, at: position(context, path), detail: `compose, ${detail}` });
    }
    const address = data.public_ip_address ?? data.private_ip_address;
    if (bastionNames.has(name)) {
      // A bastion found by tag is dialled from here, so on its public address whatever compose says.
      vars.push({
        name: 'bosun_host',
        value: data.public_ip_address,
        at: position(context, ['bastion', 'tags']),
        detail: `public address of bastion ${detail}`,
      });
    } else if (
      !Object.keys(file.compose ?? {}).some((k) => ADDRESS_VARIABLES.includes(k)) &&
      typeof address === 'string'
    ) {
      vars.push({
        name: 'bosun_host',
        value: address,
        at,
        detail: `${data.public_ip_address ? 'public' : 'private'} address of ${detail}`,
      });
    }
    if (data.public_ip_address === undefined && !bastionNames.has(name)) {
      const bastion = bastionFor(context, data, bastions?.byVpc);
      if (bastion)
        vars.push({
          name: 'bosun_bastion',
          value: bastion.name,
          at: position(context, bastion.path),
          detail: bastion.detail,
        });
      else if (bastions)
        warnings.push(
          `${display}: no bastion in ${String(data.vpc_id)} for ${name} (${detail}): dialled directly`,
        );
    }
    hosts.push({ name, groups: memberOf, vars, at });
  }
  return { origin: 'aws_ec2', hosts, groups: [...groups.values()], warnings };
}

function bastionFor(
  context: BuildContext,
  data: InstanceData,
  byVpc: Map<string, string> | undefined,
): { name: string; path: KeyPath; detail: string } | undefined {
  const named = context.file.bastion?.host;
  if (named) return { name: named, path: ['bastion', 'host'], detail: 'bastion named in the file' };
  const found = byVpc?.get(String(data.vpc_id));
  if (found)
    return { name: found, path: ['bastion', 'tags'], detail: `bastion tagged in ${String(data.vpc_id)}` };
  return undefined;
}
