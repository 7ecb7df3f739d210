/**
 * What a run tells the outside world. The engine never prints: it emits these events in order
 * and reporters (src/report/) turn them into lines, a tree or JSON. Every event is plain JSON
 * data, so `--json` prints them as they are. Secrets never appear: become passwords are not
 * part of any event, and results of `no_log` tasks are censored before they are emitted.
 */

/**
 * `unknown`: check mode cannot tell what the task would do (it needs the outcome of a change
 * not known before the real run); never counted as ok, changed or skipped.
 * `interrupted`: the host was running this task when the run was interrupted (Ctrl-C); its
 * command was stopped.
 */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'unknown' | 'interrupted';

/** A unified diff of one file, or of a set of attributes (`before`/`after` as `key: value` lines). */
export interface EventDiff {
  /** The file or path the diff is about, when there is one. */
  path?: string;
  /** `--- before` / `+++ after` headers and `@@` hunks with 3 lines of context; ends with a newline. */
  unified: string;
}

/**
 * Counts per host, as Ansible's PLAY RECAP: `ok` counts every task that succeeded, changed ones
 * included (so ok >= changed); an ignored failure counts as ok and ignored; a looped task counts
 * once. `unknown`, Bosun's own column, counts the tasks check mode could not predict.
 */
export interface HostRecap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  ignored: number;
  unknown: number;
  /** Tasks stopped by an interrupt (Ctrl-C): present only on hosts that had one. */
  interrupted?: number;
}

export interface RunStartEvent {
  type: 'run_start';
  playbook: string;
  check: boolean;
  diff: boolean;
}

export interface PlayStartEvent {
  type: 'play_start';
  name: string;
  /** The play's host pattern, as written. */
  pattern: string;
  /** Hosts of this batch. */
  hosts: string[];
  /** 1-based batch number, and how many batches the play has (serial). */
  batch: number;
  batches: number;
}

export interface TaskStartEvent {
  type: 'task_start';
  task: string;
  id: string;
  role?: string;
}

export interface HandlerStartEvent {
  type: 'handler_start';
  task: string;
  id: string;
  role?: string;
  /** Hosts the handler runs on (those where a notifying task changed). */
  hosts: string[];
}

export interface HostResultEvent {
  type: 'host_result';
  host: string;
  task: string;
  taskId: string;
  status: HostStatus;
  /** A message worth showing: the failure, the debug output, the unreachable reason, why it is unknown, what an interrupt stopped. */
  msg?: string;
  /** status unknown: the task whose change it needs (its name and id), when it is another one. */
  needs?: { task: string; taskId: string };
  diffs?: EventDiff[];
  rc?: number | null;
  stdout?: string;
  stderr?: string;
  /**
   * Present on the result of one item of a loop. The result of the whole looped task on the host
   * follows the items' results, without `item` and with `loop: true`.
   */
  item?: unknown;
  loop?: boolean;
  /** The host the module ran on, when delegated. */
  delegatedTo?: string;
  /** A failure that `ignore_errors: true` let the host survive. */
  ignored?: boolean;
  /** Results of a `no_log: true` task carry no args, output or diffs. */
  censored?: boolean;
  durationMs: number;
}

export interface WarningEvent {
  type: 'warning';
  message: string;
  host?: string;
}

export interface PlayEndEvent {
  type: 'play_end';
  name: string;
  batch: number;
  /** Why the play (and the run) stopped early: any_errors_fatal, max_fail_percentage, every host failed. */
  aborted?: string;
}

export interface RunEndEvent {
  type: 'run_end';
  recap: Record<string, HostRecap>;
  durationMs: number;
  interrupted?: boolean;
}

export type RunEvent =
  | RunStartEvent
  | PlayStartEvent
  | TaskStartEvent
  | HandlerStartEvent
  | HostResultEvent
  | WarningEvent
  | PlayEndEvent
  | RunEndEvent;

export type EventListener = (event: RunEvent) => void;

export function emptyRecap(): HostRecap {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, ignored: 0, unknown: 0 };
}

/**
 * Count one result into a host's recap. Item results (`item` set) are not counted: the looped
 * task's own result, which follows them, is.
 */
export function countResult(recap: HostRecap, event: HostResultEvent): void {
  if (event.item !== undefined) return;
  switch (event.status) {
    case 'ok':
      recap.ok += 1;
      break;
    case 'changed':
      recap.ok += 1;
      recap.changed += 1;
      break;
    case 'skipped':
      recap.skipped += 1;
      break;
    case 'unreachable':
      recap.unreachable += 1;
      break;
    case 'unknown':
      recap.unknown += 1;
      break;
    case 'interrupted':
      recap.interrupted = (recap.interrupted ?? 0) + 1;
      break;
    case 'failed':
      if (event.ignored) {
        recap.ok += 1;
        recap.ignored += 1;
      } else recap.failed += 1;
      break;
  }
}
