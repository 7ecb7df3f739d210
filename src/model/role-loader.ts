/**
 * Finding and loading roles. A role is a folder `<name>/` in the role search path holding either
 * `index.ts` (TypeScript: default export of defineRole) or Ansible's layout (`tasks/main.yml`,
 * `handlers/main.yml`, `defaults/main.yml`, `templates/`, `files/`).
 *
 * Node 20 cannot import .ts: from the build the loader imports compiled JavaScript (`index.js`
 * beside the source, or `dist/roles/<name>/index.js` for the package's own roles); under vitest
 * (this file itself is .ts) it imports the .ts source directly.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BosunError, messageOf } from '../errors.js';
import { BUILD_DIR, packageRoot } from '../paths.js';
import { LineCounter, parseDocument } from '../vendor/yaml.js';
import type { LoadedRole, RoleRef, TaskModel } from './playbook-types.js';
import { isRoleDefinition, type RoleDefinition } from './role.js';
import { didYouMean } from './suggest.js';
import { type ArgOrigins, checkValues, choicesAt, holdsTemplate } from './task-args.js';
import { invalidName, isMapping, loadTasks } from './task-loader.js';
import type { ModuleCatalog } from './task-modules.js';
import { VARIABLE_NAME } from './task-schema.js';
import { findIssue, issueError, type ValidationIssue } from './validate.js';
import {
  describeValue,
  type KeyPath,
  loadYamlFile,
  pathText,
  type SourcePosition,
  YamlSource,
} from './yaml-source.js';

const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/** Roles shipped with Bosun. */
export function packageRolesDir(): string {
  return join(packageRoot(), 'roles');
}

/** Where roles are looked for, in order: given folders, `<playbook>/roles`, `<playbook>/../roles`, Bosun's. */
export function roleSearchPath(
  playbookDir: string,
  extra: readonly string[] = [],
  cwd = process.cwd(),
): string[] {
  const dirs = [
    ...extra.map((dir) => resolve(cwd, dir)),
    join(playbookDir, 'roles'),
    resolve(playbookDir, '..', 'roles'),
    packageRolesDir(),
  ];
  return [...new Set(dirs)];
}

export interface RoleLoaderOptions {
  searchPath: string[];
  catalog: ModuleCatalog;
  /** Paths in messages are shown relative to this folder when inside it. */
  cwd?: string;
  /** Relative role paths (`role: ./roles/x`) are resolved from here (the playbook folder). */
  baseDir?: string;
}

/** Loads each role once per instance (a playbook load), whatever the number of references. */
export class RoleLoader {
  private readonly cache = new Map<string, Promise<LoadedRole>>();
  private readonly cwd: string;

  constructor(private readonly options: RoleLoaderOptions) {
    this.cwd = options.cwd ?? process.cwd();
  }

  /**
   * The role a reference names. Not found is an error located at the reference when one is
   * given (`source`, `path`), else a plain one.
   */
  async load(name: string, source?: YamlSource, path: KeyPath = []): Promise<LoadedRole> {
    const dir = this.find(name);
    if (!dir) {
      const suggestion = didYouMean(name, this.available());
      const searched = this.options.searchPath.map((d) => this.displayFolder(d)).join(', ');
      const message = `role "${name}" not found${suggestion} (searched: ${searched})`;
      if (source) throw issueError(source, path, 'value', message);
      throw new BosunError('BOSUN_INPUT', message);
    }
    let loading = this.cache.get(dir);
    if (!loading) {
      loading = this.loadDir(name, dir);
      this.cache.set(dir, loading);
    }
    return loading;
  }

  /** Names of the roles in the search path (folders), in search order without repeats. */
  available(): string[] {
    const names: string[] = [];
    for (const root of this.options.searchPath) {
      let entries: string[];
      try {
        entries = readdirSync(root).sort();
      } catch {
        continue; // A search folder that does not exist holds no roles.
      }
      for (const entry of entries) {
        if (!names.includes(entry) && isDirectory(join(root, entry))) names.push(entry);
      }
    }
    return names;
  }

  /** Folder of role `name` (or of the path given as a role), if it exists. */
  find(name: string): string | undefined {
    if (name.includes('/')) {
      const dir = resolve(this.options.baseDir ?? this.cwd, name);
      return isDirectory(dir) ? dir : undefined;
    }
    for (const root of this.options.searchPath) {
      const dir = join(root, name);
      if (isDirectory(dir)) return dir;
    }
    return undefined;
  }

  private async loadDir(reference: string, dir: string): Promise<LoadedRole> {
    const name = reference.includes('/') ? dir.split('/').pop()! : reference;
    const module = roleModuleFile(dir, name);
    if (module) return this.loadTypeScriptRole(name, dir, module);
    return this.loadYamlRole(name, dir);
  }

