/**
 * Host facts for the run: gathered on demand (a play with `gather_facts: true`, or before the
 * first task of a role that declares `gatherFacts`), once per host, and kept for the rest of
 * the run. They are reported as Ansible's "Gathering Facts" task and join the host's facts
 * layer as `bosun_facts` and Ansible's `ansible_*` names.
 */
import { isBosunError, isUnreachableError, messageOf } from '../errors.js';
import { ansibleFactVars, type HostFacts, hostFactsScript, parseHostFacts } from '../facts/host.js';
import type { Transport } from '../transport/types.js';
import type { HostResultEvent, HostStatus, RunEvent } from './events.js';
import type { FactStore } from './host-scope.js';

export const GATHER_TASK = 'Gathering Facts';
export const GATHER_ID = 'gather_facts';
const SOURCE = 'gathered facts';

export interface GatherResult {
  host: string;
  status: Extract<HostStatus, 'ok' | 'failed' | 'unreachable' | 'interrupted'>;
}

export interface GatherContext {
  facts: FactStore;
  transportFor(host: string): Transport;
  emit(event: RunEvent): void;
}

/** Which hosts have their facts; a host is gathered once per run. */
export class HostFactsCache {
  private readonly gathered = new Map<string, HostFacts>();

  has(host: string): boolean {
    return this.gathered.has(host);
  }

  get(host: string): HostFacts | undefined {
    return this.gathered.get(host);
  }

  /**
   * Gathers the facts of those of `hosts` that have none yet (`run` limits how many at once);
   * reports the task when there is one to gather. Returns each gathered host's outcome.
   */
  async gather(
    c: GatherContext,
    hosts: readonly string[],
    run: <T>(work: () => Promise<T>) => Promise<T>,
    role?: string,
  ): Promise<GatherResult[]> {
    const missing = hosts.filter((host) => !this.gathered.has(host));
    if (missing.length === 0) return [];
    c.emit({ type: 'task_start', task: GATHER_TASK, id: GATHER_ID, ...(role ? { role } : {}) });
    return Promise.all(missing.map((host) => run(() => this.gatherOne(c, host))));
  }

  private async gatherOne(c: GatherContext, host: string): Promise<GatherResult> {
    const started = Date.now();
    const event = (status: GatherResult['status'], msg?: string): HostResultEvent => ({
      type: 'host_result',
      host,
      task: GATHER_TASK,
      taskId: GATHER_ID,
      status,
      ...(msg === undefined ? {} : { msg }),
      durationMs: Date.now() - started,
    });
    let status: GatherResult['status'];
    let msg: string | undefined;
    try {
      const facts = parseHostFacts(await c.transportFor(host).exec(hostFactsScript()));
      this.gathered.set(host, facts);
      c.facts.set(host, 'bosun_facts', facts, SOURCE);
      for (const [name, value] of Object.entries(ansibleFactVars(facts)))
        c.facts.set(host, name, value, SOURCE);
      status = 'ok';
    } catch (error) {
      if (isUnreachableError(error)) {
        status = 'unreachable';
        msg = `${error.code}: ${error.message}`;
      } else if (isBosunError(error, 'BOSUN_INTERRUPTED')) {
        status = 'interrupted';
        msg = error.message;
      } else {
        status = 'failed';
        msg = messageOf(error);
      }
    }
    c.emit(event(status, msg));
    return { host, status };
  }
}
