/**
 * One command on a target, from start to end, the same for every transport: the command line
 * (sudo, environment, its own process group), the start marker that carries the group id and
 * gates sudo's password and the caller's stdin, the timeout, and stopping it.
 *
 * Stopping: closing an SSH channel (or killing `docker exec` or a local shell) does not end
 * the processes a command started, and under sudo they belong to root, so no signal of the
 * login user reaches them. So every command runs as the leader of its own process group and
 * reports that group's id first; a stop runs a second, fresh command (with the same sudo) that
 * sends SIGTERM to the group, then SIGKILL to whatever is left after 2 s.
 */
import { randomBytes } from 'node:crypto';
import { BosunError, messageOf } from '../errors.js';
import { quote, type RawShell, sh } from './quote.js';
import type { RemoteProcess } from './shell-transport.js';
import type { ExecOptions, ExecResult } from './types.js';

/** How long a stop may take in all before it gives up and says so. */
export const STOP_DEADLINE_MS = 5_000;

/**
 * Run the rest of the command line in a process group of its own: a shell that already leads
 * one (an SSH session's, a `detached` child) keeps it; otherwise setsid(1), which does not fork
 * when its caller leads no group, so the pid, the exit status and a killing signal stay those of
 * the command. Without setsid the command runs where it is, and a stop reaches only its shell.
 */
const OWN_GROUP =
  'kill -s 0 -- -$$ 2>/dev/null || { command -v setsid >/dev/null && exec setsid /bin/sh -c "$1"; }; exec /bin/sh -c "$1"';

export interface StartMarkers {
  /** sudo's prompt (-p): the password is written only after it. */
  prompt: string;
  /** Printed with the group id (`MARKER 1234`) as the command's first line, before the command itself. */
  started: string;
}

export function newStartMarkers(): StartMarkers {
  const id = randomBytes(8).toString('hex');
  return { prompt: `[bosun-sudo-${id}] password:`, started: `BOSUN-STARTED-${id}` };
}

/** A command as it is started: a fixed command line, and the input that carries the script. */
export interface CommandLaunch {
  /** What the host's process list (and sudo's auth.log) shows: no script, no environment value. */
  line: string;
  /** The script (environment assignments, then the command) in bytes, read first from stdin. */
  script: Buffer;
}

/**
 * The command line: `sudo -S` with a one-off prompt when asked, then a fixed shell in its own
 * process group that prints a first line naming the group, reads exactly the script's bytes
 * from stdin (GNU `head -c` reads no further, so the caller's input stays for the script) and
 * runs it. The script and the environment values travel on stdin, so they never reach argv,
 * `ps` or sudo's log. The password is written only when sudo prints our prompt, and the script
 * and the caller's stdin (with sudo) only once the first line shows the shell itself is
 * running, so neither can reach the wrong reader.
 */
export function buildCommandLine(
  command: RawShell,
  options: ExecOptions,
  markers: StartMarkers,
): CommandLaunch {
  let body = command.text;
  if (options.env && Object.keys(options.env).length > 0) {
    const assignments = Object.entries(options.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new BosunError('BOSUN_INPUT', `invalid environment variable name: ${k}`);
      return `${k}=${quote(v)}`;
    });
    body = `export ${assignments.join(' ')}\n${body}`;
  }
  // The last line proves the script arrived whole: a cut script is never run in part. The
  // shell's own `read` takes it line by line (it reads no further than each line's end, so
  // the caller's input stays for the script), which costs no process as `head` would.
  const end = `# end ${markers.started}`;
  const script = Buffer.from(`${body}\n${end}\n`, 'utf8');
  const reader = [
    `echo ${markers.started} $$`,
    `s=; while IFS= read -r l; do [ "$l" = '${end}' ] && break; s="$s$l\n"; done`,
    `[ "$l" = '${end}' ] || { echo 'bosun: the command did not arrive whole' >&2; exit 125; }`,
    'eval "$s"',
  ].join('; ');
  // `exec`: the shell that reads this line becomes the command, so a shell that leads a
  // process group (an SSH session, a detached local child) hands that group on.
  const grouped = sh`/bin/sh -c ${OWN_GROUP} bosun ${reader}`.text;
  if (!options.sudo) return { line: `exec ${grouped}`, script };
  const user = options.user ?? 'root';
  return { line: `exec ${sh`sudo -S -p ${markers.prompt} -H -u ${user} --`.text} ${grouped}`, script };
}

