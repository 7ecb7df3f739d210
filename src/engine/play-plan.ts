/**
 * The order a play runs its tasks in, as Ansible: pre_tasks, then the roles' tasks, then tasks,
 * then post_tasks; handlers are flushed after each of these three sections. Each entry keeps the
 * role reference that brought it, for the role's defaults, params and `when`.
 */
import { BosunError } from '../errors.js';
import type { LoadedRole, PlayModel, RoleRef, TaskModel } from '../model/playbook-types.js';
import { describeValue, type KeyPath } from '../model/yaml-source.js';
import { getModule } from '../modules/registry.js';
import { locate, type RenderLocation } from '../vars/location.js';
import type { VarScope } from '../vars/scope.js';
import { renderValue } from '../vars/template.js';

export interface RoleUse {
  ref: RoleRef;
  role: LoadedRole;
}

export interface TaskEntry {
  task: TaskModel;
  /** The role reference that brought the task (role tasks and role handlers). */
  roleUse?: RoleUse;
  handler: boolean;
}

/** pre_tasks, roles + tasks, post_tasks: handlers are flushed after each. */
export function playSections(play: PlayModel): TaskEntry[][] {
  const plain = (task: TaskModel): TaskEntry => ({ task, handler: false });
  const roles = play.roles.flatMap((roleUse) =>
    roleUse.role.tasks.map((task): TaskEntry => ({ task, roleUse, handler: false })),
  );
  return [play.preTasks.map(plain), [...roles, ...play.tasks.map(plain)], play.postTasks.map(plain)];
}

/** The play's handlers in definition order, each with the first role use that defines it. */
export function handlerEntries(play: PlayModel): TaskEntry[] {
  return play.handlers.map((task) => {
    const roleUse = play.roles.find(({ role }) => role.handlers.some((h) => h.id === task.id));
    return roleUse ? { task, roleUse, handler: true } : { task, handler: true };
  });
}

/** Every task and handler of the play. */
export function allEntries(play: PlayModel): TaskEntry[] {
  return [...playSections(play).flat(), ...handlerEntries(play)];
}

/** The items of a task's `loop` on a host; a value that is not a list is an error located at the loop. */
export function loopItems(task: TaskModel, scope: VarScope): unknown[] {
  const where: RenderLocation = { source: task.source, path: [...task.path, 'loop'] };
  const items = renderValue(task.loop, scope, where);
  if (!Array.isArray(items)) {
    throw new BosunError(
      'BOSUN_INPUT',
      `${locate(where).prefix}loop must give a list, got ${describeValue(items)}`,
      { details: locate(where).details },
    );
  }
  return items;
}

/** The module key as written in the task (`copy`, `ansible.builtin.copy`), if the task is YAML. */
export function moduleKeyOf(task: TaskModel): string | undefined {
  const node = valueAt(task.source.data, task.path);
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return Object.keys(node).find((key) => getModule(key)?.name === task.module);
}

/** Where the module's arguments are written (the module key). */
export function modulePath(task: TaskModel): KeyPath {
  const key = moduleKeyOf(task);
  return key === undefined ? task.path : [...task.path, key];
}

/** Where one argument was written: under the module key, under `args:`, or the free-form string. */
export function argPath(task: TaskModel, name: string): KeyPath {
  const key = moduleKeyOf(task);
  if (key === undefined) return task.path;
  const node = valueAt(task.source.data, task.path) as Record<string, unknown>;
  const written = node[key];
  if (written !== null && typeof written === 'object' && Object.hasOwn(written, name))
    return [...task.path, key, name];
  const args = node.args;
  if (args !== null && typeof args === 'object' && Object.hasOwn(args, name))
    return [...task.path, 'args', name];
  return [...task.path, key];
}

/** Positions of every argument, for checkModuleArgs. */
export function argOrigins(task: TaskModel, args: Record<string, unknown>): Map<string, KeyPath> {
  return new Map(Object.keys(args).map((name) => [name, argPath(task, name)]));
}

/** The value at a key path of a loaded document (undefined when the path leaves it). */
export function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
