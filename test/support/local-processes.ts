/** Looking at this machine's processes, for tests that must prove a command left none behind. */
import { execFileSync } from 'node:child_process';

/** Processes of this machine whose command line holds `token` (a token unique to the test). */
export function processesWith(token: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(token) && !line.includes('ps -eo'));
}

/** Resolves once `check()` holds; fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
