/**
 * When a play stops early, decided after each task of a batch, as Ansible does:
 *  - any_errors_fatal: a host failed (not ignored) or became unreachable in this task;
 *  - max_fail_percentage: failed and unreachable hosts of the batch exceed the percentage;
 *  - every host of the batch has failed or is unreachable.
 * A stopped play stops the run: later batches and plays do not start.
 */

export interface BatchState {
  /** Hosts in the batch. */
  size: number;
  /** Hosts of the batch that failed or became unreachable so far in this play. */
  failed: number;
  /** Hosts that failed (not ignored) or became unreachable in the task just finished. */
  failedThisTask: number;
  anyErrorsFatal: boolean;
  maxFailPercentage?: number | undefined;
}

export type Verdict = { stop: false } | { stop: true; reason: string };

export function verdictAfterTask(state: BatchState): Verdict {
  if (state.anyErrorsFatal && state.failedThisTask > 0) {
    return { stop: true, reason: 'any_errors_fatal: a host failed' };
  }
  if (state.maxFailPercentage !== undefined && state.size > 0) {
    const percent = (state.failed / state.size) * 100;
    if (percent > state.maxFailPercentage) {
      return {
        stop: true,
        reason: `max_fail_percentage ${state.maxFailPercentage}% exceeded: ${state.failed} of ${state.size} hosts failed`,
      };
    }
  }
  if (state.size > 0 && state.failed >= state.size) {
    return { stop: true, reason: 'no more hosts left: every host of the batch failed' };
  }
  return { stop: false };
}
