/**
 * One task on one host: `when`, `loop`, rendering and checking the arguments, become,
 * environment, delegate_to, the module run, changed_when / failed_when, retries / until,
 * and the result registered and reported. Failures of the task are results; an unreachable
 * host (it leaves the play) and an interrupted command are reported as such.
 */
import { readFile } from 'node:fs/promises';
import { BosunError, isBosunError, isUnreachableError, messageOf } from '../errors.js';
import type { HostConnection } from '../inventory/connection.js';
import type { PlayModel } from '../model/playbook-types.js';
import { checkModuleArgs, isTemplate } from '../model/task-args.js';
import type { KeyPath } from '../model/yaml-source.js';
import { getModule } from '../modules/registry.js';
import { type Diff, isFileDiff, type ModuleContext, type ModuleDefinition } from '../modules/types.js';
import { describeUnknown, type TaskRef, type UnknownReason } from '../predict/effects.js';
import type { Transport } from '../transport/types.js';
import type { RenderLocation } from '../vars/location.js';
import { type Lookups, pendingLookup } from '../vars/lookups.js';
import type { VarScope } from '../vars/scope.js';
import type { Secrets } from '../vars/secrets.js';
import {
  evaluateCondition,
  renderTemplateFile,
  renderText,
  renderValue,
  resolveVariable,
} from '../vars/template.js';
import { censorResult } from './censor.js';
import { stateText, unifiedDiff } from './diff.js';
import type { EventDiff, HostResultEvent, HostStatus, RunEvent } from './events.js';
import { type FactStore, factSource, taskScope } from './host-scope.js';
import { localFileCandidates } from './input.js';
import { type ModuleInvocation, type ModuleRun, runModule } from './module-run.js';
import { argOrigins, argPath, loopItems, modulePath, type TaskEntry } from './play-plan.js';
import type { HostPrediction, Predictions } from './prediction.js';

/** What the task runner needs from the play runner. */
export interface TaskRunContext {
  play: PlayModel;
  playbookDir: string;
  check: boolean;
  diff: boolean;
  facts: FactStore;
  /** What check-mode tasks have predicted, per host. */
  predictions?: Predictions;
  transportFor(host: string): Transport;
  /** Connection settings (become defaults) of an inventory host or of localhost. */
  connectionFor(host: string): HostConnection;
  emit(event: RunEvent): void;
  sleep(ms: number): Promise<void>;
  /** The run's secrets: what a `no_log` task registers or sets joins them. */
  secrets: Secrets;
  /** The run's secret lookups (ssm, aws_secret), fetched the first time a render needs them. */
  lookups: Lookups;
}

export interface HostTaskResult {
  host: string;
  status: HostStatus;
  ignored: boolean;
  /** The value `register:` stores. */
  registered: Record<string, unknown>;
  /** set_fact values. */
  facts?: Record<string, unknown>;
  /** meta: flush_handlers asked for. */
  flush: boolean;
  event: HostResultEvent;
}

/** One run of the module (one item of a loop), after changed_when / failed_when / until. */
interface Attempt {
  status: Exclude<HostStatus, 'unreachable' | 'interrupted'>;
  registered: Record<string, unknown>;
  msg?: string;
  diffs?: EventDiff[];
  facts?: Record<string, unknown>;
  flush?: boolean;
  delegatedTo?: string;
  /** status unknown: why. */
  unknown?: UnknownReason;
  /** Check mode: a command that would run was not run (its output is not known). */
  notRun?: boolean;
}

/**
 * Run `entry` on `host` with the host's play scope `base`; emits the host's result events
 * (items first, for loops) and returns the outcome. Throws only for an unreachable host.
 */
