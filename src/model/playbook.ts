/**
 * Loading a playbook: the YAML file, its plays, the roles they use (with their parameters
 * checked), the tasks, handlers and vars files. Everything is checked here, before any host is
 * touched; each problem is one message `file:line:col: key.path: message`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isVaultText } from '../vars/vault.js';
import { PLAY_KEYS, PlayKeywordsSchema, ROLE_REF_KEYS, RoleRefSchema } from './playbook-schema.js';
import type { LoadedRole, PlaybookModel, PlayModel, RoleRef, TaskModel } from './playbook-types.js';
import { checkRoleParams, RoleLoader, roleSearchPath, shownPath } from './role-loader.js';
import { didYouMean } from './suggest.js';
import { isTemplate } from './task-args.js';
import { invalidName, isMapping, loadTasks } from './task-loader.js';
import { type ModuleCatalog, registryCatalog } from './task-modules.js';
import { TASK_KEYWORDS, VARIABLE_NAME } from './task-schema.js';
import { issueError, validateSource } from './validate.js';
import {
  describeValue,
  formatPosition,
  type KeyPath,
  loadYamlFile,
  parseYaml,
  readSourceText,
  type YamlSource,
} from './yaml-source.js';

export interface LoadPlaybookOptions {
  /** Extra role folders, searched before the playbook's own. */
  rolesPath?: string[];
  /** Folder relative paths are resolved from, and shown relative to (default process.cwd()). */
  cwd?: string;
  /** Modules tasks may use (default: the module registry). */
  catalog?: ModuleCatalog;
}

export async function loadPlaybook(file: string, options: LoadPlaybookOptions = {}): Promise<PlaybookModel> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, file);
  const dir = dirname(absolute);
  const source = await loadYamlFile(absolute, { display: file });
  const data = source.data;
  if (data === null) throw issueError(source, [], 'value', 'playbook is empty: it must be a list of plays');
  if (!Array.isArray(data)) {
    throw issueError(source, [], 'value', `playbook must be a list of plays, got ${describeValue(data)}`);
  }
  if (data.length === 0) throw issueError(source, [], 'value', 'playbook has no plays');
  const catalog = options.catalog ?? registryCatalog;
  const roles = new RoleLoader({
    searchPath: roleSearchPath(dir, options.rolesPath ?? [], cwd),
    catalog,
    cwd,
    baseDir: dir,
  });
  const context: PlayContext = { source, dir, cwd, catalog, roles };
  const plays: PlayModel[] = [];
  for (let index = 0; index < data.length; index++) plays.push(await loadPlay(data[index], [index], context));
  return { file, dir, plays };
}

interface PlayContext {
  source: YamlSource;
  dir: string;
  cwd: string;
  catalog: ModuleCatalog;
  roles: RoleLoader;
}

