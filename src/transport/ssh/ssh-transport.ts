import { homedir } from 'node:os';
import { BosunError } from '../../errors.js';
import { type OpenOptions, type RemoteProcess, ShellTransport } from '../shell-transport.js';
import type { SshConnection } from './connection.js';
import type { SshTransportOptions } from './options.js';
import { localUserName } from './paths.js';
import type { SshConnectionPool } from './pool.js';
import { type Route, resolveRoute } from './route.js';

/**
 * A Transport over SSH: commands run on channels of one connection per host (kept by the
 * pool), reached directly or through a chain of bastions. Nothing is resolved or dialled
 * until the first command, so building transports for a large inventory is free.
 */
export class SshTransport extends ShellTransport {
  readonly target: string;
  private route: Route | undefined;

  constructor(
    private readonly options: SshTransportOptions,
    private readonly pool: SshConnectionPool,
    private readonly ownsPool: boolean,
  ) {
    super({ becomePassword: options.becomePassword, commandTimeout: options.commandTimeout });
    this.target = options.name ?? options.host;
  }

  /** Connect now (every hop) instead of on first use; errors are those exec would throw. */
  async connect(): Promise<void> {
    await this.connection();
  }

  protected async open(commandLine: string, options: OpenOptions = {}): Promise<RemoteProcess> {
    const connection = await this.connection();
    return connection.exec(commandLine, this.target, options.reserved);
  }

  private async connection(): Promise<SshConnection> {
    try {
      this.route ??= resolveRoute(this.options, {
        home: homedir(),
        localUser: localUserName(),
        agentSocket: process.env.SSH_AUTH_SOCK,
        config: this.pool.sshConfig(this.options.sshConfig),
      });
      return await this.pool.connect(this.route);
    } catch (error) {
      throw this.named(error);
    }
  }

  /** Hop errors name the hop only (a bastion serves many hosts); add this target's name. */
  private named(error: unknown): unknown {
    if (!(error instanceof BosunError) || error.host === this.target) return error;
    return new BosunError(error.code, `${this.target}: ${error.message}`, {
      cause: error,
      host: this.target,
      ...(error.details ? { details: error.details } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.closeAll();
    else if (this.route) await this.pool.release(this.route);
  }
}
