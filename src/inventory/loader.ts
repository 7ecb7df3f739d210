/**
 * Static YAML inventories (Ansible's shape) and the group_vars/ and host_vars/ folders beside
 * them. Several sources merge into one inventory, as `-i a.yml -i b.yml` does in Ansible.
 * Every error names file:line:column and the key path.
 */
import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { BosunError } from '../errors.js';
import { issueError, validateSource } from '../model/validate.js';
import {
  describeValue,
  formatPosition,
  type KeyPath,
  loadYamlFile,
  parseYaml,
  readSourceText,
  type SourcePosition,
  type YamlSource,
} from '../model/yaml-source.js';
import { openVars, parseVarsText, type VaultContext } from '../vars/vars-file.js';
import { stringify } from '../vendor/yaml.js';
import { expandHostRange, HostRangeError } from './host-range.js';
import {
  type GroupRecord,
  type HostRecord,
  Inventory,
  type VarDefinition,
  type VarOrigin,
  type VarsFileRecord,
} from './inventory.js';
import { InventoryFileSchema, type InventoryGroupData, VarsFileSchema } from './schema.js';
import {
  type GeneratedInventory,
  type GeneratedVar,
  type InventoryFile,
  type InventorySourceContext,
  pluginOf,
  registeredInventorySources,
  sourceFor,
} from './sources.js';
import './builtin-sources.js';

const CODE = 'BOSUN_INVENTORY';
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARS_EXTENSIONS = new Set(['', '.yml', '.yaml', '.json']);
const INVENTORY_EXTENSIONS = new Set(['.yml', '.yaml', '.json']);

export interface LoadInventoryOptions {
  /** Folder relative inventory paths are resolved from (default process.cwd()). */
  cwd?: string;
  /** Environment for sources (AWS credentials, the cache folder); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Skip inventory caches (`--refresh-cache`). */
  refreshCache?: boolean;
  /** Detail worth a debug log (BOSUN_DEBUG=1), e.g. the AWS SDK's own warnings. */
  debug?: (text: string) => void;
  /**
   * Passwords for encrypted group_vars/host_vars files and `!vault` values (inline or in those
   * files), and the secrets the decrypted values join. Without it, an encrypted value is an
   * error naming its file and key, as when no password is given.
   */
  vault?: VaultContext | undefined;
}

/**
 * Load one or more inventory sources, merged in the order given. A source is a file that a
 * registered source reads (static YAML, `plugin: aws_ec2`, an executable printing Ansible's
 * JSON), or a folder whose files are all loaded (in name order). group_vars/ and host_vars/
 * are read from the folder of each file (or the folder given) and apply to its hosts.
 */
