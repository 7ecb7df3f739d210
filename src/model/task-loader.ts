/**
 * One task (or handler) from its YAML shape to a TaskModel: exactly one module key plus known
 * keywords, every value checked, module arguments checked against the module's schema. Each
 * problem is one located message naming the key path.
 */
import type { Located, TaskModel } from './playbook-types.js';
import { closest, didYouMean } from './suggest.js';
import { type ArgOrigins, checkModuleArgs } from './task-args.js';
import type { ModuleCatalog, ModuleInfo } from './task-modules.js';
import { TASK_KEYWORDS, TaskKeywordsSchema, UNSUPPORTED_TASK_KEYS, VARIABLE_NAME } from './task-schema.js';
import { issueError, validateSource } from './validate.js';
import { describeValue, type KeyPath, type YamlSource } from './yaml-source.js';

export interface TaskLoadContext {
  source: YamlSource;
  catalog: ModuleCatalog;
  /** Role the tasks belong to, if any. */
  role?: string;
  /** Handlers must have a name: they are notified by it. */
  handler?: boolean;
  /** Task id when `${file}:${line}` would not be unique (tasks written in TypeScript). */
  idOf?: (path: KeyPath, at: Located) => string;
}

/** A list of tasks (empty or missing means none). */
export function loadTasks(value: unknown, path: KeyPath, ctx: TaskLoadContext): TaskModel[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    const what = ctx.handler ? 'handlers' : 'tasks';
    throw issueError(ctx.source, path, 'value', `must be a list of ${what}, got ${describeValue(value)}`);
  }
  return value.map((task, index) => loadTask(task, [...path, index], ctx));
}

export function loadTask(value: unknown, path: KeyPath, ctx: TaskLoadContext): TaskModel {
  const { source, catalog } = ctx;
  const what = ctx.handler ? 'handler' : 'task';
  if (!isMapping(value)) {
    throw issueError(source, path, 'value', `a ${what} must be a mapping, got ${describeValue(value)}`);
  }
  const moduleKey = findModuleKey(value, path, ctx);
  const module = catalog.get(moduleKey)!;
  checkKeywords(value, path, ctx);
  const task = validateSource(TaskKeywordsSchema, source, { at: path, data: value });
  if (ctx.handler && task.name === undefined) {
    throw issueError(source, path, 'value', 'handler has no name: handlers are notified by their name');
  }
  const args = moduleArgs(module, moduleKey, value, path, source);

  const at = source.positionOf(path);
  const noLog = task.no_log ?? false;
  const model: TaskModel = {
    id: ctx.idOf ? ctx.idOf(path, at) : `${at.file}:${at.line}`,
    name: task.name ?? defaultName(module, args, noLog),
    module: module.name,
    args,
    loopVar: task.loop_control?.loop_var ?? 'item',
    notify: listOf(task.notify),
    tags: listOf(task.tags),
    ignoreErrors: task.ignore_errors ?? false,
    runOnce: task.run_once ?? false,
    noLog,
    at,
    source,
    path: [...path],
  };
  const optional: Partial<TaskModel> = {
    when: task.when,
    loop: task.loop,
    register: task.register,
    become: task.become,
    becomeUser: task.become_user,
    checkMode: task.check_mode,
    changedWhen: task.changed_when,
    failedWhen: task.failed_when,
    retries: task.retries,
    delay: task.delay,
    until: task.until,
    delegateTo: task.delegate_to,
    environment: task.environment,
    vars: task.vars,
    role: ctx.role,
  };
  for (const [key, item] of Object.entries(optional)) {
    if (item !== undefined) (model as unknown as Record<string, unknown>)[key] = item;
  }
  return model;
}

/** The one module key of the task; unknown and extra keys are reported here. */
function findModuleKey(task: Record<string, unknown>, path: KeyPath, ctx: TaskLoadContext): string {
  const { source, catalog } = ctx;
  const modules: string[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(task)) {
    if ((TASK_KEYWORDS as string[]).includes(key)) continue;
    const unsupported = UNSUPPORTED_TASK_KEYS[key];
    if (unsupported) throw issueError(source, [...path, key], 'key', `"${key}" ${unsupported}`);
    if (catalog.get(key)) modules.push(key);
    else unknown.push(key);
  }
  const names = catalog.names();
  const nearKeyword = unknown.find((key) => closest(key, TASK_KEYWORDS) !== undefined);
  if (nearKeyword !== undefined) {
    throw issueError(
      source,
      [...path, nearKeyword],
      'key',
      `unknown ${ctx.handler ? 'handler' : 'task'} key "${nearKeyword}"${didYouMean(nearKeyword, TASK_KEYWORDS)}`,
    );
  }
  const nearModule = unknown.find((key) => closest(key, names) !== undefined);
  if (nearModule !== undefined) {
    throw issueError(
      source,
      [...path, nearModule],
      'key',
      `unknown module "${nearModule}"${didYouMean(nearModule, names)}`,
    );
  }
  const [firstUnknown] = unknown;
  if (firstUnknown !== undefined) {
    const message =
      modules.length === 0 && unknown.length === 1
        ? `unknown module "${firstUnknown}"; known modules: ${names.join(', ')}`
        : `unknown ${ctx.handler ? 'handler' : 'task'} key "${firstUnknown}"`;
    throw issueError(source, [...path, firstUnknown], 'key', message);
  }
  const [first, second] = modules;
  if (first === undefined) {
    throw issueError(
      source,
      path,
      'value',
      `${ctx.handler ? 'handler' : 'task'} has no module: add one of ${names.join(', ')}`,
    );
  }
  if (second !== undefined) {
    throw issueError(
      source,
      [...path, second],
      'key',
      `task has two modules, "${first}" and "${second}": a task runs exactly one module`,
    );
  }
  return first;
}

