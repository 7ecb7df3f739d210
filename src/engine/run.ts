/**
 * Running a loaded playbook: plays in order; each play's hosts in `serial` batches; in a batch,
 * Ansible's linear strategy: every host finishes task N before any starts task N+1, hosts in
 * parallel (at most `forks` at once). A host that fails leaves the play (and the run) while the
 * others go on; an unreachable host likewise, counted apart. Handlers run at the flush points
 * on the hosts that notified them. Everything that happens is an event; nothing is printed.
 */
import { BosunError } from '../errors.js';
import { connectionSecrets, type HostConnection, inventoryConnection } from '../inventory/connection.js';
import { describeUnknown, type TaskRef, type UnknownReason } from '../predict/effects.js';
import { loginUser } from '../transport/login-user.js';
import type { TransportSpec } from '../transport/registry.js';
import { TransportRun } from '../transport/registry.js';
import type { Transport } from '../transport/types.js';
import { withLookups } from '../vars/lookups.js';
import type { VarScope } from '../vars/scope.js';
import { withSecrets } from '../vars/secrets.js';
import { renderText } from '../vars/template.js';
import { pLimit } from '../vendor/p-limit.js';
import { serialBatches } from './batches.js';
import {
  countResult,
  type EventListener,
  emptyRecap,
  type HostRecap,
  type HostResultEvent,
  type RunEvent,
} from './events.js';
import { HostFactsCache } from './gather.js';
import { HandlerNotifications } from './handlers.js';
import { FactStore, magicVars, playScope, taskScope } from './host-scope.js';
import { LOCAL_NAMES, type PreparedPlay, type RunInput } from './input.js';
import { handlerEntries, playSections, type TaskEntry } from './play-plan.js';
import { verdictAfterTask } from './policy.js';
import { Predictions } from './prediction.js';
import { ALL_TAGS, type TagSelection, tagsAllow } from './tags.js';
import { type HostTaskResult, runTaskOnHost, type TaskRunContext } from './task-run.js';

/** Where transports come from: a TransportRun (one SSH pool for the run) unless a test gives another. */
export interface TransportProvider {
  transport(spec: TransportSpec): Transport;
  /** Stop the commands in flight (and their processes on the hosts); start no more. */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

export interface RunPlaybookOptions {
  onEvent: EventListener;
  /** Hosts worked on at once (default 50). */
  forks?: number;
  tags?: TagSelection;
  /**
   * Aborted (Ctrl-C): no new task starts, the commands in flight are stopped on their hosts
   * (each such host's task is reported `interrupted`), and the run ends as interrupted.
   */
  signal?: AbortSignal | undefined;
  transports?: TransportProvider;
  /** How retries wait (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

export interface RunSummary {
  recap: Record<string, HostRecap>;
  /** Hosts that failed (not ignored) somewhere in the run. */
  failedHosts: string[];
  unreachableHosts: string[];
  /** Hosts whose task an interrupt stopped, and that task. */
  interruptedTasks: Record<string, string>;
  /** Why the run stopped early (any_errors_fatal, max_fail_percentage, no hosts left). */
  aborted?: string;
  interrupted: boolean;
  durationMs: number;
}

export const DEFAULT_FORKS = 50;

export async function runPlaybook(input: RunInput, options: RunPlaybookOptions): Promise<RunSummary> {
  const started = Date.now();
  const runner = new PlaybookRunner(input, options);
  try {
    // Every render of the run answers its lookup helpers from the run's own cache, and adds
    // what its helpers make from a secret to the run's secrets.
    return await withLookups(input.lookups, () => withSecrets(input.secrets, () => runner.run(started)));
  } finally {
    await runner.close();
  }
}

class PlaybookRunner {
  private readonly recap = new Map<string, HostRecap>();
  private readonly failed = new Set<string>();
  private readonly unreachable = new Set<string>();
  private readonly interruptedTasks = new Map<string, string>();
  private readonly facts = new FactStore();
  private readonly hostFacts = new HostFactsCache();
  private readonly predictions = new Predictions();
  private readonly transports: TransportProvider;
  private readonly opened = new Map<string, Transport>();
  private readonly connections: Map<string, HostConnection>;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly tags: TagSelection;
  private aborted: string | undefined;
  private onAbort = () => {};

