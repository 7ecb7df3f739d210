import { readFile } from 'node:fs/promises';
import { BosunError, messageOf } from '../../errors.js';
import {
  type AnyAuthMethod,
  type AuthenticationType,
  Client,
  type ClientChannel,
  type ConnectConfig,
  type ParsedKey,
  type ServerHostKeyAlgorithm,
  signalChannel,
  utils,
} from '../../vendor/ssh2.js';
import type { RemoteProcess } from '../shell-transport.js';
import {
  classifyConnectError,
  describeHop,
  type HostKeyContext,
  hostKeyMismatchError,
  hostKeyRevokedError,
  hostKeyUnknownError,
  keyFileError,
} from './connect-errors.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  type KnownHostEntry,
  keyTypeOfBlob,
  knownHostsName,
  loadKnownHosts,
  preferredHostKeyAlgorithms,
} from './known-hosts.js';
import type { ResolvedHop, RouteSettings } from './route.js';

/**
 * One authenticated SSH connection to one hop, on which command channels are multiplexed
 * and through which the next hop's TCP stream is forwarded.
 */

/** OpenSSH's MaxSessions defaults to 10 sessions per connection; stay under it and queue the rest. */
const MAX_SESSIONS = 8;
/** Attempts to open a session channel the server refused for lack of room. */
const OPEN_RETRIES = 8;
/** How long a polite disconnect may take before the socket is destroyed. */
const END_GRACE_MS = 2_000;

interface AuthAttempt {
  /** For messages: "publickey /path/to/key", "agent", "password". Never a secret. */
  label: string;
  /** The method name the server lists in its "can continue" set. */
  serverMethod: string;
  method: AnyAuthMethod;
}

interface PreparedAuth {
  attempts: AuthAttempt[];
  /** Optional key files that could not be used, for the failure message. */
  skipped: string[];
}