async function loadPlay(value: unknown, path: KeyPath, context: PlayContext): Promise<PlayModel> {
  const { source, catalog } = context;
  if (!isMapping(value))
    throw issueError(source, path, 'value', `a play must be a mapping, got ${describeValue(value)}`);
  checkPlayKeys(value, path, context);
  const hostsGiven = value.hosts;
  if (
    hostsGiven === undefined ||
    hostsGiven === null ||
    hostsGiven === '' ||
    (Array.isArray(hostsGiven) && hostsGiven.length === 0)
  ) {
    const target = Object.hasOwn(value, 'hosts') ? [...path, 'hosts'] : path;
    throw issueError(source, target, 'value', 'play has no "hosts": say where it runs, e.g. "hosts: all"');
  }
  const serial = batchSizes(value, path, source);
  const maxFail = value.max_fail_percentage;
  if (typeof maxFail === 'number' && (maxFail < 0 || maxFail > 100)) {
    throw issueError(
      source,
      [...path, 'max_fail_percentage'],
      'value',
      `must be from 0 to 100, got ${maxFail}`,
    );
  }
  if (isMapping(value.vars)) {
    for (const key of Object.keys(value.vars)) {
      if (!VARIABLE_NAME.test(key)) throw issueError(source, [...path, 'vars', key], 'key', invalidName(key));
    }
  }
  const play = validateSource(PlayKeywordsSchema, source, { at: path, data: value });
  if (play.become_user !== undefined && play.become === false) {
    throw issueError(
      source,
      [...path, 'become_user'],
      'key',
      becomeUserWithoutBecome(play.become_user, 'play'),
    );
  }
  const varsFiles = await checkVarsFiles(play.vars_files ?? [], [...path, 'vars_files'], context);
  const playTags = listOf(play.tags);

  const roles: { ref: RoleRef; role: LoadedRole }[] = [];
  for (let index = 0; index < (play.roles ?? []).length; index++) {
    const refPath = [...path, 'roles', index];
    const ref = roleRef(play.roles![index], refPath, source);
    const role = await context.roles.load(ref.name, source, refPath);
    checkRoleParams(role, ref);
    const tags = union(playTags, ref.tags);
    roles.push({ ref, role: { ...role, tasks: role.tasks.map((task) => withTags(task, tags)) } });
  }
  const tasksOf = (key: 'pre_tasks' | 'tasks' | 'post_tasks') =>
    loadTasks(play[key], [...path, key], { source, catalog }).map((task) => withTags(task, playTags));
  const preTasks = tasksOf('pre_tasks');
  const tasks = tasksOf('tasks');
  const postTasks = tasksOf('post_tasks');
  const own = loadTasks(play.handlers, [...path, 'handlers'], { source, catalog, handler: true });
  const handlers = uniqueHandlers([...roles.flatMap(({ role }) => role.handlers), ...own]);

  const everyTask = [
    ...preTasks,
    ...roles.flatMap(({ role }) => role.tasks),
    ...tasks,
    ...postTasks,
    ...handlers,
  ];
  checkNotify(everyTask, handlers);
  for (const task of everyTask) {
    if (task.becomeUser !== undefined && (task.become ?? play.become) === false) {
      throw issueError(
        task.source,
        [...task.path, 'become_user'],
        'key',
        becomeUserWithoutBecome(task.becomeUser, 'task'),
      );
    }
  }

  const hosts = Array.isArray(play.hosts) ? play.hosts.join(',') : play.hosts!;
  const model: PlayModel = {
    name: play.name ?? hosts,
    hosts,
    vars: play.vars ?? {},
    varsFiles,
    roles,
    preTasks,
    tasks,
    postTasks,
    handlers,
    anyErrorsFatal: play.any_errors_fatal ?? false,
    tags: playTags,
    at: source.positionOf(path),
    source,
    path: [...path],
  };
  if (play.become !== undefined) model.become = play.become;
  if (play.become_user !== undefined) model.becomeUser = play.become_user;
  if (play.gather_facts !== undefined) model.gatherFacts = play.gather_facts;
  if (serial) model.serial = serial;
  if (play.max_fail_percentage !== undefined) model.maxFailPercentage = play.max_fail_percentage;
  return model;
}

function checkPlayKeys(play: Record<string, unknown>, path: KeyPath, { source, catalog }: PlayContext): void {
  for (const key of Object.keys(play)) {
    if (PLAY_KEYS.includes(key)) continue;
    const at = [...path, key];
    if (key === 'import_playbook' || key === 'include') {
      throw issueError(source, at, 'key', `"${key}" is not supported yet: list the plays in one playbook`);
    }
    const suggestion = didYouMean(key, PLAY_KEYS);
    let hint = '';
    if (suggestion === '' && (catalog.get(key) || (TASK_KEYWORDS as string[]).includes(key))) {
      hint = `: "${key}" belongs to a task; put tasks under "tasks:"`;
    }
    throw issueError(source, at, 'key', `unknown play key "${key}"${suggestion}${hint}`);
  }
}

/** `serial` as a list of batch sizes (numbers of hosts or percentages). */
function batchSizes(
  play: Record<string, unknown>,
  path: KeyPath,
  source: YamlSource,
): (number | string)[] | undefined {
  if (!Object.hasOwn(play, 'serial')) return undefined;
  const serial = play.serial;
  const list = Array.isArray(serial) ? serial : [serial];
  if (list.length === 0) throw issueError(source, [...path, 'serial'], 'value', 'must not be an empty list');
  return list.map((item, index) => {
    const at = Array.isArray(serial) ? [...path, 'serial', index] : [...path, 'serial'];
    if (typeof item === 'number' && Number.isInteger(item) && item >= 1) return item;
    if (typeof item === 'string') {
      const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(item);
      const percent = match ? Number(match[1]) : Number.NaN;
      if (percent > 0 && percent <= 100) return `${percent}%`;
    }
    const got =
      typeof item === 'number' || typeof item === 'string' ? JSON.stringify(item) : describeValue(item);
    throw issueError(
      source,
      at,
      'value',
      `must be a number of hosts (1 or more) or a percentage such as "30%", or a list of these; got ${got}`,
    );
  });
}

