import { spawn } from 'node:child_process';
import { BosunError } from '../errors.js';
import type { RemoteProcess } from './shell-transport.js';

/** A RemoteProcess backed by a local child process (used by the local and docker transports). */
export function spawnProcess(file: string, args: string[], target: string): RemoteProcess {
  // A process group of its own: Ctrl-C on the terminal reaches Bosun, which then stops the
  // command on the target itself, and not this process, whose end would read as the result.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const exit = new Promise<{ code: number | null; signal?: string | undefined }>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new BosunError('BOSUN_INTERNAL', `${target}: cannot start ${file}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal: signal ?? undefined }));
  });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exit,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