export async function runTaskOnHost(
  c: TaskRunContext,
  entry: TaskEntry,
  host: string,
  base: VarScope,
  displayName: string,
): Promise<HostTaskResult> {
  const { task } = entry;
  const started = Date.now();
  const event = (fields: Partial<HostResultEvent> & { status: HostStatus }): HostResultEvent => ({
    type: 'host_result',
    host,
    task: displayName,
    taskId: task.id,
    ...fields,
    durationMs: fields.durationMs ?? Date.now() - started,
  });
  const emit = (e: HostResultEvent) => c.emit(task.noLog ? censorResult(e) : e);
  const self: TaskRef = { task: displayName, id: task.id };
  const watch = varWatch(c, host, entry);

  let outcome: { attempt: Attempt; loop: boolean };
  try {
    let scope = taskScope(base, entry, c.facts.layer(host));
    await c.lookups.retrying(() => touchTemplates(entry, scope));
    if (watch) scope = scope.watched((name) => watch.reads.add(name));
    if (task.loop !== undefined) {
      outcome = { attempt: await runLoop(c, entry, host, scope, event, emit, self, watch), loop: true };
    } else outcome = { attempt: await runSingle(c, entry, host, scope, self, watch), loop: false };
  } catch (error) {
    if (isUnreachableError(error)) {
      const e = event({ status: 'unreachable', msg: `${error.code}: ${error.message}` });
      emit(e);
      return { host, status: 'unreachable', ignored: false, registered: {}, flush: false, event: e };
    }
    if (isBosunError(error, 'BOSUN_INTERRUPTED')) {
      const e = event({ status: 'interrupted', msg: interruptedMessage(error) });
      emit(e);
      return { host, status: 'interrupted', ignored: false, registered: {}, flush: false, event: e };
    }
    const msg = failureMessage(error);
    outcome = {
      attempt: { status: 'failed', msg, registered: { changed: false, failed: true, msg } },
      loop: false,
    };
  }

  const { attempt } = outcome;
  const ignored = attempt.status === 'failed' && task.ignoreErrors;
  const e = event({ status: attempt.status, ...eventFields(attempt) });
  if (outcome.loop) e.loop = true;
  if (ignored) e.ignored = true;
  emit(e);
  // Modules report what they could not do but did not fail for (a sysctl that is not this
  // kernel's own to set): shown as warnings, as Ansible shows [WARNING].
  const warnings = attempt.registered.warnings;
  if (!task.noLog && Array.isArray(warnings)) {
    for (const message of warnings)
      if (typeof message === 'string') c.emit({ type: 'warning', host, message });
  }

  // A no_log task's result stays usable by later tasks, but whatever of it they print is redacted.
  if (task.noLog) {
    c.secrets.add(noLogOutputs(attempt.registered, task.loopVar));
    if (attempt.facts) c.secrets.add(attempt.facts);
  }
  if (task.register) c.facts.set(host, task.register, attempt.registered, factSource('register', entry));
  if (watch) rememberUnknown(watch, entry, self, attempt);
  const result: HostTaskResult = {
    host,
    status: attempt.status,
    ignored,
    registered: attempt.registered,
    flush: attempt.flush ?? false,
    event: e,
  };
  if (attempt.facts) {
    result.facts = attempt.facts;
    for (const [name, value] of Object.entries(attempt.facts))
      c.facts.set(host, name, value, factSource('set_fact', entry));
  }
  return result;
}

/**
 * What a no_log task's result holds that may be secret: its output and values, not Bosun's
 * own bookkeeping (status flags, the path it worked on, the loop's item), which later tasks
 * print as a matter of course.
 */
const BOOKKEEPING = new Set([
  'changed',
  'failed',
  'skipped',
  'skip_reason',
  'unknown',
  'rc',
  'attempts',
  'ansible_loop_var',
  'path',
  'dest',
  'src',
  'state',
  'mode',
  'owner',
  'group',
  'warnings',
]);

function noLogOutputs(registered: Record<string, unknown>, loopVar: string): unknown[] {
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(registered)) {
    if (BOOKKEEPING.has(key) || key === loopVar) continue;
    if (key === 'results' && Array.isArray(value)) {
      for (const item of value)
        if (item !== null && typeof item === 'object')
          out.push(...noLogOutputs(item as Record<string, unknown>, loopVar));
      continue;
    }
    out.push(value);
  }
  return out;
}

