/**
 * Handler notifications of one play batch. A task that changed on a host notifies its handlers
 * for that host; at a flush (meta: flush_handlers, the end of pre_tasks, tasks and post_tasks)
 * each notified handler runs once, in the order handlers are defined (not the order of
 * notification), on the hosts that notified it and are still in the play. In check mode, a
 * task whose outcome is not known notifies with its reason: where nothing else notified the
 * handler, it is not known to run either.
 */
import type { UnknownReason } from '../predict/effects.js';

export interface HandlerRun<H> {
  handler: H;
  /** In the order of `hostOrder`. */
  hosts: string[];
  /**
   * Check mode: hosts where only tasks whose outcome is not known notified it, and the first
   * one's reason; the handler is not known to run there.
   */
  uncertain: Map<string, UnknownReason>;
}

export class HandlerNotifications {
  /** Handler name -> host -> null (notified), or why the notification is not known. */
  private readonly notified = new Map<string, Map<string, UnknownReason | null>>();

  /** `uncertain`: the notifying task's outcome is not known (check mode), and why. */
  notify(host: string, handlerNames: readonly string[], uncertain?: UnknownReason): void {
    for (const name of handlerNames) {
      let hosts = this.notified.get(name);
      if (!hosts) {
        hosts = new Map();
        this.notified.set(name, hosts);
      }
      const current = hosts.get(host);
      if (current === undefined || (current !== null && uncertain === undefined)) {
        hosts.set(host, uncertain ?? null);
      }
    }
  }

  pending(): boolean {
    return this.notified.size > 0;
  }

  /**
   * The handlers to run now, in definition order, with their hosts among `hostOrder` (the hosts
   * still in the play); their notifications are cleared. Handlers notified by a running handler
   * are picked up by the next call.
   */
  take<H extends { name: string }>(handlers: readonly H[], hostOrder: readonly string[]): HandlerRun<H>[] {
    const runs: HandlerRun<H>[] = [];
    for (const handler of handlers) {
      const hosts = this.notified.get(handler.name);
      if (!hosts) continue;
      this.notified.delete(handler.name);
      const selected = hostOrder.filter((host) => hosts.has(host));
      const uncertain = new Map<string, UnknownReason>();
      for (const host of selected) {
        const reason = hosts.get(host);
        if (reason) uncertain.set(host, reason);
      }
      if (selected.length > 0) runs.push({ handler, hosts: selected, uncertain });
    }
    // A name no handler has (a templated notify that rendered to nothing known) is dropped.
    this.notified.clear();
    return runs;
  }
}