  constructor(
    private readonly input: RunInput,
    private readonly options: RunPlaybookOptions,
  ) {
    this.transports = options.transports ?? new TransportRun();
    this.connections = new Map(input.connections);
    this.limit = pLimit(Math.max(1, options.forks ?? DEFAULT_FORKS));
    this.tags = options.tags ?? ALL_TAGS;
  }

  private get interrupted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Every event leaves the engine with the run's secrets redacted (src/vars/secrets.ts). */
  private emit(raw: RunEvent): void {
    const event = this.input.secrets.redactDeep(raw);
    if (event.type === 'host_result') {
      let recap = this.recap.get(event.host);
      if (!recap) {
        recap = emptyRecap();
        this.recap.set(event.host, recap);
      }
      countResult(recap, event);
      if (event.status === 'interrupted') this.interruptedTasks.set(event.host, event.task);
    }
    this.options.onEvent(event);
  }

  async run(started: number): Promise<RunSummary> {
    const signal = this.options.signal;
    this.onAbort = () => {
      // Closing a connection would leave the commands running on the hosts: stop them first;
      // their tasks then end as interrupted, and the connections close with the run.
      void this.transports.interrupt().catch(() => {});
    };
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.emit({
      type: 'run_start',
      playbook: this.input.playbook.file,
      check: this.input.check,
      diff: this.input.diff,
    });
    for (const prepared of this.input.plays) {
      if (this.aborted !== undefined || this.interrupted) break;
      await this.runPlay(prepared);
    }
    // Check mode's memory-only downloads leave the hosts with the run.
    if (!this.interrupted) await this.predictions.clean((host) => this.transportFor(host));
    const recap = Object.fromEntries(
      [...this.recap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const durationMs = Date.now() - started;
    const interrupted = this.interrupted;
    this.emit({ type: 'run_end', recap, durationMs, ...(interrupted ? { interrupted: true } : {}) });
    const summary: RunSummary = {
      recap,
      failedHosts: [...this.failed],
      unreachableHosts: [...this.unreachable],
      interruptedTasks: Object.fromEntries(this.interruptedTasks),
      interrupted,
      durationMs,
    };
    if (this.aborted !== undefined) summary.aborted = this.aborted;
    return summary;
  }

  async close(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await this.transports.close();
  }

  private async runPlay(prepared: PreparedPlay): Promise<void> {
    const { play } = prepared;
    const hosts = prepared.hosts.filter((host) => !this.failed.has(host) && !this.unreachable.has(host));
    if (hosts.length === 0) {
      const why = prepared.hosts.length === 0 ? 'no hosts matched' : 'no hosts left';
      this.emit({ type: 'warning', message: `play "${play.name}": ${why}, skipping it` });
      return;
    }
    const batches = serialBatches(hosts, play.serial);
    for (const [index, batch] of batches.entries()) {
      if (this.aborted !== undefined || this.interrupted) break;
      await new BatchRunner(this, prepared, hosts, batch, index + 1, batches.length).run();
    }
  }

  // What BatchRunner uses.

  emitEvent(event: RunEvent): void {
    this.emit(event);
  }

  ensureRecap(host: string): void {
    if (!this.recap.has(host)) this.recap.set(host, emptyRecap());
  }

  markFailed(host: string, unreachable: boolean): void {
    (unreachable ? this.unreachable : this.failed).add(host);
  }

  abort(reason: string): void {
    this.aborted ??= reason;
  }

  isInterrupted(): boolean {
    return this.interrupted;
  }

  isStopped(): boolean {
    return this.aborted !== undefined || this.interrupted;
  }

  get runInput(): RunInput {
    return this.input;
  }

  get factStore(): FactStore {
    return this.facts;
  }

  get hostFactsCache(): HostFactsCache {
    return this.hostFacts;
  }

  get predictionStore(): Predictions {
    return this.predictions;
  }

  get forksLimit(): ReturnType<typeof pLimit> {
    return this.limit;
  }

  get tagSelection(): TagSelection {
    return this.tags;
  }

  sleep(ms: number): Promise<void> {
    if (this.options.sleep) return this.options.sleep(ms);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  connectionFor(name: string): HostConnection {
    const known = this.connections.get(name);
    if (known) return known;
    const { inventory, connectionOverrides } = this.input;
    let connection: HostConnection;
    if (inventory.hasHost(name)) connection = inventoryConnection(inventory, name, connectionOverrides);
    else if (LOCAL_NAMES.has(name)) {
      const transport: TransportSpec = { kind: 'local', name };
      if (connectionOverrides.becomePassword !== undefined)
        transport.becomePassword = connectionOverrides.becomePassword;
      connection = { host: name, transport, become: { enabled: false, user: undefined } };
    } else {
      throw new BosunError('BOSUN_INPUT', `delegate_to: no host "${name}" in the inventory`);
    }
    this.input.secrets.add(connectionSecrets(connection));
    this.connections.set(name, connection);
    return connection;
  }

  transportFor(name: string): Transport {
    let transport = this.opened.get(name);
    if (!transport) {
      transport = this.transports.transport(this.connectionFor(name).transport);
      this.opened.set(name, transport);
    }
    return transport;
  }
}

/** One batch of one play: the linear strategy, handlers and the failure policy. */
class BatchRunner {
  private readonly active: string[];
  private readonly bases = new Map<string, VarScope>();
  private readonly notifications = new HandlerNotifications();
  /** Check mode: hosts where the handler running now is not known to run, and why. */
  private uncertain = new Map<string, UnknownReason>();
  private readonly handlers: TaskEntry[];
  private readonly context: TaskRunContext;
  private failedInBatch = 0;
  private stopReason: string | undefined;

  constructor(
    private readonly runner: PlaybookRunner,
    private readonly prepared: PreparedPlay,
    playHosts: readonly string[],
    private readonly batch: readonly string[],
    private readonly number: number,
    private readonly count: number,
  ) {
    this.active = [...batch];
    this.handlers = handlerEntries(prepared.play);
    const input = runner.runInput;
    for (const host of batch) {
      const connection = input.connections.get(host);
      const magic = magicVars({
        inventory: input.inventory,
        host,
        connectionUser: connection ? loginUser(connection.transport) : undefined,
        connectionKind: connection?.transport.kind,
        playbookDir: input.playbook.dir,
        check: input.check,
        diff: input.diff,
        playHosts,
        batchHosts: batch,
        facts: runner.factStore,
      });
      this.bases.set(
        host,
        playScope({
          inventory: input.inventory,
          host,
          play: prepared.play,
          extraVars: input.extraVars,
          varsFiles: prepared.varsFiles.get(host) ?? [],
          magic,
        }),
      );
    }
    this.context = {
      play: prepared.play,
      playbookDir: input.playbook.dir,
      check: input.check,
      diff: input.diff,
      facts: runner.factStore,
      predictions: runner.predictionStore,
      transportFor: (host) => runner.transportFor(host),
      connectionFor: (host) => runner.connectionFor(host),
      emit: (event) => runner.emitEvent(event),
      sleep: (ms) => runner.sleep(ms),
      secrets: input.secrets,
      lookups: input.lookups,
    };
  }

  async run(): Promise<void> {
    const { play } = this.prepared;
    this.runner.emitEvent({
      type: 'play_start',
      name: play.name,
      pattern: play.hosts,
      hosts: [...this.batch],
      batch: this.number,
      batches: this.count,
    });
    for (const host of this.batch) this.runner.ensureRecap(host);
    if (play.gatherFacts) await this.gatherFacts();
    sections: for (const section of playSections(play)) {
      for (const entry of section) {
        if (this.stopped()) break sections;
        if (!tagsAllow(entry.task.tags, this.runner.tagSelection)) continue;
        const role = entry.roleUse?.role;
        if (role?.gatherFacts) {
          await this.gatherFacts(role.name);
          if (this.stopped()) break sections;
        }
        if (entry.task.module === 'meta') {
          if (entry.task.args.free_form === 'flush_handlers') await this.flushHandlers();
          continue;
        }
        const results = await this.runTask(entry, [...this.active]);
        if (this.afterTask(entry, results)) await this.flushHandlers();
      }
      if (!this.stopped()) await this.flushHandlers();
    }
    const end: RunEvent = { type: 'play_end', name: play.name, batch: this.number };
    if (this.stopReason !== undefined) end.aborted = this.stopReason;
    this.runner.emitEvent(end);
  }

  private stopped(): boolean {
    return this.stopReason !== undefined || this.runner.isStopped() || this.active.length === 0;
  }

  /** Host facts of the active hosts that have none yet (cached for the run); failing hosts leave. */
  private async gatherFacts(role?: string): Promise<void> {
    const context = {
      facts: this.runner.factStore,
      transportFor: (host: string) => this.runner.transportFor(host),
      emit: (event: RunEvent) => this.runner.emitEvent(event),
    };
    const results = await this.runner.hostFactsCache.gather(
      context,
      [...this.active],
      (work) => this.runner.forksLimit(work),
      role,
    );
    let failed = 0;
    for (const result of results) {
      if (result.status !== 'failed' && result.status !== 'unreachable') continue;
      failed += 1;
      this.leave(result.host, result.status === 'unreachable');
    }
    if (results.length > 0) this.applyFailurePolicy(failed);
  }

  /** Run one task (or handler) on `hosts`, linear: returns when every host is done. */
  private async runTask(entry: TaskEntry, hosts: string[]): Promise<HostTaskResult[]> {
    const { task } = entry;
    const name = await this.displayName(entry, hosts[0]!);
    const role = entry.roleUse?.role.name;
    if (entry.handler) {
      this.runner.emitEvent({
        type: 'handler_start',
        task: name,
        id: task.id,
        ...(role ? { role } : {}),
        hosts,
      });
    } else {
      this.runner.emitEvent({ type: 'task_start', task: name, id: task.id, ...(role ? { role } : {}) });
    }
    if (task.runOnce) return this.runOnce(entry, hosts, name);
    const limit = this.runner.forksLimit;
    const uncertain = entry.handler ? this.uncertain : new Map<string, UnknownReason>();
    return Promise.all(
      hosts.map((host) =>
        limit(() =>
          // Interrupted: hosts still queued do not start (their connections are closing).
          this.runner.isInterrupted()
            ? notStarted(host, entry, name)
            : uncertain.has(host)
              ? this.notKnownToRun(host, entry, name, uncertain.get(host)!)
              : runTaskOnHost(this.context, entry, host, this.bases.get(host)!, name),
        ),
      ),
    );
  }

  /** A handler only tasks of unknown outcome notified (check mode): it may or may not run. */
  private notKnownToRun(host: string, entry: TaskEntry, name: string, reason: UnknownReason): HostTaskResult {
    const msg = describeUnknown(reason);
    const event: HostResultEvent = {
      type: 'host_result',
      host,
      task: name,
      taskId: entry.task.id,
      status: 'unknown',
      msg,
      durationMs: 0,
    };
    if (reason.by) event.needs = { task: reason.by.task, taskId: reason.by.id };
    this.runner.emitEvent(event);
    return {
      host,
      status: 'unknown',
      ignored: false,
      registered: { changed: false, unknown: true, msg },
      flush: false,
      event,
    };
  }

  /** run_once: the first host runs it; its result (registered, facts, notifications) holds for all. */
  private async runOnce(entry: TaskEntry, hosts: string[], name: string): Promise<HostTaskResult[]> {
    const [first, ...others] = hosts;
    const result = await runTaskOnHost(this.context, entry, first!, this.bases.get(first!)!, name);
    const results = [result];
    const facts = this.context.facts;
    const source = `run_once on ${first}`;
    for (const host of others) {
      if (entry.task.register) facts.set(host, entry.task.register, result.registered, source);
      for (const [key, value] of Object.entries(result.facts ?? {})) facts.set(host, key, value, source);
      if (result.status === 'unreachable') continue;
      if (result.status === 'failed' && !result.ignored) {
        // As in Ansible, a failed run_once task fails every host of the batch.
        const event = {
          ...result.event,
          host,
          msg: `run_once task failed on ${first}`,
          durationMs: 0,
        };
        delete event.stdout;
        delete event.stderr;
        delete event.diffs;
        this.runner.emitEvent(event);
        results.push({ ...result, host, event });
        continue;
      }
      // Shared without a result line of its own: the task ran once.
      results.push({ ...result, host });
    }
    return results;
  }

  /** Apply results: failed hosts leave, changed hosts notify. Returns whether handlers must flush now. */
  private afterTask(entry: TaskEntry, results: HostTaskResult[]): boolean {
    let failedThisTask = 0;
    let flush = false;
    for (const result of results) {
      const gone = result.status === 'unreachable' || (result.status === 'failed' && !result.ignored);
      if (gone) {
        failedThisTask += 1;
        this.leave(result.host, result.status === 'unreachable');
        continue;
      }
      if (result.status === 'changed' && entry.task.notify.length > 0) {
        this.notifications.notify(result.host, this.notifyNames(entry, result.host));
      }
      if (result.status === 'unknown' && entry.task.notify.length > 0) {
        const task: TaskRef = { task: result.event.task, id: entry.task.id };
        const why = `whether it changes, and so notifies ${entry.task.notify.join(', ')}, is known only after the run`;
        this.notifications.notify(result.host, this.notifyNames(entry, result.host), { by: task, why });
      }
      if (result.flush) flush = true;
    }
    this.applyFailurePolicy(failedThisTask);
    return flush && !this.stopped();
  }

  /** any_errors_fatal and max_fail_percentage after a task that `failedThisTask` hosts failed. */
  private applyFailurePolicy(failedThisTask: number): void {
    const verdict = verdictAfterTask({
      size: this.batch.length,
      failed: this.failedInBatch,
      failedThisTask,
      anyErrorsFatal: this.prepared.play.anyErrorsFatal,
      maxFailPercentage: this.prepared.play.maxFailPercentage,
    });
    if (verdict.stop) {
      this.stopReason = verdict.reason;
      this.runner.abort(verdict.reason);
    }
  }

  private leave(host: string, unreachable: boolean): void {
    const at = this.active.indexOf(host);
    if (at < 0) return;
    this.active.splice(at, 1);
    this.failedInBatch += 1;
    this.runner.markFailed(host, unreachable);
  }

  private notifyNames(entry: TaskEntry, host: string): string[] {
    return entry.task.notify.map((name) =>
      name.includes('{{')
        ? renderText(name, this.bases.get(host)!, {
            source: entry.task.source,
            path: [...entry.task.path, 'notify'],
          })
        : name,
    );
  }

  /** Run the notified handlers, each once, in definition order; handlers may notify later ones. */
  private async flushHandlers(): Promise<void> {
    const named = this.handlers.map((entry) => ({ name: entry.task.name, entry }));
    const ran = new Set<string>();
    while (this.notifications.pending() && !this.stopped()) {
      const runs = this.notifications.take(
        named.filter((h) => !ran.has(h.name)),
        this.active,
      );
      if (runs.length === 0) break;
      for (const { handler, hosts, uncertain } of runs) {
        if (this.stopped()) return;
        ran.add(handler.name);
        const stillActive = hosts.filter((host) => this.active.includes(host));
        if (stillActive.length === 0) continue;
        this.uncertain = uncertain;
        const results = await this.runTask(handler.entry, stillActive);
        this.uncertain = new Map();
        this.afterTask(handler.entry, results);
      }
    }
  }

  /** The task's name with its templates rendered for the first host (as written when that fails). */
  private async displayName(entry: TaskEntry, host: string): Promise<string> {
    const { task } = entry;
    if (!task.name.includes('{{')) return task.name;
    try {
      const scope = taskScope(this.bases.get(host)!, entry, this.context.facts.layer(host));
      return await this.context.lookups.retrying(() =>
        renderText(task.name, scope, { source: task.source, path: [...task.path, 'name'] }),
      );
    } catch {
      return task.name;
    }
  }
}

/** The result of a host that never started a task (the run was interrupted): not reported. */
function notStarted(host: string, entry: TaskEntry, name: string): HostTaskResult {
  return {
    host,
    status: 'skipped',
    ignored: false,
    registered: {},
    flush: false,
    event: { type: 'host_result', host, task: name, taskId: entry.task.id, status: 'skipped', durationMs: 0 },
  };
}
