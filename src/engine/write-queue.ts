/**
 * Tasks of one run that read, change and write back the same file on the same host (hosts
 * delegating to one target) take turns: each plans from the state the previous one left, so
 * one run converges. The host's own check (the fingerprint in transport/verified-write.ts)
 * covers writers outside the run; this spares the run's own writers its retries.
 */

/** Per connection (the run opens one transport per target), the tail of each key's queue. */
const queues = new WeakMap<object, Map<string, Promise<void>>>();

/** Wait for the turn of `key` on `target`; the returned function ends it. */
export async function takeTurn(target: object, key: string): Promise<() => void> {
  let keys = queues.get(target);
  if (!keys) {
    keys = new Map();
    queues.set(target, keys);
  }
  const before = keys.get(key) ?? Promise.resolve();
  let end!: () => void;
  const turn = new Promise<void>((resolve) => {
    end = resolve;
  });
  const tail = before.then(() => turn);
  keys.set(key, tail);
  await before;
  return () => {
    end();
    // The last in line leaves an empty queue behind it.
    if (keys.get(key) === tail) keys.delete(key);
  };
}