/** Check mode: the variables a task reads, to know when it uses a result not known before the run. */
interface VarWatch {
  host: HostPrediction;
  reads: Set<string>;
}

function varWatch(c: TaskRunContext, host: string, entry: TaskEntry): VarWatch | undefined {
  if (!(entry.task.checkMode ?? c.check) || !c.predictions) return undefined;
  return { host: c.predictions.host(host), reads: new Set() };
}

/** A variable read since the watch was cleared holds a result not known before the run. */
function unknownRead(watch: VarWatch | undefined, except?: string): UnknownReason | undefined {
  if (!watch) return undefined;
  const names = [...watch.reads].filter((name) => name !== except);
  return watch.host.unknownVariable(names)?.reason;
}

function unknownAttempt(reason: UnknownReason): Attempt {
  const msg = describeUnknown(reason);
  return { status: 'unknown', msg, unknown: reason, registered: { changed: false, unknown: true, msg } };
}

/** Results this task registers or sets that are not known (unknown, or a command not run) are remembered. */
function rememberUnknown(watch: VarWatch, entry: TaskEntry, self: TaskRef, attempt: Attempt): void {
  const { task } = entry;
  const names = [
    ...(task.register ? [task.register] : []),
    ...(task.module === 'set_fact' ? Object.keys(task.args).filter((key) => key !== 'cacheable') : []),
  ];
  const reason: UnknownReason | undefined =
    attempt.status === 'unknown'
      ? { by: self, why: 'what it registers is known only after the run' }
      : attempt.notRun
        ? { by: self, why: 'check mode does not run it, so its output is not known' }
        : undefined;
  for (const name of names) {
    if (reason) watch.host.markVariable(name, reason);
    else watch.host.clearVariable(name);
  }
}

function eventFields(attempt: Attempt): Partial<HostResultEvent> {
  const fields: Partial<HostResultEvent> = {};
  if (attempt.msg !== undefined) fields.msg = attempt.msg;
  if (attempt.unknown?.by) fields.needs = { task: attempt.unknown.by.task, taskId: attempt.unknown.by.id };
  if (attempt.diffs && attempt.diffs.length > 0) fields.diffs = attempt.diffs;
  const { rc, stdout, stderr } = attempt.registered;
  if (typeof rc === 'number' || rc === null) fields.rc = rc;
  if (typeof stdout === 'string') fields.stdout = stdout;
  if (typeof stderr === 'string') fields.stderr = stderr;
  if (attempt.delegatedTo !== undefined) fields.delegatedTo = attempt.delegatedTo;
  return fields;
}

/** What the interrupt did to the host's command (the transport says), else the whole message. */
function interruptedMessage(error: BosunError): string {
  const what = error.details?.what;
  return typeof what === 'string' ? what : error.message;
}

function failureMessage(error: unknown): string {
  if (!isBosunError(error)) return messageOf(error);
  if (error.code === 'BOSUN_INPUT' || error.code === 'BOSUN_MODULE_FAILED') return error.message;
  return `${error.code}: ${error.message}`;
}

