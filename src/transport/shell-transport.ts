import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { BosunError } from '../errors.js';
import { quote, type RawShell, sh } from './quote.js';
import type { BecomeOptions, ExecOptions, ExecResult, GetOptions, PutOptions, Transport } from './types.js';
import { type Payload, payloadOf, verifiedWriteScript } from './verified-write.js';

/** A started command on the target: the one primitive each transport provides. */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the command ends; rejects with a BosunError when the link was lost. */
  exit: Promise<{ code: number | null; signal?: string | undefined }>;
  /** Stop the command (best effort) and release its channel. */
  kill(): void;
}

export interface ShellTransportOptions {
  /** sudo password; sent on stdin only when sudo asks for it, never placed in argv. */
  becomePassword?: string | undefined;
  /** Default command timeout in milliseconds (0 = none). */
  commandTimeout?: number | undefined;
}

/**
 * exec/put/get built on one primitive, `open(commandLine)`, so every transport handles
 * sudo, stdin, timeouts and atomic writes the same way.
 */
export abstract class ShellTransport implements Transport {
  abstract readonly target: string;
  protected readonly becomePassword: string | undefined;
  protected readonly commandTimeout: number;

  constructor(options: ShellTransportOptions = {}) {
    this.becomePassword = options.becomePassword;
    this.commandTimeout = options.commandTimeout ?? 0;
  }

  /** Start a POSIX shell command line on the target. */
  protected abstract open(commandLine: string): Promise<RemoteProcess>;
  abstract close(): Promise<void>;

  async exec(command: RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const become = options.sudo ? newBecomeMarkers() : undefined;
    const line = buildCommandLine(command, options, become);
    const proc = await this.open(line);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const input = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    const timeout = options.timeout ?? this.commandTimeout;

    const sendInput = () => {
      if (input && input.length > 0) proc.stdin.write(input);
      proc.stdin.end();
    };

    let becomeError: BosunError | undefined;
    if (become) {
      const gate = new BecomeGate(become, this.becomePassword, proc, sendInput, (err) => {
        becomeError = err;
        proc.kill();
      });
      proc.stdout.on('data', (chunk: Buffer) => {
        const passed = gate.onStdout(chunk);
        if (passed.length > 0) {
          stdout.push(passed);
          options.onStdout?.(passed);
        }
      });
      proc.stderr.on('data', (chunk: Buffer) => {
        const passed = gate.onStderr(chunk);
        if (passed.length > 0) {
          stderr.push(passed);
          options.onStderr?.(passed);
        }
      });
    } else {
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        options.onStdout?.(chunk);
      });
      proc.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        options.onStderr?.(chunk);
      });
      sendInput();
    }
    // A command that exits before reading its input closes the pipe; that is not an error.
    proc.stdin.on('error', () => {});

    let timer: NodeJS.Timeout | undefined;
    const timedOut =
      timeout > 0
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              proc.kill();
              reject(
                new BosunError(
                  'BOSUN_COMMAND_TIMEOUT',
                  `${this.target}: command timed out after ${timeout} ms`,
                  {
                    host: this.target,
                    details: { timeoutMs: timeout },
                  },
                ),
              );
            }, timeout);
          })
        : undefined;
    try {
      const status = await (timedOut ? Promise.race([proc.exit, timedOut]) : proc.exit);
      if (becomeError) throw becomeError;
      return {
        code: status.code,
        signal: status.signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: Date.now() - started,
      };
    } finally {
      if (timer) clearTimeout(timer);
    }
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

interface BecomeMarkers {
  prompt: string;
  success: string;
}

function newBecomeMarkers(): BecomeMarkers {
  const id = randomBytes(8).toString('hex');
  return { prompt: `[bosun-sudo-${id}] password:`, success: `BOSUN-BECOME-OK-${id}` };
}

/**
 * `sudo -S` with a unique prompt and a success marker: the password is written only when
 * sudo prints our prompt, and the caller's stdin only once the marker shows the command
 * itself is running, so neither can reach the wrong reader.
 */
export function buildCommandLine(command: RawShell, options: ExecOptions, become?: BecomeMarkers): string {
  let body = command.text;
  if (options.env && Object.keys(options.env).length > 0) {
    const assignments = Object.entries(options.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new BosunError('BOSUN_INPUT', `invalid environment variable name: ${k}`);
      return `${k}=${quote(v)}`;
    });
    body = `export ${assignments.join(' ')}; ${body}`;
  }
  if (!become) return sh`/bin/sh -c ${body}`.text;
  const user = options.user ?? 'root';
  const inner = `echo ${become.success}; ${body}`;
  return sh`sudo -S -p ${become.prompt} -H -u ${user} -- /bin/sh -c ${inner}`.text;
}

class BecomeGate {
  private passed = false;
  private prompts = 0;
  private outBuffer = Buffer.alloc(0);
  private errBuffer = '';

  constructor(
    private readonly markers: BecomeMarkers,
    private readonly password: string | undefined,
    private readonly proc: RemoteProcess,
    private readonly onPassed: () => void,
    private readonly fail: (error: BosunError) => void,
  ) {}

  onStdout(chunk: Buffer): Buffer {
    if (this.passed) return chunk;
    this.outBuffer = Buffer.concat([this.outBuffer, chunk]);
    const marker = Buffer.from(`${this.markers.success}\n`);
    const at = this.outBuffer.indexOf(marker);
    if (at < 0) return Buffer.alloc(0);
    this.passed = true;
    const rest = this.outBuffer.subarray(at + marker.length);
    this.outBuffer = Buffer.alloc(0);
    this.onPassed();
    return rest;
  }

  onStderr(chunk: Buffer): Buffer {
    if (this.passed) return chunk;
    this.errBuffer += chunk.toString('utf8');
    let text = this.errBuffer;
    while (text.includes(this.markers.prompt)) {
      text = text.replace(this.markers.prompt, '');
      this.prompts += 1;
      if (this.password === undefined) {
        this.fail(
          new BosunError(
            'BOSUN_BECOME_FAILED',
            'sudo asked for a password and none was given (become_password)',
          ),
        );
        return Buffer.alloc(0);
      }
      if (this.prompts > 1) {
        this.fail(new BosunError('BOSUN_BECOME_FAILED', 'sudo refused the become password'));
        return Buffer.alloc(0);
      }
      this.proc.stdin.write(`${this.password}\n`);
    }
    this.errBuffer = text;
    // sudo's own complaints (not in sudoers, etc.) stay visible; the prompt never does.
    const lines = this.errBuffer.split('\n');
    this.errBuffer = lines.pop() ?? '';
    return Buffer.from(lines.length ? `${lines.join('\n')}\n` : '');
  }
}