/**
 * End process group `pid` (or the process alone, when it leads none): SIGTERM so the command's
 * own traps run; once its leader is gone, or after 2 s, SIGKILL to whatever is left. The wait
 * is on the leader, which its parent reaps at once: members orphaned by it stay zombies until
 * an init reaps them, and still count as the group. Prints `ended`, `killed` or `gone`.
 */
export function stopGroupScript(pid: number): RawShell {
  const group = `-${pid}`;
  return sh`if ! kill -s TERM -- ${group} 2>/dev/null && ! kill -s TERM ${pid} 2>/dev/null; then echo gone; exit 0; fi
n=0; while [ "$n" -lt 20 ] && kill -s 0 ${pid} 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
if kill -s 0 ${pid} 2>/dev/null; then outcome=killed; else outcome=ended; fi
kill -s KILL -- ${group} 2>/dev/null; kill -s KILL ${pid} 2>/dev/null; echo "$outcome"`;
}

/** What a stop found, from the stop command's output. */
export function describeStop(output: string): string {
  switch (output.trim()) {
    case 'ended':
      return 'its processes ended on SIGTERM';
    case 'killed':
      return 'its processes were killed with SIGKILL after 2 s';
    case 'gone':
      return 'it had already ended';
    default:
      return `the stop command said: ${output.trim() || 'nothing'}`;
  }
}

/** `what`: what became of the host's command ("the command was stopped: ..."), for reports. */
export function interruptedError(target: string, what: string): BosunError {
  return new BosunError('BOSUN_INTERRUPTED', `${target}: interrupted; ${what}`, {
    host: target,
    details: { what },
  });
}

export interface CommandContext {
  target: string;
  becomePassword: string | undefined;
  /** Milliseconds, 0 for none. */
  timeout: number;
  open(commandLine: string): Promise<RemoteProcess>;
  /** End process group `pid` through a fresh command; absent for such stop commands themselves. */
  stopGroup?: ((pid: number) => Promise<string>) | undefined;
}

type StopReason = 'interrupt' | 'timeout';

interface StopOutcome {
  /** What the stop found, for messages. */
  text: string;
  /** The target never confirmed (no answer in time, or the link failed). */
  unanswered: boolean;
}

/** One run of one command. `result()` once; `stop()` at any time, from anywhere. */
export class RemoteCommand {
  private proc: RemoteProcess | undefined;
  private pid: number | undefined;
  private ended = false;
  private reason: StopReason | undefined;
  private stopping: Promise<void> | undefined;
  private groupStop: Promise<string> | undefined;
  /** Settles once the command has named its group, ended, or failed to start. */
  private readonly settled: Promise<void>;
  private settle!: () => void;
  /** Rejects with the stop's error once a stop is over. */
  private readonly halted: Promise<never>;
  private halt!: (error: BosunError) => void;

  constructor(
    private readonly command: RawShell,
    private readonly options: ExecOptions,
    private readonly context: CommandContext,
  ) {
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.halted = new Promise<never>((_, reject) => {
      this.halt = reject;
    });
    this.halted.catch(() => {});
  }

