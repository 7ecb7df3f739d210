import type { RawShell } from './quote.js';

/** How a command is elevated. Applied by the transport so every transport behaves alike. */
export interface BecomeOptions {
  /** Run through sudo. */
  sudo?: boolean;
  /** Target user for sudo (default root). */
  user?: string;
}

export interface ExecOptions extends BecomeOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  /** Milliseconds before the command is stopped (with its processes) and BOSUN_COMMAND_TIMEOUT thrown. */
  timeout?: number;
  /** Environment for the command, set with env(1) inside the quoted command line. */
  env?: Record<string, string>;
  /** Streamed output, for live progress; the result still holds all of it. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal. */
  code: number | null;
  signal?: string | undefined;
  stdout: string;
  stderr: string;
  /** Wall time of the command in milliseconds. */
  durationMs: number;
}

export interface PutOptions extends BecomeOptions {
  /** Octal mode string such as "0644". */
  mode?: string;
  /** "user" or "user:group". */
  owner?: string;
}

export type GetOptions = BecomeOptions;

/**
 * What the engine needs from a connection to one host. Implementations: ssh (ssh2, with
 * bastion chains), local (child_process, for runs inside an image being built) and docker
 * (docker exec). A transport knows nothing about tasks, modules or inventory.
 */
export interface Transport {
  /** Human name of the target, used in errors ("web1", "container abc"). */
  readonly target: string;
  /** Run one shell command. A non-zero exit is a result, not an error. */
  exec(command: RawShell, options?: ExecOptions): Promise<ExecResult>;
  /** Write a file atomically (temp file in the same folder, mode/owner, rename). */
  put(path: string, content: string | Buffer, options?: PutOptions): Promise<void>;
  /** Read a whole file as bytes. */
  get(path: string, options?: GetOptions): Promise<Buffer>;
  /**
   * Stop every command in flight with every process it started on the target (sudo's too),
   * and refuse new ones: on Ctrl-C. Resolves once they are gone or a few seconds have passed;
   * their exec calls reject with BOSUN_INTERRUPTED.
   */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}