  private async loadYamlRole(name: string, dir: string): Promise<LoadedRole> {
    const tasksFile = mainFile(dir, 'tasks');
    const handlersFile = mainFile(dir, 'handlers');
    const defaultsFile = mainFile(dir, 'defaults');
    if (!tasksFile && !handlersFile) {
      throw new BosunError(
        'BOSUN_INPUT',
        `${this.display(dir)}: role "${name}" has neither index.ts nor tasks/main.yml`,
      );
    }
    const varsFile = mainFile(dir, 'vars');
    if (varsFile) {
      throw new BosunError(
        'BOSUN_INPUT',
        `${this.display(varsFile)}: role vars (vars/main.yml) are not supported yet: use defaults/main.yml or role params`,
      );
    }
    const catalog = this.options.catalog;
    const tasks: TaskModel[] = [];
    const handlers: TaskModel[] = [];
    if (tasksFile) {
      const source = await loadYamlFile(tasksFile, { display: this.display(tasksFile) });
      tasks.push(...loadTasks(source.data, [], { source, catalog, role: name }));
    }
    if (handlersFile) {
      const source = await loadYamlFile(handlersFile, { display: this.display(handlersFile) });
      handlers.push(...loadTasks(source.data, [], { source, catalog, role: name, handler: true }));
    }
    let defaults: Record<string, unknown> = {};
    if (defaultsFile) {
      const source = await loadYamlFile(defaultsFile, { display: this.display(defaultsFile) });
      defaults = variablesOf(source, 'defaults');
    }
    return {
      name,
      dir,
      defaults,
      tasks,
      handlers,
      kind: 'yaml',
      ...folders(dir, undefined, undefined),
    };
  }

  private async loadTypeScriptRole(name: string, dir: string, file: string): Promise<LoadedRole> {
    const display = this.display(file);
    let exported: unknown;
    try {
      exported = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why =
        code === 'ERR_UNKNOWN_FILE_EXTENSION'
          ? 'this Node.js cannot import TypeScript: compile the role so that index.js sits beside index.ts'
          : messageOf(cause);
      throw new BosunError('BOSUN_INPUT', `${display}: cannot load role "${name}": ${why}`, { cause });
    }
    if (!isRoleDefinition(exported) && !looksLikeRole(exported)) {
      throw new BosunError(
        'BOSUN_INPUT',
        `${display}: role "${name}" must default-export defineRole({ name, schema, tasks, ... })`,
      );
    }
    const definition = exported as RoleDefinition;
    const at: SourcePosition = definition.definedAt
      ? { ...definition.definedAt, file: this.display(definition.definedAt.file) }
      : { file: display, line: 1, column: 1 };
    const source = new DefinedSource(at.file, definition, at);
    if (definition.name !== name) {
      throw issueError(
        source,
        ['name'],
        'value',
        `role in folder "${name}" is named "${definition.name}": give it its folder's name`,
      );
    }
    const catalog = this.options.catalog;
    const idOf = (path: KeyPath) => `${at.file}:${at.line}:${pathText(path)}`;
    const tasks = loadTasks(definition.tasks, ['tasks'], { source, catalog, role: name, idOf });
    const handlers = loadTasks(definition.handlers ?? [], ['handlers'], {
      source,
      catalog,
      role: name,
      handler: true,
      idOf,
    });
    const declared = isMapping(definition.defaults) ? definition.defaults : {};
    const defaults = { ...schemaDefaults(definition.schema), ...declared };
    for (const key of Object.keys(defaults)) {
      if (!VARIABLE_NAME.test(key)) throw issueError(source, ['defaults', key], 'key', invalidName(key));
    }
    return {
      name,
      dir,
      ...(definition.schema ? { schema: definition.schema } : {}),
      ...(typeof definition.check === 'function'
        ? { check: definition.check as NonNullable<LoadedRole['check']> }
        : {}),
      defaults,
      tasks,
      handlers,
      kind: 'typescript',
      ...(definition.gatherFacts === true ? { gatherFacts: true } : {}),
      ...folders(dir, definition.templatesDir, definition.filesDir),
    };
  }

  private display(path: string): string {
    return shownPath(path, this.cwd);
  }

  /** A search folder: relative even above cwd (`../roles`), Bosun's own as `<bosun>/roles`. */
  private displayFolder(dir: string): string {
    const rel = relative(this.cwd, dir) || '.';
    if (dir === packageRolesDir() && rel.startsWith('..')) return '<bosun>/roles';
    return isAbsolute(rel) ? dir : rel;
  }
}

/**
 * Role parameters checked against the role's schema with its defaults applied, before any host
 * is touched. YAML roles have no schema: any parameters are accepted.
 */