function roleRef(value: unknown, path: KeyPath, source: YamlSource): RoleRef {
  const at = source.positionOf(path);
  if (typeof value === 'string') {
    if (value === '') throw issueError(source, path, 'value', 'role name must not be empty');
    return { name: value, params: {}, at, tags: [], source, path: [...path] };
  }
  if (!isMapping(value)) {
    throw issueError(
      source,
      path,
      'value',
      `must be a role name or a mapping with "role:", got ${describeValue(value)}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (ROLE_REF_KEYS.includes(key)) continue;
    const suggestion = didYouMean(key, ROLE_REF_KEYS);
    const hint = suggestion === '' ? '; role parameters go under "params:"' : suggestion;
    throw issueError(source, [...path, key], 'key', `unknown role key "${key}"${hint}`);
  }
  const ref = validateSource(RoleRefSchema, source, { at: path, data: value }) as Partial<{
    role: string;
    name: string;
    params: Record<string, unknown> | null;
    tags: string | string[];
    when: string | string[] | boolean;
  }>;
  if (ref.role !== undefined && ref.name !== undefined) {
    throw issueError(source, [...path, 'name'], 'key', 'give the role as "role:" or "name:", not both');
  }
  const name = ref.role ?? ref.name;
  if (name === undefined) throw issueError(source, path, 'value', 'missing "role:" (the role to use)');
  const model: RoleRef = {
    name,
    params: ref.params ?? {},
    at,
    tags: listOf(ref.tags),
    source,
    path: [...path],
  };
  if (ref.when !== undefined) model.when = ref.when;
  return model;
}

async function checkVarsFiles(files: string[], path: KeyPath, context: PlayContext): Promise<string[]> {
  const out: string[] = [];
  for (let index = 0; index < files.length; index++) {
    const file = files[index]!;
    if (isTemplate(file)) {
      // Known per host once rendered; the vars engine reads it then.
      out.push(file);
      continue;
    }
    const absolute = resolve(context.dir, file);
    const display = shownPath(absolute, context.cwd);
    if (!existsSync(absolute) || !statSync(absolute).isFile()) {
      const looked = display === file ? '' : ` (looked for ${display})`;
      throw issueError(context.source, [...path, index], 'value', `vars file "${file}" not found${looked}`);
    }
    const text = await readSourceText(absolute, { display });
    // An encrypted file is checked once opened, with the run's passwords (vars-file.ts).
    if (isVaultText(text)) {
      out.push(absolute);
      continue;
    }
    const vars = parseYaml(text, display);
    if (vars.data !== null && !isMapping(vars.data)) {
      throw issueError(
        vars,
        [],
        'value',
        `vars file must be a mapping of variables, got ${describeValue(vars.data)}`,
      );
    }
    for (const key of Object.keys(vars.data ?? {})) {
      if (!VARIABLE_NAME.test(key)) throw issueError(vars, [key], 'key', invalidName(key));
    }
    out.push(absolute);
  }
  return out;
}

/** Handlers by name; the same handler reached through two references of one role counts once. */
function uniqueHandlers(handlers: TaskModel[]): TaskModel[] {
  const byName = new Map<string, TaskModel>();
  const out: TaskModel[] = [];
  for (const handler of handlers) {
    const seen = byName.get(handler.name);
    if (seen) {
      if (seen.id === handler.id) continue;
      throw issueError(
        handler.source,
        [...handler.path, 'name'],
        'value',
        `duplicate handler name "${handler.name}" (also at ${formatPosition(seen.at)})`,
      );
    }
    byName.set(handler.name, handler);
    out.push(handler);
  }
  return out;
}

function checkNotify(tasks: TaskModel[], handlers: TaskModel[]): void {
  const names = handlers.map((handler) => handler.name);
  for (const task of tasks) {
    const written = valueAt(task.source.data, [...task.path, 'notify']);
    task.notify.forEach((name, index) => {
      if (isTemplate(name) || names.includes(name)) return;
      const at = Array.isArray(written) ? [...task.path, 'notify', index] : [...task.path, 'notify'];
      const known = names.length > 0 ? didYouMean(name, names) : '; the play has no handlers';
      throw issueError(task.source, at, 'value', `no handler named "${name}" in this play${known}`);
    });
  }
}

function becomeUserWithoutBecome(user: string, level: 'play' | 'task'): string {
  return `become_user "${user}" has no effect because become is false for this ${level}: remove one of them`;
}

function withTags(task: TaskModel, inherited: string[]): TaskModel {
  return inherited.length === 0 ? task : { ...task, tags: union(inherited, task.tags) };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
