/**
 * The templates of a run, checked before any connection (part of loadRunInput):
 *
 * - every template a task renders is parsed, its helpers resolved and their arguments counted:
 *   module arguments, name, notify, delegate_to, become_user, environment, loop, conditions,
 *   task vars, play vars, role params, and the template module's file read from the controller
 *   (whose errors point at the file's own line and column);
 * - per host, a variable that nothing can define (inventory, play vars, vars files, -e, role
 *   defaults and params, task vars, Bosun's variables, the loop, a register or set_fact anywhere
 *   in the playbook) is refused where the task will certainly render it, with the message the
 *   render would give; and a loop that will certainly not give a list is refused.
 *
 * "Certainly" means what the load can decide. A loop or a condition that reads a value known only
 * at run time (a registered result, a fact, the connecting user, another host's variables) leaves
 * the task to the run; so does a name inside `{{#if}}`, `default x "y"` or `defined x`.
 */
import { readFileSync } from 'node:fs';
import { BosunError, isBosunError } from '../errors.js';
import { HOST_FACT_VARIABLES } from '../facts/host.js';
import type { PlaybookModel, PlayModel, TaskModel } from '../model/playbook-types.js';
import { isText } from '../modules/file-write.js';
import { getModule } from '../modules/registry.js';
import { childLocation, type RenderLocation } from '../vars/location.js';
import { pendingLookup } from '../vars/lookups.js';
import type { VarDefinition, VarScope } from '../vars/scope.js';
import {
  evaluateCondition,
  inspectCondition,
  inspectTemplateFile,
  inspectText,
  inspectValue,
  isTemplatedDefinition,
  type NeededVariable,
  neededByError,
  type TemplateInspection,
  undefinedVariableError,
} from '../vars/template.js';
import { taskScope } from './host-scope.js';
import { allEntries, argPath, loopItems, type TaskEntry, valueAt } from './play-plan.js';
import { type TagSelection, tagsAllow } from './tags.js';

/** Bosun's variables whose value at run time is not the one the load sees. */
const RUN_TIME_MAGIC = new Set([
  'bosun_connection_user',
  'bosun_connection_kind',
  'hostvars',
  'ansible_play_hosts',
  'ansible_play_batch',
  'play_hosts',
]);

const FACT_NAMES: ReadonlySet<string> = new Set(HOST_FACT_VARIABLES);
const FACT_HINT = ' (a host fact: set gather_facts: true on the play to gather them)';

const NO_FACTS = { layer: 'facts', source: 'facts', values: {} } as const;

interface Condition {
  expr: unknown;
  where: RenderLocation;
  inspection: TemplateInspection;
}

/** What one task renders, parsed. */
interface TaskTemplates {
  entry: TaskEntry;
  loop?: TemplateInspection;
  /** The role reference's `when`, then the task's, item by item, in the order they are evaluated. */
  conditions: Condition[];
  /** Rendered whenever the task runs on a host. */
  always: TemplateInspection[];
  /** Every name the task's templates look at. */
  names: Set<string>;
}

export interface TemplateCheckInput {
  playbook: PlaybookModel;
  plays: readonly { play: PlayModel; hosts: readonly string[] }[];
  /** A host's variables for a play, before any task (what the run starts from). */
  scopeOf(playIndex: number, host: string): VarScope;
  /** The controller file a template task reads (undefined when it has none to read). */
  templateFile(entry: TaskEntry): { path: string; shown: string } | undefined;
  tags: TagSelection;
}

export function checkTemplates(input: TemplateCheckInput): void {
  const files = new Map<string, TemplateInspection | undefined>();
  const parsed = input.plays.map(({ play, hosts }) => {
    checkPlayTemplates(play);
    return allEntries(play).map((entry) =>
      taskTemplates(entry, hosts.length > 0 ? input.templateFile(entry) : undefined, files),
    );
  });
  const runTime = runTimeNames(input.playbook);
  for (const [index, { hosts }] of input.plays.entries()) {
    const passed = new Map<TaskTemplates, unknown[][]>();
    for (const host of hosts) {
      const scopes = new TaskScopes(input.scopeOf(index, host));
      for (const templates of parsed[index]!) {
        const { entry } = templates;
        if (entry.task.module === 'meta') continue;
        if (!entry.handler && !tagsAllow(entry.task.tags, input.tags)) continue;
        const scope = scopes.of(entry);
        // Hosts mostly share their values: a task that saw the same ones on a host already passes.
        const seen = valuesSeen(templates, scope);
        const before = passed.get(templates) ?? [];
        if (before.some((values) => sameValues(values, seen))) continue;
        try {
          checkOnHost(templates, scope, runTime);
          passed.set(templates, [...before, seen]);
        } catch (error) {
          // Variables differ between hosts: when the play has several, say which one lacks it.
          if (hosts.length < 2 || !isBosunError(error)) throw error;
          throw new BosunError(error.code, `${error.message} (host ${host})`, {
            cause: error.cause,
            host,
            ...(error.details ? { details: error.details } : {}),
          });
        }
      }
    }
  }
}

/** Task scopes of one host: tasks without vars of their own share one per role. */
class TaskScopes {
  private readonly byRole = new Map<unknown, VarScope>();

