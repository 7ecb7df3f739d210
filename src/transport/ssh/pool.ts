import { BosunError } from '../../errors.js';
import { SshConnection } from './connection.js';
import type { SshTransportOptions } from './options.js';
import { defaultSshConfigPath, expandTilde } from './paths.js';
import type { Route } from './route.js';
import { loadSshConfig, type SshConfig } from './ssh-config.js';
import { SshTransport } from './ssh-transport.js';

interface PoolEntry {
  promise: Promise<SshConnection>;
  connection?: SshConnection;
}

/**
 * The connections of one run: one per hop identity (`user@host:port` with the chain leading
 * to it), so every command to a host shares that host's connection and every host behind a
 * bastion shares the bastion's. Concurrent first uses share one connect; a failed or closed
 * connection is forgotten, so the next use dials again.
 */
export class SshConnectionPool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly configs = new Map<string, SshConfig | undefined>();
  private connects = 0;

  /** A transport whose connections live in this pool. */
  get(options: SshTransportOptions): SshTransport {
    return new SshTransport(options, this, false);
  }

  /** Connections dialled so far (each hop counts), for diagnostics and tests. */
  get connectCount(): number {
    return this.connects;
  }

  /** Connections currently open. */
  get openCount(): number {
    return [...this.entries.values()].filter((entry) => entry.connection?.isOpen).length;
  }

  /** The parsed ssh config for an option value, read once per pool. */
  sshConfig(option: string | false | undefined): SshConfig | undefined {
    if (option === false) return undefined;
    const path = option === undefined ? defaultSshConfigPath() : expandTilde(option);
    if (!this.configs.has(path)) {
      const config = loadSshConfig(path);
      if (config === undefined && option !== undefined) {
        throw new BosunError('BOSUN_SSH_CONFIG', `ssh config ${path} does not exist`);
      }
      this.configs.set(path, config);
    }
    return this.configs.get(path);
  }

  /** The connection to the route's target, dialling (and sharing) each hop as needed. */
  async connect(route: Route): Promise<SshConnection> {
    let via: SshConnection | undefined;
    for (const hop of route.hops) via = await this.hop(route, hop.key, via);
    return via!;
  }

  private hop(route: Route, key: string, via: SshConnection | undefined): Promise<SshConnection> {
    const existing = this.entries.get(key);
    if (existing && (!existing.connection || existing.connection.isOpen)) return existing.promise;
    const hop = route.hops.find((candidate) => candidate.key === key)!;
    this.connects++;
    const entry: PoolEntry = {
      promise: SshConnection.open({ hop, settings: route.settings, via }).then(
        (connection) => {
          entry.connection = connection;
          connection.onClose(() => this.forget(key, entry));
          return connection;
        },
        (error: unknown) => {
          this.forget(key, entry);
          throw error;
        },
      ),
    };
    this.entries.set(key, entry);
    return entry.promise;
  }

  private forget(key: string, entry: PoolEntry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /** Close the target connection of a route, unless other hosts are reached through it. */
  async release(route: Route): Promise<void> {
    const key = route.hops.at(-1)?.key;
    if (key === undefined) return;
    const entry = this.entries.get(key);
    if (!entry) return;
    const prefix = `${key} > `;
    if ([...this.entries.keys()].some((other) => other.startsWith(prefix))) return;
    this.entries.delete(key);
    const connection = await entry.promise.catch(() => undefined);
    await connection?.end();
  }

  /** Close every connection, targets before the bastions they go through. */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.entries()];
    this.entries.clear();
    const depth = (key: string) => key.split(' > ').length;
    const levels = [...new Set(entries.map(([key]) => depth(key)))].sort((a, b) => b - a);
    for (const level of levels) {
      await Promise.all(
        entries
          .filter(([key]) => depth(key) === level)
          .map(async ([, entry]) => {
            const connection = await entry.promise.catch(() => undefined);
            await connection?.end();
          }),
      );
    }
  }
}
