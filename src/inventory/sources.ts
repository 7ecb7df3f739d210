/**
 * Inventory sources by name, like transports: each `-i` file goes to the first registered
 * source that accepts it. A static YAML file hands its document to the loader as written; the
 * others (aws_ec2, an executable printing Ansible's JSON) produce hosts, groups and variables,
 * each variable with the place in the source file that made it.
 */
import type { SourcePosition, YamlSource } from '../model/yaml-source.js';

/** A variable a generated source sets, and where it came from. */
export interface GeneratedVar {
  name: string;
  value: unknown;
  at: SourcePosition;
  /** What made the value (`instance i-0abc in eu-west-1`, `compose`). */
  detail?: string;
}

export interface GeneratedHost {
  name: string;
  /** Groups the host is listed in directly (created when missing, as children of `all`). */
  groups: string[];
  vars: GeneratedVar[];
  at: SourcePosition;
}

export interface GeneratedGroup {
  name: string;
  /** Child groups (created when missing). */
  children: string[];
  vars: GeneratedVar[];
  at: SourcePosition;
}

export interface GeneratedInventory {
  /** `aws_ec2` or `script`: shown as where variables came from. */
  origin: 'aws_ec2' | 'script';
  hosts: GeneratedHost[];
  groups: GeneratedGroup[];
  warnings: string[];
}

/** One `-i` file as the sources see it. */
export interface InventoryFile {
  /** Absolute path. */
  path: string;
  /** As the user named it. */
  display: string;
  executable: boolean;
  /** The parsed document, for a .yml, .yaml or .json file. */
  yaml?: YamlSource | undefined;
}

export interface InventorySourceContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Skip caches (and write them anew). */
  refreshCache: boolean;
  /** Detail for BOSUN_DEBUG=1; never user-facing otherwise. */
  debug: (text: string) => void;
}

export type LoadedSource =
  | { kind: 'yaml'; source: YamlSource }
  | { kind: 'generated'; inventory: GeneratedInventory };

export interface InventorySource {
  name: string;
  accepts(file: InventoryFile): boolean;
  load(file: InventoryFile, context: InventorySourceContext): Promise<LoadedSource>;
}

const sources: InventorySource[] = [];

/** Register a source; later registrations are asked first, so a plugin can claim files before YAML. */
export function registerInventorySource(source: InventorySource): void {
  if (!/^[a-z][a-z0-9_]*$/.test(source.name))
    throw new TypeError(`invalid inventory source name: ${source.name}`);
  const existing = sources.findIndex((s) => s.name === source.name);
  if (existing >= 0) sources.splice(existing, 1);
  sources.unshift(source);
}

export function registeredInventorySources(): string[] {
  return sources.map((s) => s.name).sort();
}

/** The source that reads `file`, if any. */
export function sourceFor(file: InventoryFile): InventorySource | undefined {
  return sources.find((source) => source.accepts(file));
}

/** The `plugin:` a YAML document names, if it is a mapping with one. */
export function pluginOf(file: InventoryFile): unknown {
  const data = file.yaml?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return (data as Record<string, unknown>).plugin;
}
