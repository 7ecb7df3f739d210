/** Looking at this machine's processes, for tests that must prove a command left none behind. */
import { execFileSync } from 'node:child_process';

/** Processes of this machine whose command line holds `token` (a token unique to the test). */
export function processesWith(token: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(token) && !line.includes('ps -eo'));
}
