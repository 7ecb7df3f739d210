/**
 * Transports by name. A spec says which kind of transport and how to reach the target; the
 * registry turns it into a Transport. A TransportRun is one run's context: SSH transports made
 * through it share one SshConnectionPool (so hosts behind the same bastion share that bastion's
 * connection), and closing the run closes everything it made.
 */
import { BosunError, messageOf } from '../errors.js';
import { DockerTransport, type DockerTransportOptions } from './docker.js';
import { LocalTransport } from './local.js';
import type { ShellTransportOptions } from './shell-transport.js';
import { createSshTransport, SshConnectionPool } from './ssh/index.js';
import type { SshTransportOptions } from './ssh/options.js';
import type { Transport } from './types.js';

export interface SshTransportSpec extends SshTransportOptions {
  kind: 'ssh';
}

export interface LocalTransportSpec extends ShellTransportOptions {
  kind: 'local';
  /** Inventory name, for messages. */
  name?: string;
}

export interface DockerTransportSpec extends DockerTransportOptions {
  kind: 'docker';
  name?: string;
}

/** The built-in kinds; registered factories may accept other specs. */
export type TransportSpec = SshTransportSpec | LocalTransportSpec | DockerTransportSpec;

export interface AnyTransportSpec {
  kind: string;
  name?: string;
}

export interface TransportContext {
  /** The run's SSH pool (created on first use). */
  sshPool(): SshConnectionPool;
}

/** Build a transport from a spec; `context` is absent when the caller has no run. */
export type TransportFactory<S extends AnyTransportSpec = AnyTransportSpec> = (
  spec: S,
  context: TransportContext | undefined,
) => Transport;

const factories = new Map<string, TransportFactory>();

export function registerTransport<S extends AnyTransportSpec>(
  kind: string,
  factory: TransportFactory<S>,
): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(kind)) throw new TypeError(`invalid transport name: ${kind}`);
  factories.set(kind, factory as TransportFactory);
}

export function registeredTransports(): string[] {
  return [...factories.keys()].sort();
}

/** A transport for `spec`; with a context, SSH connections come from (and stay in) its pool. */
export function createTransport(spec: AnyTransportSpec, context?: TransportContext): Transport {
  const factory = factories.get(spec.kind);
  if (!factory) {
    throw new BosunError(
      'BOSUN_INPUT',
      `unknown connection type "${spec.kind}"; known: ${registeredTransports().join(', ')}`,
    );
  }
  return factory(spec, context);
}

function withoutKind<S extends AnyTransportSpec>(spec: S): Omit<S, 'kind'> {
  const { kind: _kind, ...rest } = spec;
  return rest;
}

registerTransport<SshTransportSpec>('ssh', (spec, context) => {
  const options = withoutKind(spec);
  return context ? context.sshPool().get(options) : createSshTransport(options);
});
registerTransport<LocalTransportSpec>('local', (spec) => {
  const { name: _name, ...options } = withoutKind(spec);
  return new LocalTransport(options);
});
registerTransport<DockerTransportSpec>('docker', (spec) => {
  const { name: _name, ...options } = withoutKind(spec);
  return new DockerTransport(options);
});

/** One run: owns the SSH pool and every transport it hands out. */
export class TransportRun implements TransportContext {
  private pool: SshConnectionPool | undefined;
  private readonly made: Transport[] = [];
  private closed = false;

  sshPool(): SshConnectionPool {
    if (this.closed) throw new BosunError('BOSUN_INTERNAL', 'transport run used after close');
    this.pool ??= new SshConnectionPool();
    return this.pool;
  }

  transport(spec: AnyTransportSpec): Transport {
    if (this.closed) throw new BosunError('BOSUN_INTERNAL', 'transport run used after close');
    const transport = createTransport(spec, this);
    this.made.push(transport);
    return transport;
  }

  /**
   * Ctrl-C: stop the commands in flight on every transport (their processes on the targets
   * included) and start no more; the connections stay open for close().
   */
  async interrupt(): Promise<void> {
    await Promise.allSettled(this.made.map((transport) => transport.interrupt()));
  }

  /** Close every transport and the pool; failures to close are collected, not thrown one by one. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const results = await Promise.allSettled([
      ...this.made.map((transport) => transport.close()),
      ...(this.pool ? [this.pool.closeAll()] : []),
    ]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      throw new BosunError(
        'BOSUN_INTERNAL',
        `closing connections failed: ${failures.map((f) => messageOf(f.reason)).join('; ')}`,
      );
    }
  }
}