async function runLoop(
  c: TaskRunContext,
  entry: TaskEntry,
  host: string,
  scope: VarScope,
  event: (fields: Partial<HostResultEvent> & { status: HostStatus }) => HostResultEvent,
  emit: (e: HostResultEvent) => void,
  self: TaskRef,
  watch: VarWatch | undefined,
): Promise<Attempt> {
  const { task } = entry;
  let items: unknown[];
  try {
    items = loopItems(task, scope);
  } catch (error) {
    const reason = unknownRead(watch);
    if (reason) return unknownAttempt(reason);
    throw error;
  }
  const reason = unknownRead(watch);
  if (reason) return unknownAttempt(reason);
  if (items.length === 0) {
    return {
      status: 'skipped',
      registered: { changed: false, skipped: true, skip_reason: 'No items in the list', results: [] },
    };
  }
  const results: Record<string, unknown>[] = [];
  const statuses: Attempt['status'][] = [];
  let facts: Record<string, unknown> | undefined;
  let flush = false;
  let delegatedTo: string | undefined;
  let unknown: UnknownReason | undefined;
  let notRun = false;
  for (const item of items) {
    const started = Date.now();
    const itemScope = scope.with('loop', 'loop', { [task.loopVar]: item, ansible_loop_var: task.loopVar });
    let attempt: Attempt;
    try {
      attempt = await runSingle(c, entry, host, itemScope, self, watch);
    } catch (error) {
      if (isUnreachableError(error) || isBosunError(error, 'BOSUN_INTERRUPTED')) throw error;
      const msg = failureMessage(error);
      attempt = { status: 'failed', msg, registered: { changed: false, failed: true, msg } };
    }
    emit(event({ status: attempt.status, item, ...eventFields(attempt), durationMs: Date.now() - started }));
    statuses.push(attempt.status);
    results.push({ ...attempt.registered, [task.loopVar]: item, ansible_loop_var: task.loopVar });
    if (attempt.facts) facts = { ...facts, ...attempt.facts };
    if (attempt.flush) flush = true;
    delegatedTo ??= attempt.delegatedTo;
    unknown ??= attempt.unknown;
    if (attempt.notRun) notRun = true;
  }
  const failed = statuses.includes('failed');
  const changed = statuses.includes('changed');
  // An item not known leaves the task not known, unless another item changes it anyway.
  const isUnknown = unknown !== undefined && !changed;
  const skipped = statuses.every((status) => status === 'skipped');
  const registered: Record<string, unknown> = {
    changed,
    failed,
    results,
    msg: failed ? 'One or more items failed' : 'All items completed',
  };
  if (skipped) registered.skipped = true;
  const attempt: Attempt = {
    status: failed ? 'failed' : changed ? 'changed' : isUnknown ? 'unknown' : skipped ? 'skipped' : 'ok',
    registered,
  };
  if (failed) attempt.msg = 'One or more items failed';
  if (unknown) {
    // What the task registers is not fully known either way.
    attempt.unknown = unknown;
    registered.unknown = true;
    if (isUnknown) attempt.msg = describeUnknown(unknown);
  }
  if (notRun) attempt.notRun = true;
  if (facts) attempt.facts = facts;
  if (flush) attempt.flush = true;
  if (delegatedTo !== undefined) attempt.delegatedTo = delegatedTo;
  return attempt;
}

/**
 * Render what the task will render (conditions, loop, arguments, environment, delegate_to,
 * become_user), each item's too, only to stop at a secret lookup not fetched yet: the caller
 * fetches it and calls again, so the run's renders find every value they need. Any other
 * error is left for the run to report where it happens.
 */
function touchTemplates(entry: TaskEntry, scope: VarScope): void {
  const { task } = entry;
  const attempt = <T>(render: () => T): T | undefined => {
    try {
      return render();
    } catch (error) {
      if (pendingLookup(error)) throw error;
      return undefined;
    }
  };
  for (const { expr, where } of conditions(entry)) attempt(() => evaluateCondition(expr, scope, where));
  const items = task.loop === undefined ? [undefined] : (attempt(() => loopItems(task, scope)) ?? []);
  for (const item of items) {
    const itemScope =
      task.loop === undefined
        ? scope
        : scope.with('loop', 'loop', { [task.loopVar]: item, ansible_loop_var: task.loopVar });
    const raw = new Set(getModule(task.module)?.rawArgs ?? []);
    for (const [name, value] of Object.entries(task.args))
      if (!raw.has(name))
        attempt(() => renderValue(value, itemScope, { source: task.source, path: argPath(task, name) }));
    for (const [key, value] of [
      ['environment', task.environment],
      ['delegate_to', task.delegateTo],
      ['become_user', task.becomeUser],
    ] as const)
      if (value !== undefined) attempt(() => renderValue(value, itemScope, at(task, key)));
  }
}

