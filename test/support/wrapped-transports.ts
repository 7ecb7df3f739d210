/**
 * Real transports of a run whose `exec` a test replaces on some hosts (to count the commands a
 * host receives, or to make one host fail in a way a local shell cannot).
 */
import type { TransportProvider } from '../../src/engine/index.js';
import { TransportRun } from '../../src/transport/registry.js';
import type { Transport } from '../../src/transport/types.js';

/** `exec(host, real)` gives the host's exec, or undefined to keep the real one. */
export function wrappedTransports(
  exec: (host: string, real: Transport) => Transport['exec'] | undefined,
): TransportProvider {
  const run = new TransportRun();
  return {
    transport(spec) {
      const real = run.transport(spec);
      const replaced = exec(spec.name ?? '', real);
      if (!replaced) return real;
      return {
        target: real.target,
        exec: replaced,
        put: (...args) => real.put(...args),
        get: (...args) => real.get(...args),
        interrupt: () => real.interrupt(),
        close: () => real.close(),
      };
    },
    interrupt: () => run.interrupt(),
    close: () => run.close(),
  };
}