  constructor(private readonly base: VarScope) {}

  of(entry: TaskEntry): VarScope {
    if (entry.task.vars) return taskScope(this.base, entry, NO_FACTS);
    const key = entry.roleUse ?? this;
    let scope = this.byRole.get(key);
    if (!scope) {
      scope = taskScope(this.base, entry, NO_FACTS);
      this.byRole.set(key, scope);
    }
    return scope;
  }
}

/**
 * The values a task's templates can reach on a host: each name they look at, and the names
 * the values of those look at, with the value each has (or undefined).
 */
function valuesSeen(templates: TaskTemplates, scope: VarScope): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  const visit = (names: Iterable<string>) => {
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const definition = scope.definition(name);
      out.push(name, definition?.value);
      if (definition) visit(referencedBy(definition));
    }
  };
  visit(templates.names);
  return out;
}

const referencedByText = new Map<string, Set<string>>();
const referencedByObject = new WeakMap<object, Set<string>>();
const NOTHING: ReadonlySet<string> = new Set();

/** Names a variable's value looks at when it is rendered (none for data), by value. */
function referencedBy(definition: VarDefinition): ReadonlySet<string> {
  const { value } = definition;
  if (!definition.templated || value === null || !['string', 'object'].includes(typeof value)) return NOTHING;
  const cached =
    typeof value === 'string' ? referencedByText.get(value) : referencedByObject.get(value as object);
  if (cached) return cached;
  let names = new Set<string>();
  try {
    if (isTemplatedDefinition(definition)) names = inspectValue(value, definition.at).referenced;
  } catch {
    // A broken value is reported by the check itself, if the task needs it.
  }
  if (typeof value === 'string') referencedByText.set(value, names);
  else referencedByObject.set(value as object, names);
  return names;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Values of the play that tasks render when they use them. */
function checkPlayTemplates(play: PlayModel): void {
  const at = (...path: (string | number)[]) => ({ source: play.source, path: [...play.path, ...path] });
  inspectValue(play.vars, at('vars'));
  if (play.becomeUser !== undefined) inspectText(play.becomeUser, at('become_user'));
  for (const { ref } of play.roles) {
    const where = { source: ref.source, path: ref.path };
    inspectValue(ref.params, childLocation(where, 'params'));
    if (ref.when !== undefined) inspectCondition(ref.when, childLocation(where, 'when'));
  }
}

/** Every template of a task parsed (a syntax error or an unknown helper throws here). */
function taskTemplates(
  entry: TaskEntry,
  file: { path: string; shown: string } | undefined,
  files: Map<string, TemplateInspection | undefined>,
): TaskTemplates {
  const { task } = entry;
  const at = (...path: (string | number)[]): RenderLocation => ({
    source: task.source,
    path: [...task.path, ...path],
  });
  const always: TemplateInspection[] = [];
  const raw = new Set(getModule(task.module)?.rawArgs ?? []);
  for (const [name, value] of Object.entries(task.args)) {
    const where = { source: task.source, path: argPath(task, name) };
    // assert's `that` is a list of conditions; debug's `var` is a variable's name.
    if (name === 'that' && raw.has(name)) always.push(inspectCondition(value, where));
    else if (!raw.has(name)) always.push(inspectValue(value, where));
  }
  if (file) {
    if (!files.has(file.path)) files.set(file.path, templateFileInspection(file));
    const inspection = files.get(file.path);
    if (inspection) always.push(inspection);
  }
  if (writtenName(task)) inspectText(task.name, at('name'));
  if (task.vars) inspectValue(task.vars, at('vars'));
  const notify = valueAt(task.source.data, [...task.path, 'notify']);
  task.notify.forEach((name, index) => {
    always.push(inspectText(name, Array.isArray(notify) ? at('notify', index) : at('notify')));
  });
  if (task.delegateTo !== undefined) always.push(inspectText(task.delegateTo, at('delegate_to')));
  if (task.becomeUser !== undefined) always.push(inspectText(task.becomeUser, at('become_user')));
  if (task.environment) always.push(inspectValue(task.environment, at('environment')));
  if (task.changedWhen !== undefined) always.push(inspectCondition(task.changedWhen, at('changed_when')));
  if (task.failedWhen !== undefined) always.push(inspectCondition(task.failedWhen, at('failed_when')));
  if (task.until !== undefined) always.push(inspectCondition(task.until, at('until')));

  const conditions: Condition[] = [];
  const ref = entry.roleUse?.ref;
  const listed = (expr: unknown, where: RenderLocation) => {
    const items = Array.isArray(expr)
      ? expr.map((item, i) => [item, childLocation(where, i)] as const)
      : [[expr, where] as const];
    for (const [item, itemWhere] of items) {
      conditions.push({ expr: item, where: itemWhere, inspection: inspectCondition(item, itemWhere) });
    }
  };
  if (ref?.when !== undefined) listed(ref.when, { source: ref.source, path: [...ref.path, 'when'] });
  if (task.when !== undefined) listed(task.when, at('when'));
  const loop = task.loop === undefined ? undefined : inspectValue(task.loop, at('loop'));
  const inspections = [...(loop ? [loop] : []), ...conditions.map((c) => c.inspection), ...always];
  const names = new Set(inspections.flatMap((inspection) => [...inspection.referenced]));
  return { entry, conditions, always, names, ...(loop ? { loop } : {}) };
}

function templateFileInspection(file: { path: string; shown: string }): TemplateInspection | undefined {
  const bytes = readFileSync(file.path);
  // Not text: the run says so when it reads the file.
  return isText(bytes) ? inspectTemplateFile(bytes.toString('utf8'), file.shown) : undefined;
}

/** Names a value is given to while the playbook runs: registered results, set_fact, gathered facts. */
function runTimeNames(playbook: PlaybookModel): Set<string> {
  const names = new Set<string>();
  for (const play of playbook.plays) {
    // Gathered facts stay for the rest of the run, as registered values do.
    if (play.gatherFacts || play.roles.some(({ role }) => role.gatherFacts)) {
      for (const name of HOST_FACT_VARIABLES) names.add(name);
    }
    for (const { task } of allEntries(play)) {
      if (task.register !== undefined) names.add(task.register);
      if (task.module === 'set_fact') {
        for (const key of Object.keys(task.args)) if (key !== 'cacheable') names.add(key);
      }
    }
  }
  return names;
}

/** The task on one host: what it certainly renders must find its variables. */
function checkOnHost(templates: TaskTemplates, scope: VarScope, runTime: ReadonlySet<string>): void {
  const { task } = templates.entry;
  let contexts: VarScope[] = [scope];
  if (templates.loop) {
    const check = new Variables(scope, runTime);
    check.require(templates.loop);
    // Items known only at run time may be none: what the task renders per item is left to the run.
    if (!check.decidable(templates.loop)) return;
    const items = unlessLookup(() => loopItems(task, scope));
    // A loop over a secret lookup is known only once the run fetched it.
    if (!items) return;
    contexts = items.map((item) =>
      scope.with('loop', 'loop', { [task.loopVar]: item, ansible_loop_var: task.loopVar }),
    );
  }
  // The first item whose conditions certainly hold shows what every run of the task needs.
  const required = new Set<Condition>();
  for (const context of contexts) {
    const itemCheck = new Variables(context, runTime);
    let runs = true;
    for (const condition of templates.conditions) {
      if (!required.has(condition)) {
        itemCheck.require(condition.inspection);
        required.add(condition);
      }
      if (!itemCheck.decidable(condition.inspection)) return;
      const holds = unlessLookup(() => evaluateCondition(condition.expr, context, condition.where));
      if (holds === undefined) return;
      if (!holds) {
        runs = false;
        break;
      }
    }
    if (!runs) continue;
    for (const inspection of templates.always) itemCheck.require(inspection);
    return;
  }
}

/** `render()`, or undefined when it needs a secret lookup (fetched by the run, not before). */
function unlessLookup<T>(render: () => T): T | undefined {
  try {
    return render();
  } catch (error) {
    if (pendingLookup(error)) return undefined;
    throw error;
  }
}

/** What a host's variables can tell about a template before the run. */
class Variables {
  constructor(
    private readonly scope: VarScope,
    /** Names a task may set while the playbook runs. */
    private readonly later: ReadonlySet<string>,
  ) {}

  /**
   * Throws the render's own error for a variable the inspection needs that nothing defines,
   * also inside the values of the variables it uses (which are rendered with it).
   */
  require(inspection: TemplateInspection, usedBy?: NeededVariable, seen = new Set<string>()): void {
    for (const need of inspection.needed) {
      if (this.later.has(need.name)) continue;
      const definition = this.scope.definition(need.name);
      if (!definition) {
        const error = undefinedVariableError(need);
        if (FACT_NAMES.has(need.name)) error.message += FACT_HINT;
        throw usedBy ? neededByError(error, usedBy) : error;
      }
      if (!isTemplatedDefinition(definition) || seen.has(need.name)) continue;
      seen.add(need.name);
      let inner: TemplateInspection;
      try {
        inner = inspectValue(definition.value, definition.at);
      } catch (error) {
        throw isBosunError(error) ? neededByError(error, usedBy ?? need) : error;
      }
      this.require(inner, usedBy ?? need, seen);
    }
  }

  /** Whether the value can be computed now: it reads nothing that is only known at run time. */
  decidable(inspection: TemplateInspection, seen = new Set<string>()): boolean {
    for (const name of inspection.referenced) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (this.later.has(name) || RUN_TIME_MAGIC.has(name)) return false;
      const definition = this.scope.definition(name);
      if (!definition || !isTemplatedDefinition(definition)) continue;
      let inner: TemplateInspection;
      try {
        inner = inspectValue(definition.value, definition.at);
      } catch {
        return false;
      }
      if (!this.decidable(inner, seen)) return false;
    }
    return true;
  }
}

/** Whether the task was given a name (else its name is made from its arguments, not rendered). */
function writtenName(task: TaskModel): boolean {
  const node = valueAt(task.source.data, task.path);
  return node !== null && typeof node === 'object' && Object.hasOwn(node, 'name');
}
