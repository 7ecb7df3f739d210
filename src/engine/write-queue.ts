/**
 * Tasks of one run that read, change and write back the same file on the same host (hosts
 * delegating to one target) take turns writing it, and one that finds the file written by
 * another since it read it reads it again first: each write is planned from the state the
 * previous one left, so one run converges without refused writes. Reading is not queued: a
 * task with nothing to change never waits. The host's own check (the fingerprint in
 * transport/verified-write.ts) still covers writers outside the run.
 */

/** Where the run's writes of one key stood when a task read the file. */
export interface WriteMark {
  turns: number;
  busy: boolean;
}

export interface WriteTurn {
  /** Whether another task of the run may have written the file since `mark` was taken. */
  writtenSince(mark: WriteMark): boolean;
  end(): void;
}

export class WriteQueue {
  private tail: Promise<void> = Promise.resolve();
  private turns = 0;
  private busy = false;

  mark(): WriteMark {
    return { turns: this.turns, busy: this.busy };
  }

  /** Wait for the previous writers; the turn lasts until `end()`. */
  async take(): Promise<WriteTurn> {
    const before = this.tail;
    let end!: () => void;
    const turn = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.tail = before.then(() => turn);
    await before;
    const number = this.turns;
    this.turns += 1;
    this.busy = true;
    return {
      writtenSince: (mark) => mark.busy || mark.turns !== number,
      end: () => {
        this.busy = false;
        end();
      },
    };
  }
}

/** Per connection (the run opens one transport per target), one queue per key. */
const queues = new WeakMap<object, Map<string, WriteQueue>>();

export function writeQueue(target: object, key: string): WriteQueue {
  let keys = queues.get(target);
  if (!keys) {
    keys = new Map();
    queues.set(target, keys);
  }
  let queue = keys.get(key);
  if (!queue) {
    queue = new WriteQueue();
    keys.set(key, queue);
  }
  return queue;
}