/** The conditions a task runs under: its role reference's `when`, then its own. */
function conditions(entry: TaskEntry): { expr: unknown; where: RenderLocation }[] {
  const list: { expr: unknown; where: RenderLocation }[] = [];
  const ref = entry.roleUse?.ref;
  if (ref?.when !== undefined)
    list.push({ expr: ref.when, where: { source: ref.source, path: [...ref.path, 'when'] } });
  const { task } = entry;
  if (task.when !== undefined)
    list.push({ expr: task.when, where: { source: task.source, path: [...task.path, 'when'] } });
  return list;
}

/**
 * `read` (a render of the task's values) in check mode: when it uses a result that is not known
 * before the run, the task is not known either (also when the render fails for want of it).
 */
function known<T>(watch: VarWatch | undefined, read: () => T): { value: T } | { unknown: Attempt } {
  try {
    const value = read();
    const reason = unknownRead(watch);
    return reason ? { unknown: unknownAttempt(reason) } : { value };
  } catch (error) {
    const reason = unknownRead(watch);
    if (reason) return { unknown: unknownAttempt(reason) };
    throw error;
  }
}

async function runSingle(
  c: TaskRunContext,
  entry: TaskEntry,
  host: string,
  scope: VarScope,
  self: TaskRef,
  watch: VarWatch | undefined,
): Promise<Attempt> {
  const { task } = entry;
  watch?.reads.clear();
  for (const { expr, where } of conditions(entry)) {
    const holds = known(watch, () => evaluateCondition(expr, scope, where));
    if ('unknown' in holds) return holds.unknown;
    if (!holds.value) {
      const registered = {
        changed: false,
        skipped: true,
        skip_reason: 'Conditional result was False',
        false_condition: expr,
      };
      return { status: 'skipped', registered };
    }
  }
  const module = getModule(task.module);
  if (!module) throw new BosunError('BOSUN_INTERNAL', `module "${task.module}" is not registered`);
  const rendered = known(watch, () => {
    const args = renderArgs(task, module, scope);
    const target =
      task.delegateTo === undefined ? host : renderText(task.delegateTo, scope, at(task, 'delegate_to'));
    const connection = c.connectionFor(target);
    const userText = task.becomeUser ?? c.play.becomeUser ?? connection.become.user;
    const becomeUser =
      userText !== undefined && isTemplate(userText)
        ? renderText(userText, scope, at(task, task.becomeUser !== undefined ? 'become_user' : undefined))
        : userText;
    const env = task.environment ? environment(task.environment, scope, at(task, 'environment')) : undefined;
    return { args, target, connection, becomeUser, env };
  });
  if ('unknown' in rendered) return rendered.unknown;
  const { args, target, connection, becomeUser, env } = rendered.value;

  const check = task.checkMode ?? c.check;
  const delegatedTo = target !== host ? target : undefined;
  const sudo = task.become ?? c.play.become ?? connection.become.enabled;

  const ctx: ModuleContext = {
    host,
    check,
    diff: c.diff,
    vars: lazyVars(scope),
    become: sudo,
    readLocalFile: (path) => readLocalFile(path, entry, c.playbookDir),
    evaluate: (condition) =>
      evaluateCondition(condition, scope, { source: task.source, path: argPath(task, 'that') }),
    renderTemplate: (text, file) => renderTemplateFile(text, scope, file),
  };
  if (becomeUser !== undefined) ctx.becomeUser = becomeUser;

  const retries = task.retries ?? (task.until !== undefined ? 3 : 0);
  const delayMs = (task.delay ?? 5) * 1000;
  let attempt!: Attempt;
  for (let number = 1; number <= retries + 1; number++) {
    let run: ModuleRun;
    try {
      const invocation: ModuleInvocation = {
        module,
        args,
        ctx,
        transport: () => c.transportFor(target),
        sudo,
        becomeUser,
        env,
        check,
        secrets: c.secrets,
        lookups: c.lookups,
      };
      if (check && c.predictions) {
        invocation.prediction = {
          host: c.predictions.host(target),
          task: self,
          workspace: c.predictions.workspace,
        };
      }
      run = await runModule(invocation);
    } catch (error) {
      if (isUnreachableError(error) || !isBosunError(error, 'BOSUN_MODULE_FAILED')) throw error;
      run = { kind: 'done', outcome: { changed: false, failed: true, msg: error.message, result: {} } };
    }
    attempt = judge(run, task.register, scope, entry, c.diff, watch);
    if (delegatedTo !== undefined) attempt.delegatedTo = delegatedTo;
    // Check mode cannot retry what it did not run.
    if (attempt.status === 'skipped' || attempt.status === 'unknown' || attempt.notRun || retries === 0)
      break;
    // Without `until`, retries repeat the task until it does not fail.
    const done =
      task.until === undefined
        ? attempt.status !== 'failed'
        : evaluateCondition(
            task.until,
            withRegistered(scope, task.register, attempt.registered),
            at(task, 'until'),
          );
    attempt.registered.attempts = number;
    if (done) break;
    if (number > retries) {
      attempt.status = 'failed';
      attempt.registered.failed = true;
      attempt.msg ??= `still not done after ${number} attempts (until: ${JSON.stringify(task.until ?? 'success')})`;
      attempt.registered.msg ??= attempt.msg;
      break;
    }
    c.emit({
      type: 'warning',
      host,
      message: `FAILED - RETRYING: [${host}]: ${task.name} (${retries - number + 1} retries left)`,
    });
    await c.sleep(delayMs);
  }
  return attempt;
}