export async function loadInventory(
  paths: string | readonly string[],
  options: LoadInventoryOptions = {},
): Promise<Inventory> {
  const list = typeof paths === 'string' ? [paths] : [...paths];
  if (list.length === 0) throw new BosunError('BOSUN_INPUT', 'no inventory given: use -i FILE');
  const cwd = options.cwd ?? process.cwd();
  const context: InventorySourceContext = {
    cwd,
    env: options.env ?? process.env,
    refreshCache: options.refreshCache ?? false,
    debug: options.debug ?? (() => {}),
  };
  const builder = new InventoryBuilder(options.vault);
  const seen = new Set<string>();
  for (const given of list) {
    const absolute = resolve(cwd, given);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(absolute);
    } catch (cause) {
      throw new BosunError(CODE, `inventory ${given} not found`, { cause });
    }
    const real = await realpath(absolute);
    if (seen.has(real)) continue;
    seen.add(real);
    if (info.isDirectory()) {
      const names = (await readdir(absolute, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .sort();
      const files: string[] = [];
      for (const name of names) {
        if (INVENTORY_EXTENSIONS.has(extname(name)) || (await isExecutable(join(absolute, name))))
          files.push(name);
      }
      if (files.length === 0)
        throw new BosunError(CODE, `inventory folder ${given} has no .yml, .yaml, .json or executable file`);
      const index = builder.addSource(given);
      for (const file of files)
        await loadFile(builder, join(absolute, file), join(given, file), absolute, context, options.vault);
      await builder.addVarsFolders(index, absolute, given);
    } else {
      const index = builder.addSource(given);
      await loadFile(builder, absolute, given, dirname(absolute), context, options.vault);
      await builder.addVarsFolders(index, dirname(absolute), dirname(given));
    }
  }
  return builder.build();
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** One file through the source that reads it. */
async function loadFile(
  builder: InventoryBuilder,
  path: string,
  display: string,
  baseDir: string,
  context: InventorySourceContext,
  vault: VaultContext | undefined,
): Promise<void> {
  const yaml = INVENTORY_EXTENSIONS.has(extname(path))
    ? await loadYamlFile(path, { code: CODE, display })
    : undefined;
  const file: InventoryFile = { path, display, executable: await isExecutable(path), yaml };
  const source = sourceFor(file);
  if (!source) {
    const plugin = pluginOf(file);
    if (yaml && typeof plugin === 'string') {
      throw issueError(
        yaml,
        ['plugin'],
        'value',
        `unknown inventory plugin ${JSON.stringify(plugin)}; known: ${registeredInventorySources()
          .filter((name) => name !== 'yaml' && name !== 'script')
          .join(', ')}`,
        CODE,
      );
    }
    throw new BosunError(
      CODE,
      `inventory ${display} is neither YAML (.yml, .yaml, .json) nor an executable script`,
    );
  }
  const loaded = await source.load(file, context);
  if (loaded.kind === 'yaml')
    builder.addDocument(loaded.source, baseDir, await openVars(loaded.source.data, vault, display));
  else builder.addGenerated(loaded.inventory, baseDir);
}

/** An inventory from YAML text (no group_vars/host_vars); for tests and generated inventories. */
export function parseInventory(text: string, file = '<inventory>', baseDir = process.cwd()): Inventory {
  const builder = new InventoryBuilder();
  builder.addSource(file);
  builder.addDocument(parseYaml(text, file, { code: CODE }), resolve(baseDir));
  return builder.build();
}

/** An inventory from an in-memory document (e.g. a lab fleet's), positions from its YAML form. */
export function inventoryFromDocument(
  document: unknown,
  file = '<inventory>',
  baseDir = process.cwd(),
): Inventory {
  return parseInventory(stringify(document), file, baseDir);
}

class InventoryBuilder {
  constructor(private readonly vault?: VaultContext) {}

  private readonly groups = new Map<string, GroupRecord>();
  private readonly hosts = new Map<string, HostRecord>();
  private readonly varsFiles: VarsFileRecord[] = [];
  private readonly sources: string[] = [];
  private readonly warnings: string[] = [];

  addSource(display: string): number {
    this.sources.push(display);
    return this.sources.length - 1;
  }

  /** `data` is the document's, `!vault` values decrypted. */
  addDocument(source: YamlSource, baseDir: string, data: unknown = source.data): void {
    if (data === null) {
      this.warnings.push(`${source.file}: inventory is empty`);
      return;
    }
    if (!isMapping(data)) {
      throw issueError(
        source,
        [],
        'value',
        `inventory must be a mapping of groups (all: ...), got ${describeValue(data)}`,
        CODE,
      );
    }
    const groups = validateSource(InventoryFileSchema, source, { code: CODE, data }) ?? {};
    this.ensureGroup('all', source.positionOf([]));
    for (const [name, group] of Object.entries(groups)) {
      if (name !== 'all') {
        this.checkGroupName(source, [name], name);
        this.link(source, [name], 'all', name);
      }
      this.walkGroup(source, baseDir, name, group, [name]);
    }
  }

  private walkGroup(
    source: YamlSource,
    baseDir: string,
    name: string,
    group: InventoryGroupData | null,
    path: KeyPath,
  ): void {
    const record = this.ensureGroup(name, source.positionOf(path, 'key'));
    if (!group) return;
    for (const [key, vars] of Object.entries(group.hosts ?? {})) {
      const at = [...path, 'hosts', key];
      let names: string[];
      try {
        names = expandHostRange(key);
      } catch (error) {
        if (error instanceof HostRangeError) throw issueError(source, at, 'key', error.message, CODE);
        throw error;
      }
      for (const host of names) {
        if (!HOST_NAME.test(host) && !isIPv6(host)) {
          throw issueError(
            source,
            at,
            'key',
            `host name "${host}" is not valid: use letters, digits, '.', '_' and '-' (or an IPv6 address)`,
            CODE,
          );
        }
        const hostRecord = this.ensureHost(host, source.positionOf(at, 'key'));
        if (!hostRecord.groups.includes(name)) hostRecord.groups.push(name);
        if (!record.hosts.includes(host)) record.hosts.push(host);
        hostRecord.vars.push(...this.definitions(source, at, vars ?? {}, 'inventory', 'host', host, baseDir));
      }
    }
    record.vars.push(
      ...this.definitions(source, [...path, 'vars'], group.vars ?? {}, 'inventory', 'group', name, baseDir),
    );
    for (const [child, childGroup] of Object.entries(group.children ?? {})) {
      const at = [...path, 'children', child];
      this.checkGroupName(source, at, child);
      if (child === 'all')
        throw issueError(source, at, 'key', 'group "all" cannot be the child of another group', CODE);
      this.link(source, at, name, child);
      this.walkGroup(source, baseDir, child, childGroup, at);
    }
  }

  /** Hosts, groups and variables a plugin or script made; names checked as in YAML. */
  addGenerated(inventory: GeneratedInventory, baseDir: string): void {
    this.warnings.push(...inventory.warnings);
    const all = this.ensureGroup('all', { file: this.sources.at(-1) ?? '<inventory>', line: 1, column: 1 });
    const defs = (vars: GeneratedVar[], scope: 'group' | 'host', name: string): VarDefinition[] =>
      vars.map((v) => {
        if (!VAR_NAME.test(v.name)) {
          throw new BosunError(
            CODE,
            `${formatPosition(v.at)}: ${scope} ${name}: variable name "${v.name}" is not valid: use letters, digits and '_', not starting with a digit`,
          );
        }
        return {
          name: v.name,
          value: v.value,
          source: {
            ...v.at,
            origin: inventory.origin,
            scope,
            name,
            baseDir,
            ...(v.detail ? { detail: v.detail } : {}),
          },
        };
      });
    const group = (name: string, at: SourcePosition, underAll = true): GroupRecord => {
      if (name !== 'all' && !GROUP_NAME.test(name)) {
        throw new BosunError(
          CODE,
          `${formatPosition(at)}: group name "${name}" is not valid: use letters, digits, '_' and '-', not starting with '-'`,
        );
      }
      const existed = this.groups.has(name);
      const record = this.ensureGroup(name, at);
      if (!existed && name !== 'all' && underAll) {
        all.children.push(name);
        record.parents.push('all');
      }
      return record;
    };
    const nested = new Set(inventory.groups.flatMap((g) => g.children));
    for (const generated of inventory.groups) {
      const record = group(generated.name, generated.at, !nested.has(generated.name));
      record.vars.push(...defs(generated.vars, 'group', generated.name));
      for (const child of generated.children) {
        // A group first seen as a child hangs under its parent only.
        const childRecord = group(child, generated.at, false);
        if (record.children.includes(child) || child === 'all') continue;
        if (this.pathDown(child, generated.name)) {
          throw new BosunError(
            CODE,
            `${formatPosition(generated.at)}: group "${child}" cannot be a child of "${generated.name}": that makes a cycle`,
          );
        }
        record.children.push(child);
        childRecord.parents.push(generated.name);
      }
    }
    for (const generated of inventory.hosts) {
      if (!HOST_NAME.test(generated.name) && !isIPv6(generated.name)) {
        throw new BosunError(
          CODE,
          `${formatPosition(generated.at)}: host name "${generated.name}" is not valid: use letters, digits, '.', '_' and '-' (or an IPv6 address)`,
        );
      }
      const host = this.ensureHost(generated.name, generated.at);
      for (const name of generated.groups) {
        const record = group(name, generated.at);
        if (!host.groups.includes(name)) host.groups.push(name);
        if (!record.hosts.includes(generated.name)) record.hosts.push(generated.name);
      }
      host.vars.push(...defs(generated.vars, 'host', generated.name));
    }
  }

  private checkGroupName(source: YamlSource, at: KeyPath, name: string): void {
    if (!GROUP_NAME.test(name)) {
      throw issueError(
        source,
        at,
        'key',
        `group name "${name}" is not valid: use letters, digits, '_' and '-', not starting with '-'`,
        CODE,
      );
    }
  }

  private ensureGroup(name: string, at: SourcePosition): GroupRecord {
    let record = this.groups.get(name);
    if (!record) {
      record = { name, parents: [], children: [], hosts: [], vars: [], declaredAt: at };
      this.groups.set(name, record);
    }
    return record;
  }

  private ensureHost(name: string, at: SourcePosition): HostRecord {
    let record = this.hosts.get(name);
    if (!record) {
      record = { name, groups: [], vars: [], declaredAt: at };
      this.hosts.set(name, record);
    }
    return record;
  }

  /** parent -> child, refusing a cycle (a group inside itself, directly or not). */
  private link(source: YamlSource, at: KeyPath, parent: string, child: string): void {
    const parentRecord = this.ensureGroup(parent, source.positionOf(at, 'key'));
    const childRecord = this.ensureGroup(child, source.positionOf(at, 'key'));
    if (parentRecord.children.includes(child)) return;
    const chain = this.pathDown(child, parent);
    if (chain) {
      throw issueError(
        source,
        at,
        'key',
        `group "${child}" cannot be a child of "${parent}": that makes a cycle (${[...chain, child].join(' > ')})`,
        CODE,
      );
    }
    parentRecord.children.push(child);
    childRecord.parents.push(parent);
  }

  /** Names on a path from `from` down to `to` through children, if there is one. */
  private pathDown(from: string, to: string, visited = new Set<string>()): string[] | undefined {
    if (from === to) return [from];
    if (visited.has(from)) return undefined;
    visited.add(from);
    for (const child of this.groups.get(from)?.children ?? []) {
      const rest = this.pathDown(child, to, visited);
      if (rest) return [from, ...rest];
    }
    return undefined;
  }

  private definitions(
    source: YamlSource,
    at: KeyPath,
    vars: Record<string, unknown>,
    origin: VarOrigin,
    scope: 'group' | 'host',
    name: string,
    baseDir: string,
  ): VarDefinition[] {
    return Object.entries(vars).map(([key, value]) => {
      const path = [...at, key];
      if (!VAR_NAME.test(key)) {
        throw issueError(
          source,
          path,
          'key',
          `variable name "${key}" is not valid: use letters, digits and '_', not starting with a digit`,
          CODE,
        );
      }
      const position = source.positionOf(path, 'key');
      return { name: key, value, source: { ...position, origin, scope, name, baseDir } };
    });
  }

  /** group_vars/ and host_vars/ beside an inventory source. */
  async addVarsFolders(sourceIndex: number, folder: string, displayFolder: string): Promise<void> {
    for (const scope of ['group', 'host'] as const) {
      const sub = `${scope}_vars`;
      const dir = join(folder, sub);
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (entry.name.startsWith('.')) continue;
        const display = join(displayFolder, sub, entry.name);
        let name: string;
        let files: { path: string; display: string }[];
        if (entry.isDirectory()) {
          name = entry.name;
          const inner = (await readdir(join(dir, entry.name)))
            .filter((f) => !f.startsWith('.') && VARS_EXTENSIONS.has(extname(f)))
            .sort();
          files = inner.map((f) => ({ path: join(dir, entry.name, f), display: join(display, f) }));
        } else {
          const ext = extname(entry.name);
          if (!VARS_EXTENSIONS.has(ext)) continue;
          name = entry.name.slice(0, entry.name.length - ext.length);
          files = [{ path: join(dir, entry.name), display }];
        }
        const known = scope === 'group' ? this.groups.has(name) : this.hosts.has(name);
        if (!known) {
          this.warnings.push(`${display}: no ${scope} named "${name}" in the inventory; file ignored`);
          continue;
        }
        for (const file of files) {
          const { source, encrypted } = await parseVarsText(
            await readSourceText(file.path, { code: CODE, display: file.display }),
            file.display,
            this.vault,
            { code: CODE },
          );
          if (source.data !== null && !isMapping(source.data)) {
            throw issueError(
              source,
              [],
              'value',
              `must be a mapping of variables, got ${describeValue(source.data)}`,
              CODE,
            );
          }
          const data = await openVars(
            validateSource(VarsFileSchema, source, { code: CODE }) ?? {},
            this.vault,
            file.display,
            encrypted,
          );
          this.varsFiles.push({
            sourceIndex,
            scope,
            name,
            vars: this.definitions(source, [], data, `${scope}_vars`, scope, name, folder),
          });
        }
      }
    }
  }

  build(): Inventory {
    this.ensureGroup('all', { file: this.sources[0] ?? '<inventory>', line: 1, column: 1 });
    // As Ansible: `ungrouped` holds the hosts that are in no group but `all`.
    const ungrouped = this.ensureGroup('ungrouped', this.groups.get('all')!.declaredAt);
    if (!this.groups.get('all')!.children.includes('ungrouped')) {
      this.groups.get('all')!.children.push('ungrouped');
      ungrouped.parents.push('all');
    }
    for (const host of this.hosts.values()) {
      if (!host.groups.some((g) => g !== 'all') && !ungrouped.hosts.includes(host.name)) {
        ungrouped.hosts.push(host.name);
        host.groups.push('ungrouped');
      }
    }
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) {
        this.warnings.push(`"${name}" is both a host and a group; patterns naming it select the group`);
      }
    }
    return new Inventory(this.groups, this.hosts, this.varsFiles, this.sources, this.warnings);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
