/**
 * `no_log: true`: the task's arguments and results may hold secrets, so what leaves the engine
 * about it says only whether it worked. The registered variable keeps the real result: tasks
 * after it may need it, and it never leaves the engine by itself.
 */
import type { HostResultEvent } from './events.js';

export const CENSORED_MESSAGE =
  "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export function censorResult(event: HostResultEvent): HostResultEvent {
  const out: HostResultEvent = {
    type: 'host_result',
    host: event.host,
    task: event.task,
    taskId: event.taskId,
    status: event.status,
    censored: true,
    durationMs: event.durationMs,
  };
  // Whether the task failed or was unreachable is not a secret; why may be.
  if (event.status === 'failed' || event.status === 'unreachable') out.msg = CENSORED_MESSAGE;
  // What an interrupt stopped is Bosun's own words, never the task's output.
  if (event.status === 'interrupted' && event.msg !== undefined) out.msg = event.msg;
  if (event.item !== undefined) out.item = '(censored)';
  if (event.loop) out.loop = true;
  if (event.delegatedTo !== undefined) out.delegatedTo = event.delegatedTo;
  if (event.ignored) out.ignored = true;
  return out;
}