  async result(): Promise<ExecResult> {
    const started = Date.now();
    const { options, context } = this;
    const markers = newStartMarkers();
    const { line, script } = buildCommandLine(this.command, options, markers);
    const opening = context.open(line);
    let proc: RemoteProcess;
    try {
      // A stop does not wait for a slow connect; a channel that opens after it is let go.
      proc = await Promise.race([opening, this.halted]);
    } catch (error) {
      this.ended = true;
      this.settle();
      if (this.reason) {
        opening.then(
          (late) => late.kill(),
          () => {},
        );
        return await this.halted;
      }
      throw error;
    }
    this.proc = proc;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const input = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    const sendInput = () => {
      proc.stdin.write(script);
      if (input && input.length > 0) proc.stdin.write(input);
      proc.stdin.end();
    };
    let becomeError: BosunError | undefined;
    const gate = new StartGate(markers, {
      sudo: options.sudo ?? false,
      password: context.becomePassword,
      writePassword: (text) => proc.stdin.write(text),
      onStarted: (pid) => {
        this.pid = pid;
        this.settle();
        if (options.sudo) sendInput();
        // A stop that came while the command was starting waits for this id.
        if (this.reason) void this.stopGroup().catch(() => {});
      },
      fail: (error) => {
        becomeError = error;
        proc.kill();
      },
    });
    const keep = (into: Buffer[], listener: ((chunk: Buffer) => void) | undefined, chunk: Buffer) => {
      if (chunk.length === 0) return;
      into.push(chunk);
      listener?.(chunk);
    };
    proc.stdout.on('data', (chunk: Buffer) => keep(stdout, options.onStdout, gate.onStdout(chunk)));
    proc.stderr.on('data', (chunk: Buffer) => keep(stderr, options.onStderr, gate.onStderr(chunk)));
    if (!options.sudo) sendInput();
    // A command that exits before reading its input closes the pipe; that is not an error.
    proc.stdin.on('error', () => {});
    const exit = proc.exit.finally(() => {
      this.ended = true;
      this.settle();
    });
    // Settled or not, it is awaited only until a stop wins the race below.
    exit.catch(() => {});

    const timer =
      context.timeout > 0 ? setTimeout(() => void this.stop('timeout'), context.timeout) : undefined;
    try {
      let status: Awaited<RemoteProcess['exit']>;
      try {
        status = await Promise.race([exit, this.halted]);
      } catch (error) {
        // A link lost while stopping: the stop's own outcome says what became of the command.
        if (this.reason) return await this.halted;
        throw error;
      }
      if (this.reason) return await this.halted;
      if (becomeError) throw becomeError;
      // Output held back because the start line never came (the wrapper itself failed).
      keep(stdout, options.onStdout, gate.heldBack());
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

  /**
   * Stop the command and every process it started on the target; resolves when they are gone
   * or after STOP_DEADLINE_MS. `result()` then rejects with BOSUN_INTERRUPTED (or, for a
   * timeout, BOSUN_COMMAND_TIMEOUT) saying what the stop found.
   */
  stop(reason: StopReason): Promise<void> {
    this.reason ??= reason;
    this.stopping ??= this.end().then((outcome) => this.halt(this.stopError(outcome)));
    return this.stopping;
  }

  private async end(): Promise<StopOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<StopOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            this.proc
              ? {
                  text: `the host did not confirm within ${STOP_DEADLINE_MS / 1000} s that it stopped`,
                  unanswered: true,
                }
              : { text: 'it had not started yet (still connecting)', unanswered: true },
          ),
        STOP_DEADLINE_MS,
      );
    });
    try {
      return await Promise.race([
        this.endProcesses().then((text) => ({ text, unanswered: false })),
        deadline,
      ]);
    } catch (error) {
      return { text: `it could not be confirmed stopped: ${messageOf(error)}`, unanswered: true };
    } finally {
      clearTimeout(timer);
      // Whatever the outcome, the channel (or local process) is released.
      this.proc?.kill();
    }
  }

  private async endProcesses(): Promise<string> {
    await this.settled;
    if (this.pid === undefined) return 'it had not started yet';
    if (this.ended) return 'it had already ended';
    if (!this.context.stopGroup) return 'its channel was closed';
    // Its processes are gone once this returns; waiting for the exit status as well would
    // cost another round trip and confirm nothing more (the channel is released below).
    return describeStop(await this.stopGroup());
  }

  private stopGroup(): Promise<string> {
    this.groupStop ??= this.context.stopGroup!(this.pid!);
    return this.groupStop;
  }

  private stopError(outcome: StopOutcome): BosunError {
    const { target, timeout } = this.context;
    if (this.reason === 'interrupt')
      return interruptedError(target, `the command was stopped: ${outcome.text}`);
    // A host that answers neither the command nor the command to stop it is gone (paused,
    // frozen, cut off): unreachable, as a keep-alive timeout would have found.
    if (outcome.unanswered) {
      return new BosunError(
        'BOSUN_CONNECTION_LOST',
        `${target}: the host stopped answering: the command timed out after ${timeout} ms and ${outcome.text}`,
        { host: target, details: { timeoutMs: timeout } },
      );
    }
    return new BosunError('BOSUN_COMMAND_TIMEOUT', `${target}: command timed out after ${timeout} ms`, {
      host: target,
      details: { timeoutMs: timeout, stopped: outcome.text },
    });
  }
}

