/**
 * The `bosun` command run in-process, its output captured: what a user would see, without
 * building the CLI or starting a process. Tests that need modules loaded afresh pass the
 * `main` they imported.
 */
import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/io.js';
import { main as loadedMain } from '../../src/cli/main.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  cwd: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  main?: typeof loadedMain;
}

export async function runInProcess(argv: string[], options: InProcessOptions): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([]),
    env: { ...options.env },
    cwd: options.cwd,
    signal: options.signal,
  };
  const code = await (options.main ?? loadedMain)(argv, io);
  return { code, stdout, stderr };
}