/** Rules that read better in words than as schema errors; the schema checks the rest. */
function checkKeywords(task: Record<string, unknown>, path: KeyPath, ctx: TaskLoadContext): void {
  const fail = (key: string | (string | number)[], message: string, target: 'key' | 'value' = 'value') =>
    issueError(ctx.source, [...path, ...(Array.isArray(key) ? key : [key])], target, message);
  const has = (key: string) => Object.hasOwn(task, key);

  for (const key of ['name', 'become_user', 'delegate_to'] as const) {
    const value = task[key];
    if (has(key) && (value === null || value === '')) {
      throw fail(key, key === 'delegate_to' ? 'must name a host, got empty' : 'must not be empty');
    }
  }
  if (has('loop')) {
    const loop = task.loop;
    if (!Array.isArray(loop) && !(typeof loop === 'string' && loop.includes('{{'))) {
      throw fail(
        'loop',
        `must be a list, or a template giving one such as "{{ users }}", got ${describeValue(loop)}`,
      );
    }
  }
  const loopVar = isMapping(task.loop_control) ? task.loop_control.loop_var : undefined;
  if (typeof loopVar === 'string' && !VARIABLE_NAME.test(loopVar)) {
    throw fail(['loop_control', 'loop_var'], invalidName(loopVar));
  }
  if (typeof task.register === 'string' && !VARIABLE_NAME.test(task.register)) {
    throw fail('register', invalidName(task.register));
  }
  const retries = task.retries;
  if (typeof retries === 'number' && (!Number.isInteger(retries) || retries < 0)) {
    throw fail('retries', `must be a whole number, 0 or more, got ${retries}`);
  }
  const delay = task.delay;
  if (typeof delay === 'number' && delay < 0) throw fail('delay', `must be 0 or more seconds, got ${delay}`);
  for (const key of ['tags', 'notify'] as const) {
    const list = task[key];
    const items = Array.isArray(list) ? list : [list];
    items.forEach((item, index) => {
      const at = Array.isArray(list) ? [key, index] : [key];
      if (item === '' || item === null) throw fail(at, 'must not be empty');
      if (key === 'tags' && typeof item === 'string' && item.includes(',')) {
        throw fail(at, `tag "${item}" contains a comma: give several tags as a list`);
      }
    });
  }
  for (const key of ['vars', 'environment'] as const) {
    const mapping = task[key];
    if (!isMapping(mapping)) continue;
    for (const name of Object.keys(mapping)) {
      if (!VARIABLE_NAME.test(name)) throw fail([key, name], invalidName(name), 'key');
    }
  }
}

export function invalidName(name: string): string {
  return `"${name}" is not a valid variable name: use letters, digits and '_', not starting with a digit`;
}

/** Arguments from the module key (a mapping, or a free-form string) and the `args:` keyword. */
function moduleArgs(
  module: ModuleInfo,
  moduleKey: string,
  task: Record<string, unknown>,
  path: KeyPath,
  source: YamlSource,
): Record<string, unknown> {
  const modulePath = [...path, moduleKey];
  const raw = task[moduleKey];
  const args: Record<string, unknown> = {};
  const origins: ArgOrigins = new Map();
  if (typeof raw === 'string' && module.freeForm) {
    args[module.freeForm] = raw;
    origins.set(module.freeForm, modulePath);
  } else if (isMapping(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      args[key] = value;
      origins.set(key, [...modulePath, key]);
    }
  } else if (raw !== null && raw !== undefined) {
    const hint =
      typeof raw === 'string' && raw.includes('=')
        ? ' ("key=value" strings are not supported: write a mapping)'
        : '';
    throw issueError(
      source,
      modulePath,
      'value',
      `the arguments of module "${module.name}" must be a mapping, got ${describeValue(raw)}${hint}`,
    );
  }
  if (isMapping(task.args)) {
    for (const [key, value] of Object.entries(task.args)) {
      if (Object.hasOwn(args, key)) {
        throw issueError(
          source,
          [...path, 'args', key],
          'key',
          `argument "${key}" is given twice: under "${moduleKey}" and under "args"`,
        );
      }
      args[key] = value;
      origins.set(key, [...path, 'args', key]);
    }
  }
  checkModuleArgs(module, args, source, modulePath, origins);
  return args;
}

function defaultName(module: ModuleInfo, args: Record<string, unknown>, noLog: boolean): string {
  if (noLog) return module.name;
  const free = module.freeForm ? args[module.freeForm] : undefined;
  const parts =
    typeof free === 'string'
      ? [free]
      : Object.entries(args)
          .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
          .map(([key, value]) => `${key}=${String(value)}`);
  const text = parts.join(' ').replace(/\s+/g, ' ').trim();
  const short = text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return short === '' ? module.name : `${module.name} ${short}`;
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