function parseKeyText(data: string | Buffer, passphrase: string | undefined): ParsedKey | Error {
  try {
    const parsed = utils.parseKey(data, passphrase);
    if (parsed instanceof Error) return parsed;
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
    return key.isPrivateKey() ? key : new Error('this is a public key, not a private key');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function prepareAuth(hop: ResolvedHop): Promise<PreparedAuth> {
  const attempts: AuthAttempt[] = [];
  const skipped: string[] = [];
  const username = hop.user;
  for (const source of hop.keys) {
    let data = source.data;
    if (data === undefined && source.path !== undefined) {
      try {
        data = await readFile(source.path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (source.required) {
          throw new BosunError(
            'BOSUN_INPUT',
            `cannot read private key ${source.label}: ${messageOf(error)}`,
            {
              cause: error,
              details: { key: source.label },
            },
          );
        }
        if (code !== 'ENOENT') skipped.push(`${source.label} (unreadable)`);
        continue;
      }
    }
    if (data === undefined) continue;
    const key = parseKeyText(data, source.passphrase);
    if (key instanceof Error) {
      if (source.required)
        throw keyFileError(source.label, key.message, source.passphrase !== undefined, key);
      skipped.push(`${source.label} (${/passphrase/i.test(key.message) ? 'encrypted' : 'not a usable key'})`);
      continue;
    }
    attempts.push({
      label: `publickey ${source.label}`,
      serverMethod: 'publickey',
      method: { type: 'publickey', username, key },
    });
  }
  if (hop.agent) {
    attempts.push({
      label: `agent ${hop.agent}`,
      serverMethod: 'publickey',
      method: { type: 'agent', username, agent: hop.agent },
    });
  }
  if (hop.password !== undefined) {
    const password = hop.password;
    attempts.push({
      label: 'password',
      serverMethod: 'password',
      method: { type: 'password', username, password },
    });
    // Servers that only take passwords through PAM ask for them as keyboard-interactive.
    let answered = false;
    attempts.push({
      label: 'keyboard-interactive',
      serverMethod: 'keyboard-interactive',
      method: {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => {
          const asksPassword = prompts.length > 0 && prompts.every((p) => /password/i.test(p.prompt));
          if (asksPassword && !answered) {
            answered = true;
            finish(prompts.map(() => password));
          } else {
            finish(prompts.map(() => ''));
          }
        },
      },
    });
  }
  return { attempts, skipped };
}

/** Errors ssh2 reports that do not end the attempt: it goes on with the next method. */
function isRecoverableAuthError(error: { level?: string; message?: string }): boolean {
  if (error.level === 'agent') return true;
  return (
    error.level === 'client-authentication' &&
    !/All configured authentication methods failed/i.test(error.message ?? '')
  );
}

/** A channel open refused by policy or lack of resources (1, 2, 4), not because the link died. */
function isTransientOpenFailure(error: unknown): boolean {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return /Channel open failure/.test(messageOf(error)) && (reason === 1 || reason === 2 || reason === 4);
}

export interface ConnectRequest {
  hop: ResolvedHop;
  settings: RouteSettings;
  /** The connection to the previous hop, when this one is behind a bastion. */
  via?: SshConnection | undefined;
}

export class SshConnection {
  private closed = false;
  private ending = false;
  private ready = false;
  private lostReason: string | undefined;
  private readonly closeListeners = new Set<() => void>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  private constructor(
    readonly hop: ResolvedHop,
    private readonly client: Client,
    via: SshConnection | undefined,
    settings: RouteSettings,
  ) {
    client.on('error', (error: Error & { level?: string }) => {
      if (!this.ready) return;
      // A paused or frozen host keeps its TCP connection open: only keep-alives notice it.
      this.lostReason ??=
        error.level === 'client-timeout'
          ? `no answer to ${settings.keepaliveCountMax} keep-alives sent every ${settings.keepaliveInterval / 1000} s`
          : messageOf(error);
    });
    client.on('close', () => {
      this.closed = true;
      this.lostReason ??= via?.closed
        ? `the connection to bastion ${via.hop.id} was lost`
        : 'closed by the server or the network';
      for (const listener of this.closeListeners) listener();
      this.closeListeners.clear();
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.ending;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.add(listener);
  }

  /** Open the connection of one hop: TCP (or a stream forwarded by `via`), host key check, auth. */
  static async open(request: ConnectRequest): Promise<SshConnection> {
    const { hop, settings, via } = request;
    const known = await loadKnownHosts(settings.knownHostsFiles);
    const auth = await prepareAuth(hop).catch((error: unknown) => {
      if (!(error instanceof BosunError)) throw error;
      throw new BosunError(error.code, `${error.message} (logging in to ${describeHop(hop.description)})`, {
        cause: error.cause,
        ...(error.details ? { details: error.details } : {}),
      });
    });
    const sock = via ? await via.forwardOut(hop, settings.connectTimeout) : undefined;
    const client = new Client();
    const connection = new SshConnection(hop, client, via, settings);

    return new Promise<SshConnection>((resolve, reject) => {
      let settled = false;
      let hostKeyError: BosunError | undefined;
      const tried: string[] = [];
      let serverMethods: string[] | undefined;
      let lastError: unknown;

      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        const classified =
          hostKeyError ??
          classifyConnectError(error, {
            hop: hop.description,
            stage: 'ssh',
            timeoutMs: settings.connectTimeout,
            authMethods: [...tried, ...auth.skipped.map((s) => `skipped ${s}`)],
            serverMethods,
          });
        client.destroy();
        sock?.destroy();
        reject(classified);
      };

      client.on('error', (error: Error & { level?: string }) => {
        if (settled) return;
        lastError = error;
        if (!isRecoverableAuthError(error)) fail(error);
      });
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        connection.ready = true;
        resolve(connection);
      });
      client.on('close', () => {
        if (!settled) fail(lastError ?? new Error('Connection lost before handshake'));
      });

      const hostKeyContext = (keyBlob: Buffer): HostKeyContext => ({
        hop: hop.description,
        keyBlob,
        knownHostsFiles: settings.knownHostsFiles,
      });
      const entries: KnownHostEntry[] = [...known.entries];
      /** Whether to accept the presented key; a refusal leaves the reason in hostKeyError. */
      const judgeHostKey = async (keyBlob: Buffer): Promise<boolean> => {
        const verdict = checkHostKey(entries, hop.host, hop.port, keyBlob);
        switch (verdict.status) {
          case 'ok':
            return true;
          case 'revoked':
            hostKeyError = hostKeyRevokedError(hostKeyContext(keyBlob), verdict.entry);
            return false;
          case 'mismatch':
            hostKeyError = hostKeyMismatchError(hostKeyContext(keyBlob), verdict.expected);
            return false;
        }
        const file = settings.knownHostsFiles[0];
        if (!settings.trustNewHostKeys || file === undefined) {
          hostKeyError = hostKeyUnknownError(hostKeyContext(keyBlob));
          return false;
        }
        try {
          await appendKnownHost(file, hop.host, hop.port, keyBlob);
        } catch (error) {
          hostKeyError = error instanceof BosunError ? error : undefined;
          return false;
        }
        // A re-key later on this connection must find the key it just accepted.
        const keyType = keyTypeOfBlob(keyBlob) ?? '';
        entries.push({ file, line: 0, keyType, keyBlob, patterns: [knownHostsName(hop.host, hop.port)] });
        settings.onHostKeyAccepted?.({
          host: hop.host,
          port: hop.port,
          fingerprint: fingerprintSha256(keyBlob),
          file,
        });
        return true;
      };
      const hostVerifier = (keyBlob: Buffer, verify: (valid: boolean) => void): void => {
        judgeHostKey(keyBlob).then(verify, () => verify(false));
      };

      const authHandler = (
        methodsLeft: AuthenticationType[] | null,
        _partial: boolean | null,
        next: (method: AnyAuthMethod | false) => void,
      ): void => {
        if (methodsLeft) serverMethods = [...methodsLeft];
        let attempt = auth.attempts.shift();
        while (attempt && methodsLeft && !methodsLeft.includes(attempt.serverMethod as AuthenticationType)) {
          attempt = auth.attempts.shift();
        }
        if (attempt) tried.push(attempt.label);
        next(attempt ? attempt.method : false);
      };

      const serverHostKey = preferredHostKeyAlgorithms(known.entries, hop.host, hop.port);
      const config: ConnectConfig = {
        username: hop.user,
        readyTimeout: settings.connectTimeout,
        keepaliveInterval: settings.keepaliveInterval,
        keepaliveCountMax: settings.keepaliveCountMax,
        hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
        authHandler: authHandler as unknown as ConnectConfig['authHandler'],
        ...(serverHostKey
          ? { algorithms: { serverHostKey: serverHostKey as ServerHostKeyAlgorithm[] } }
          : {}),
        ...(sock ? { sock } : { host: hop.host, port: hop.port }),
      };
      try {
        client.connect(config);
      } catch (error) {
        fail(error);
      }
    });
  }

  /** A TCP stream from this hop to the next one, for that hop's SSH connection. */
  forwardOut(next: ResolvedHop, timeoutMs: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(classifyConnectError(error, { hop: next.description, stage: 'forward', timeoutMs }));
      };
      const timer = setTimeout(() => fail(new Error('timed out')), timeoutMs);
      if (!this.isOpen) {
        fail(
          new Error(`the connection to bastion ${this.hop.id} is closed (${this.lostReason ?? 'closed'})`),
        );
        return;
      }
      try {
        this.client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, stream) => {
          if (done) {
            stream?.close();
            return;
          }
          if (error) return fail(error);
          done = true;
          clearTimeout(timer);
          // When the next hop's TCP connection ends, the bastion only half-closes the channel
          // (EOF) and waits for us; an SSH session cannot go on half-closed, so close it fully,
          // which ends the connection running over it instead of leaving it hanging.
          stream.once('end', () => stream.close());
          resolve(stream);
        });
      } catch (error) {
        fail(error);
      }
    });
  }

  /**
   * Start a command on a new channel; its `exit` rejects with BOSUN_CONNECTION_LOST if the link
   * drops. A `reserved` command (one that stops others) skips the queue: it must not wait for
   * the very channels it is there to end; the server's MaxSessions leaves it room.
   */
  async exec(commandLine: string, target: string, reserved = false): Promise<RemoteProcess> {
    if (!this.isOpen) throw this.lostError(target, 'before the command could start');
    const release = reserved ? () => {} : () => this.release();
    if (!reserved) await this.acquire();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.openChannel(commandLine, target, release);
      } catch (error) {
        // sshd frees a closed session only after its event loop iteration, so a new channel
        // opened right behind a closing one can be refused as over MaxSessions: try again shortly.
        if (this.isOpen && isTransientOpenFailure(error) && attempt < OPEN_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** attempt, 500)));
          continue;
        }
        release();
        if (!this.isOpen) throw this.lostError(target, 'before the command could start', error);
        throw new BosunError(
          'BOSUN_CONNECTION_LOST',
          `${target}: cannot start a command on ${describeHop(this.hop.description)}: ${messageOf(error)}`,
          { host: target, cause: error },
        );
      }
    }
  }

  private openChannel(commandLine: string, target: string, release: () => void): Promise<RemoteProcess> {
    // Listeners go on in the callback itself: the exit status may arrive in the same packet
    // burst as the channel confirmation, before a promise continuation would run.
    return new Promise<RemoteProcess>((resolve, reject) => {
      this.client.exec(commandLine, (error, channel) =>
        error ? reject(error) : resolve(this.process(channel, target, release)),
      );
    });
  }

  private process(channel: ClientChannel, target: string, release: () => void): RemoteProcess {
    let status: { code: number | null; signal?: string | undefined } | undefined;
    let killed = false;
    channel.on('exit', (code: number | null, signal?: string) => {
      status = code === null || code === undefined ? { code: null, signal } : { code };
    });
    const ended = (stream: NodeJS.EventEmitter) =>
      new Promise<void>((resolve) => stream.once('close', () => resolve()));
    const exit = Promise.all([ended(channel), ended(channel.stderr)]).then(() => {
      release();
      if (status) return status;
      if (killed) return { code: null, signal: 'SIGKILL' };
      // The channel closed without an exit status: the connection (or the server) went away.
      throw this.lostError(target, 'while a command was running');
    });
    // The caller may stop listening (timeout); a late rejection must not crash the process.
    exit.catch(() => {});
    return {
      stdin: channel,
      stdout: channel,
      stderr: channel.stderr,
      exit,
      kill: () => {
        if (killed || status) return;
        killed = true;
        signalChannel(channel, 'KILL');
        channel.close();
      },
    };
  }

  private lostError(target: string, when: string, cause?: unknown): BosunError {
    const reason = this.lostReason ?? (this.ending ? 'closed by bosun' : 'connection closed');
    return new BosunError(
      'BOSUN_CONNECTION_LOST',
      `${target}: connection to ${describeHop(this.hop.description)} lost ${when} (${reason})`,
      { host: target, cause, details: { hop: this.hop.id } },
    );
  }

  private acquire(): Promise<void> {
    if (this.active < MAX_SESSIONS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Disconnect politely; channels still open end with BOSUN_CONNECTION_LOST. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.ending = true;
    this.lostReason ??= 'closed by bosun';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, END_GRACE_MS);
      timer.unref();
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }
}