/** The module's outcome, then changed_when and failed_when, as the registered result and a status. */
function judge(
  run: ModuleRun,
  register: string | undefined,
  scope: VarScope,
  entry: TaskEntry,
  diff: boolean,
  watch: VarWatch | undefined,
): Attempt {
  const { task } = entry;
  if (run.kind === 'skipped') {
    return {
      status: 'skipped',
      msg: run.reason,
      registered: { changed: false, skipped: true, skip_reason: run.reason },
    };
  }
  if (run.kind === 'unknown') return unknownAttempt(run.reason);
  const { outcome } = run;
  const registered: Record<string, unknown> = {
    ...outcome.result,
    changed: outcome.changed,
    failed: outcome.failed ?? false,
  };
  if (outcome.msg !== undefined && registered.msg === undefined) registered.msg = outcome.msg;
  // A command check mode did not run: a condition on its own output cannot be known.
  const ownOutput = (): boolean =>
    run.notRun === true && register !== undefined && watch?.reads.has(register) === true;
  // Its own register name is this result, not an earlier one.
  const earlier = () => unknownRead(watch, register);
  if (task.changedWhen !== undefined) {
    watch?.reads.clear();
    let changed: boolean | undefined;
    try {
      changed = evaluateCondition(
        task.changedWhen,
        withRegistered(scope, register, registered),
        at(task, 'changed_when'),
      );
    } catch (error) {
      if (!ownOutput() && !earlier()) throw error;
    }
    if (ownOutput()) {
      return unknownAttempt({
        why: 'whether it changes depends on its output (changed_when), and check mode does not run it',
      });
    }
    const reason = earlier();
    if (reason) return unknownAttempt(reason);
    registered.changed = changed === true;
  }
  if (task.failedWhen !== undefined) {
    watch?.reads.clear();
    let failed = false;
    try {
      failed = evaluateCondition(
        task.failedWhen,
        withRegistered(scope, register, registered),
        at(task, 'failed_when'),
      );
    } catch (error) {
      if (!ownOutput() && !earlier()) throw error;
    }
    const reason = earlier();
    if (reason) return unknownAttempt(reason);
    // Whether a command check mode did not run fails is known only when it runs.
    if (ownOutput()) failed = false;
    registered.failed = failed;
    registered.failed_when_result = failed;
    if (failed && typeof registered.msg !== 'string') registered.msg = 'failed_when condition is true';
  }
  const failed = registered.failed === true;
  const changed = registered.changed === true;
  const attempt: Attempt = { status: failed ? 'failed' : changed ? 'changed' : 'ok', registered };
  if (run.notRun) attempt.notRun = true;
  const module = getModule(task.module);
  if (failed) attempt.msg = typeof registered.msg === 'string' ? registered.msg : 'failed';
  else if (module?.kind === 'controller' && outcome.msg !== undefined) attempt.msg = outcome.msg;
  if (diff && changed && run.diffs) attempt.diffs = eventDiffs(run.diffs);
  if (outcome.facts) attempt.facts = outcome.facts;
  if (outcome.meta === 'flush_handlers') attempt.flush = true;
  return attempt;
}

