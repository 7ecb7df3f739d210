import type { Readable, Writable } from 'node:stream';
import { BosunError } from '../errors.js';
import { type RawShell, sh } from './quote.js';
import { interruptedError, RemoteCommand, STOP_DEADLINE_MS, stopGroupScript } from './remote-command.js';
import type { BecomeOptions, ExecOptions, ExecResult, GetOptions, PutOptions, Transport } from './types.js';
import { type Payload, payloadOf, verifiedWriteScript } from './verified-write.js';

/** A started command on the target: the one primitive each transport provides. */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the command ends; rejects with a BosunError when the link was lost. */
  exit: Promise<{ code: number | null; signal?: string | undefined }>;
  /** Release the command's channel or local process (the processes it started may live on). */
  kill(): void;
}

export interface OpenOptions {
  /** A command that stops others: it must not queue behind the channels it is there to end. */
  reserved?: boolean;
}

export interface ShellTransportOptions {
  /** sudo password; sent on stdin only when sudo asks for it, never placed in argv. */
  becomePassword?: string | undefined;
  /** Default command timeout in milliseconds (0 = none). */
  commandTimeout?: number | undefined;
}

/**
 * exec/put/get built on one primitive, `open(commandLine)`, so every transport handles
 * sudo, stdin, timeouts, stopping commands (src/transport/remote-command.ts) and atomic
 * writes the same way.
 */
export abstract class ShellTransport implements Transport {
  abstract readonly target: string;
  protected readonly becomePassword: string | undefined;
  protected readonly commandTimeout: number;
  private readonly running = new Set<RemoteCommand>();
  private interrupted = false;

  constructor(options: ShellTransportOptions = {}) {
    this.becomePassword = options.becomePassword;
    this.commandTimeout = options.commandTimeout ?? 0;
  }

  /** Start a POSIX shell command line on the target. */
  protected abstract open(commandLine: string, options?: OpenOptions): Promise<RemoteProcess>;
  abstract close(): Promise<void>;

  exec(command: RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.interrupted) {
      return Promise.reject(
        interruptedError(this.target, 'no command was running; none was started after it'),
      );
    }
    return this.run(command, options, true);
  }

  /**
   * Stop every command in flight, each with every process it started on the target, and
   * refuse new ones. Resolves when they have ended (at most STOP_DEADLINE_MS); their exec
   * calls reject with BOSUN_INTERRUPTED, saying what the stop found.
   */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    await Promise.all([...this.running].map((command) => command.stop('interrupt')));
  }

  /** A tracked command can be stopped; an untracked one is itself a stop, which skips queues. */
  private async run(command: RawShell, options: ExecOptions, tracked: boolean): Promise<ExecResult> {
    const remote = new RemoteCommand(command, options, {
      target: this.target,
      becomePassword: this.becomePassword,
      timeout: options.timeout ?? this.commandTimeout,
      open: (line) => this.open(line, { reserved: !tracked }),
      stopGroup: tracked ? (pid) => this.stopGroup(pid, options) : undefined,
    });
    if (tracked) this.running.add(remote);
    try {
      return await remote.result();
    } finally {
      this.running.delete(remote);
    }
  }

  /** End a command's process group with a fresh command, as the same (sudo) user. */
  private async stopGroup(pid: number, become: BecomeOptions): Promise<string> {
    const result = await this.run(
      stopGroupScript(pid),
      { ...becomeOnly(become), timeout: STOP_DEADLINE_MS },
      false,
    );
    return result.stdout;
  }

  /** Raw bytes of stdout, for binary-safe reads. */
  protected async execBytes(
    command: RawShell,
    options: ExecOptions = {},
  ): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const chunks: Buffer[] = [];
    const result = await this.exec(command, { ...options, onStdout: (chunk) => chunks.push(chunk) });
    return { code: result.code, stdout: Buffer.concat(chunks), stderr: result.stderr };
  }

  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    const bytes = Buffer.from(content);
    const script = atomicWriteScript(path, payloadOf(bytes), options);
    const result = await this.exec(script, { sudo: options.sudo, user: options.user, stdin: bytes });
    if (result.code !== 0) {
      throw new BosunError(
        'BOSUN_TRANSFER',
        `${this.target}: cannot write ${path}: ${firstLine(result.stderr)}`,
        {
          host: this.target,
          details: { path, exitCode: result.code, stderr: result.stderr },
        },
      );
    }
  }

  async get(path: string, options: GetOptions = {}): Promise<Buffer> {
    const result = await this.execBytes(sh`cat -- ${path}`, becomeOnly(options));
    if (result.code !== 0) {
      throw new BosunError(
        'BOSUN_TRANSFER',
        `${this.target}: cannot read ${path}: ${firstLine(result.stderr)}`,
        {
          host: this.target,
          details: { path, exitCode: result.code, stderr: result.stderr },
        },
      );
    }
    return result.stdout;
  }
}

function becomeOnly(options: BecomeOptions): BecomeOptions {
  return { sudo: options.sudo, user: options.user };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || 'no error output';
}

/**
 * Write stdin to a temp file beside the target, check that all of `payload` arrived, set mode
 * and owner on the temp file, then rename over the target: readers see the old file or the new
 * one, never half of it, even when the controller dies mid-transfer.
 */
export function atomicWriteScript(path: string, payload: Payload, options: PutOptions = {}): RawShell {
  const prepare: RawShell[] = [
    options.mode
      ? sh`chmod ${options.mode} "$tmp"`
      : sh`if [ -e ${path} ]; then chmod "$(stat -c %a -- ${path})" "$tmp"; else chmod 0644 "$tmp"; fi`,
  ];
  if (options.owner) prepare.push(sh`chown ${options.owner} "$tmp"`);
  else prepare.push(sh`if [ -e ${path} ]; then chown "$(stat -c %u:%g -- ${path})" "$tmp"; fi`);
  return verifiedWriteScript({ path, payload, prepare });
}
