/**
 * Handler notifications of one play batch. A task that changed on a host notifies its handlers
 * for that host; at a flush (meta: flush_handlers, the end of pre_tasks, tasks and post_tasks)
 * each notified handler runs once, in the order handlers are defined (not the order of
 * notification), on the hosts that notified it and are still in the play.
 */

export interface HandlerRun<H> {
  handler: H;
  /** In the order of `hostOrder`. */
  hosts: string[];
}

export class HandlerNotifications {
  private readonly notified = new Map<string, Set<string>>();

  notify(host: string, handlerNames: readonly string[]): void {
    for (const name of handlerNames) {
      let hosts = this.notified.get(name);
      if (!hosts) {
        hosts = new Set();
        this.notified.set(name, hosts);
      }
      hosts.add(host);
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
      if (selected.length > 0) runs.push({ handler, hosts: selected });
    }
    // A name no handler has (a templated notify that rendered to nothing known) is dropped.
    this.notified.clear();
    return runs;
  }
}