function withRegistered(
  scope: VarScope,
  register: string | undefined,
  value: Record<string, unknown>,
): VarScope {
  return register ? scope.with('facts', 'register', { [register]: value }) : scope;
}

function at(task: TaskEntry['task'], key: string | undefined): RenderLocation {
  return { source: task.source, path: key === undefined ? task.path : [...task.path, key] };
}

/** Arguments rendered (except those the module evaluates itself) and checked against the module's schema. */
function renderArgs(
  task: TaskEntry['task'],
  module: ModuleDefinition,
  scope: VarScope,
): Record<string, unknown> {
  const raw = new Set(module.rawArgs ?? []);
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(task.args)) {
    args[name] = raw.has(name)
      ? value
      : renderValue(value, scope, { source: task.source, path: argPath(task, name) });
  }
  const path: KeyPath = modulePath(task);
  checkModuleArgs(module, args, task.source, path, argOrigins(task, args));
  return args;
}

function environment(
  value: Record<string, unknown>,
  scope: VarScope,
  where: RenderLocation,
): Record<string, string> {
  const rendered = renderValue(value, scope, where) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(rendered)) {
    if (item === null || item === undefined) continue;
    out[name] =
      typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item);
  }
  return out;
}

/** The host's variables for modules that look names up (debug var), rendered on first access. */
function lazyVars(scope: VarScope): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const name of scope.names()) {
    let cached: { value: unknown } | undefined;
    Object.defineProperty(vars, name, {
      enumerable: true,
      get: () => {
        cached ??= { value: resolveVariable(scope, name) };
        return cached.value;
      },
    });
  }
  return vars;
}

async function readLocalFile(path: string, entry: TaskEntry, playbookDir: string): Promise<Buffer> {
  const candidates = localFileCandidates(path, entry, playbookDir);
  for (const candidate of candidates) {
    try {
      return await readFile(candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') throw error;
    }
  }
  throw new BosunError(
    'BOSUN_INPUT',
    `file "${path}" not found on the controller (looked for ${candidates.join(', ')})`,
  );
}

/** Module diffs as unified text (files) or `key: value` lines (attributes). */
export function eventDiffs(diffs: readonly Diff[]): EventDiff[] {
  const out: EventDiff[] = [];
  for (const diff of diffs) {
    if (isFileDiff(diff)) {
      const unified = unifiedDiff(diff.before, diff.after, {
        beforeLabel: diff.beforeLabel ?? `before: ${diff.path}`,
        afterLabel: diff.afterLabel ?? `after: ${diff.path}`,
      });
      if (unified !== '') out.push({ path: diff.path, unified });
      continue;
    }
    const path =
      typeof diff.before.path === 'string'
        ? diff.before.path
        : typeof diff.after.path === 'string'
          ? diff.after.path
          : undefined;
    const { path: _b, ...before } = diff.before;
    const { path: _a, ...after } = diff.after;
    const unified = unifiedDiff(stateText(before), stateText(after), {
      beforeLabel: path === undefined ? 'before' : `before: ${path}`,
      afterLabel: path === undefined ? 'after' : `after: ${path}`,
    });
    if (unified === '') continue;
    out.push(path === undefined ? { unified } : { path, unified });
  }
  return out;
}
