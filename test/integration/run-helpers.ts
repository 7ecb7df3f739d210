/**
 * What the `bosun run` integration tests share: building the CLI, running it as a user does
 * (`node bin/bosun.js`, empty HOME, no agent), and reading its --json events.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { HostRecap, HostResultEvent, RunEvent } from '../../src/engine/events.js';

export const root = join(import.meta.dirname, '../..');
export const fixtures = join(root, 'test/fixtures/engine/fleet');
const bin = join(root, 'bin/bosun.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function buildCli(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: root }).catch((error: { stdout?: string }) => {
    throw new Error(`npm run build failed:\n${error.stdout ?? String(error)}`);
  });
  expect(existsSync(join(root, 'dist/src/cli/main.js'))).toBe(true);
}

/** Run the built CLI in `cwd` with HOME=`home` (no ~/.ssh of this machine) and no ssh-agent. */
export function bosun(
  args: string[],
  options: { cwd: string; home: string; env?: Record<string, string> },
): Promise<CliRun> {
  return startBosun(args, options).done.then(({ endedAt: _, ...run }) => run);
}

/** A CLI run in progress: its stdout lines as they come, and signals to send it. */
export interface LiveRun {
  /** Resolves with the first stdout line matching `pattern` and when it came (Date.now()). */
  line(pattern: RegExp, timeoutMs?: number): Promise<{ text: string; at: number }>;
  signal(name: NodeJS.Signals): void;
  /** The process itself, for tests that signal it at a chosen moment. */
  child: ChildProcess;
  /** Resolves when the process has exited; `endedAt` is when. */
  done: Promise<CliRun & { endedAt: number }>;
}

/** As `bosun`, without waiting: for tests that act while the run goes on. */
export function startBosun(
  args: string[],
  options: { cwd: string; home: string; env?: Record<string, string> },
): LiveRun {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: options.home, NO_COLOR: '1', ...options.env };
  delete env.SSH_AUTH_SOCK;
  delete env.CI;
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lines: { text: string; at: number }[] = [];
  const waiting = new Set<() => void>();
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    const at = Date.now();
    for (const text of parts) lines.push({ text, at });
    for (const wake of waiting) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun & { endedAt: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      const endedAt = Date.now();
      resolve({ code, stdout, stderr, ms: endedAt - started, endedAt });
      for (const wake of waiting) wake();
    });
  });
  return {
    line(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no line matching ${pattern} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const finish = (error?: Error) => {
          waiting.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
        };
        const check = () => {
          const found = lines.find((line) => pattern.test(line.text));
          if (found) {
            finish();
            resolve(found);
          } else if (exited)
            finish(new Error(`the run ended without a line matching ${pattern}:\n${stdout}${stderr}`));
        };
        waiting.add(check);
        check();
      });
    },
    signal(name) {
      child.kill(name);
    },
    child,
    done,
  };
}

export function events(run: CliRun): RunEvent[] {
  return run.stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunEvent);
}

/** Host results (not loop items) keyed `task|host` -> status. */
export function statuses(list: RunEvent[], options: { handlers?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  let inHandler = false;
  for (const event of list) {
    if (event.type === 'task_start') inHandler = false;
    if (event.type === 'handler_start') inHandler = true;
    if (event.type !== 'host_result' || event.item !== undefined) continue;
    if (inHandler && !options.handlers) continue;
    out[`${event.task}|${event.host}`] = event.status;
  }
  return out;
}

export function results(list: RunEvent[]): HostResultEvent[] {
  return list.filter((event): event is HostResultEvent => event.type === 'host_result');
}

export function recapOf(list: RunEvent[]): Record<string, HostRecap> {
  const end = list.find((event) => event.type === 'run_end');
  if (end?.type !== 'run_end') throw new Error('no run_end event');
  return end.recap;
}

export function recap(partial: Partial<HostRecap>): HostRecap {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, ignored: 0, unknown: 0, ...partial };
}
