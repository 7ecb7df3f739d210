/**
 * What the CLI talks to: injected so commands can be run in-process by tests with captured
 * output, and so nothing below src/cli ever prints.
 */
import type { Readable } from 'node:stream';
import { REDACTED, Secrets } from '../vars/secrets.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: Readable & { isTTY?: boolean | undefined; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on Ctrl-C: long commands stop and clean up. */
  signal?: AbortSignal | undefined;
  /** Secret values of this command: whatever it writes has them redacted (redactingIO). */
  secrets?: Secrets;
}

/**
 * `io` whose stdout and stderr redact the command's secrets (filled as vaults are opened,
 * passwords read and no_log tasks run), so every line, error and JSON event printed is covered.
 */
export function redactingIO(io: CliIO, secrets: Secrets = new Secrets()): CliIO {
  const wrap = (stream: OutputStream): OutputStream => ({
    write: (text: string) => stream.write(typeof text === 'string' ? secrets.redact(text) : text),
    isTTY: stream.isTTY,
  });
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr), secrets };
}

/** The command's secrets (a new set when io carries none). */
export function secretsOf(io: CliIO): Secrets {
  return io.secrets ?? new Secrets();
}

export function processIO(signal?: AbortSignal): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}

/** ANSI colours only for a terminal, and never when NO_COLOR is set. */
export function colors(stream: OutputStream, env: NodeJS.ProcessEnv) {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: wrap('32'), red: wrap('31'), yellow: wrap('33'), bold: wrap('1'), dim: wrap('2') };
}

/** What a secret value is shown as: the word every redacted secret is printed as. */
export const MASK = REDACTED;

export function warn(io: CliIO, message: string): void {
  io.stderr.write(`bosun: ${colors(io.stderr, io.env).yellow('warning')}: ${message}\n`);
}