export function checkRoleParams(role: LoadedRole, ref: RoleRef): void {
  if (!role.schema) return;
  const origins: ArgOrigins = new Map(
    Object.keys(ref.params).map((key) => [key, [...ref.path, 'params', key]]),
  );
  const values = { ...role.defaults, ...ref.params };
  checkValues(
    role.schema,
    values,
    { noun: 'parameter', owner: `role "${role.name}"` },
    ref.source,
    [...ref.path, 'params'],
    origins,
  );
  if (!role.check) return;
  const known = Object.fromEntries(Object.entries(values).filter(([, value]) => !holdsTemplate(value)));
  const [issue] = role.check(known);
  if (!issue) return;
  const [first] = issue.path;
  // A param the reference gave is pointed at where it was written; a default at the reference.
  const given = first !== undefined && Object.hasOwn(ref.params, String(first));
  const path = given ? [...ref.path, 'params', ...issue.path] : [...ref.path, 'params'];
  const message = given ? issue.message : `${pathText(issue.path)}: ${issue.message}`;
  throw issueError(ref.source, path, given ? (issue.target ?? 'value') : 'value', message);
}

/**
 * The values a role's parameters take on one host, whatever layer set them (vars files, -e,
 * inventory, role params), rendered: the schema's first issue, then the role's cross-parameter
 * rules. Paths start at a parameter name (`['users_state', 'ghost']`), for the caller to locate
 * where that variable was written. Empty when the values are usable.
 */
export function roleValueIssues(role: LoadedRole, values: Record<string, unknown>): ValidationIssue[] {
  if (!role.schema) return [];
  const issue = findIssue(role.schema, values);
  if (issue) {
    const choices = choicesAt(role.schema, issue.path);
    const message = choices
      ? `must be one of: ${choices.map((c) => JSON.stringify(c)).join(', ')}`
      : issue.message;
    return [{ ...issue, message }];
  }
  return (role.check?.(values) ?? []).map((found) => ({ ...found, target: found.target ?? 'value' }));
}

/** Defaults written in the schema (`Type.String({ default: 'x' })`) for the top-level params. */
function schemaDefaults(schema: TSchema | undefined): Record<string, unknown> {
  if (!schema) return {};
  try {
    const filled = Value.Default(schema, {});
    return isMapping(filled) ? (Value.Clone(filled) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The role's code: compiled JavaScript first when running compiled, the .ts source under vitest. */
function roleModuleFile(dir: string, name: string): string | undefined {
  const candidates = RUNNING_COMPILED
    ? [
        join(dir, 'index.js'),
        ...(dir === join(packageRolesDir(), name)
          ? [join(packageRoot(), BUILD_DIR, 'roles', name, 'index.js')]
          : []),
        join(dir, 'index.ts'),
      ]
    : [join(dir, 'index.ts'), join(dir, 'index.js')];
  return candidates.find((file) => existsSync(file));
}

/** A path as shown in messages: relative to cwd when inside it, else absolute. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function mainFile(dir: string, sub: string): string | undefined {
  return ['main.yml', 'main.yaml'].map((file) => join(dir, sub, file)).find((file) => existsSync(file));
}

function folders(
  dir: string,
  templates: string | undefined,
  files: string | undefined,
): { templatesDir?: string; filesDir?: string } {
  const out: { templatesDir?: string; filesDir?: string } = {};
  const templatesDir = resolve(dir, templates ?? 'templates');
  const filesDir = resolve(dir, files ?? 'files');
  if (templates !== undefined || isDirectory(templatesDir)) out.templatesDir = templatesDir;
  if (files !== undefined || isDirectory(filesDir)) out.filesDir = filesDir;
  return out;
}

function variablesOf(source: YamlSource, what: string): Record<string, unknown> {
  const data = source.data;
  if (data === null) return {};
  if (!isMapping(data)) {
    throw issueError(
      source,
      [],
      'value',
      `${what} must be a mapping of variables, got ${describeValue(data)}`,
    );
  }
  for (const key of Object.keys(data)) {
    if (!VARIABLE_NAME.test(key)) throw issueError(source, [key], 'key', invalidName(key));
  }
  return data;
}

function looksLikeRole(value: unknown): boolean {
  return isMapping(value) && typeof value.name === 'string' && Array.isArray(value.tasks);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A document built from a role written in TypeScript: every position is the defineRole call
 * (there is no YAML text), and the key path says where inside it.
 */
class DefinedSource extends YamlSource {
  constructor(
    file: string,
    data: unknown,
    private readonly at: SourcePosition,
  ) {
    super(file, data, parseDocument(''), new LineCounter());
  }

  override positionOf(): SourcePosition {
    return { ...this.at };
  }
}
