/**
 * `bosun` run in-process, as tests run it: `main` with captured output, no terminal, an empty
 * standard input and only the environment given.
 */
import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function bosunInProcess(
  argv: string[],
  options: { cwd: string; env?: Record<string, string>; signal?: AbortSignal | undefined },
): Promise<CliRun> {
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
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