interface GateOptions {
  sudo: boolean;
  password: string | undefined;
  writePassword(text: string): void;
  /** The command reported its process group: it runs now. */
  onStarted(pid: number): void;
  fail(error: BosunError): void;
}

/**
 * Holds output back until the start line, which it removes and reads the group id from; with
 * sudo, answers sudo's one-off prompt (once) and keeps that prompt out of stderr.
 */
class StartGate {
  private started = false;
  private prompts = 0;
  private outBuffer = Buffer.alloc(0);
  private errBuffer = '';

  constructor(
    private readonly markers: StartMarkers,
    private readonly options: GateOptions,
  ) {}

  onStdout(chunk: Buffer): Buffer {
    if (this.started) return chunk;
    this.outBuffer = Buffer.concat([this.outBuffer, chunk]);
    const at = this.outBuffer.indexOf(`${this.markers.started} `);
    if (at < 0) return Buffer.alloc(0);
    const end = this.outBuffer.indexOf('\n', at);
    if (end < 0) return Buffer.alloc(0);
    const pid = Number(this.outBuffer.subarray(at + this.markers.started.length + 1, end).toString());
    this.started = true;
    const rest = this.outBuffer.subarray(end + 1);
    this.outBuffer = Buffer.alloc(0);
    this.options.onStarted(pid);
    return rest;
  }

  /** What was held back without a start line (the command line itself failed). */
  heldBack(): Buffer {
    const out = this.started ? Buffer.alloc(0) : this.outBuffer;
    this.outBuffer = Buffer.alloc(0);
    return out;
  }

  onStderr(chunk: Buffer): Buffer {
    if (this.started || !this.options.sudo) return chunk;
    this.errBuffer += chunk.toString('utf8');
    let text = this.errBuffer;
    while (text.includes(this.markers.prompt)) {
      text = text.replace(this.markers.prompt, '');
      this.prompts += 1;
      if (this.options.password === undefined) {
        this.options.fail(
          new BosunError(
            'BOSUN_BECOME_FAILED',
            'sudo asked for a password and none was given (become_password)',
          ),
        );
        return Buffer.alloc(0);
      }
      if (this.prompts > 1) {
        this.options.fail(new BosunError('BOSUN_BECOME_FAILED', 'sudo refused the become password'));
        return Buffer.alloc(0);
      }
      this.options.writePassword(`${this.options.password}\n`);
    }
    this.errBuffer = text;
    // sudo's own complaints (not in sudoers, etc.) stay visible; the prompt never does.
    const lines = this.errBuffer.split('\n');
    this.errBuffer = lines.pop() ?? '';
    return Buffer.from(lines.length ? `${lines.join('\n')}\n` : '');
  }
}
