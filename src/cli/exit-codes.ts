import type { BosunError } from '../errors.js';

/** The CLI's exit codes (README "Using it"). */
export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug, docker, lab). */
  error: 1,
  /** A command failed on some host. */
  hostFailed: 2,
  /** Some host could not be reached or logged in to, or its connection was lost mid-run. */
  unreachable: 3,
  /** Bad input: arguments, inventory, patterns. */
  input: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** Exit code for an error that ended the whole command (per-host errors are counted instead). */
export function exitCodeOf(error: BosunError): number {
  if (
    error.code === 'BOSUN_INPUT' ||
    error.code === 'BOSUN_INVENTORY' ||
    error.code === 'BOSUN_SSH_CONFIG' ||
    error.code === 'BOSUN_VAULT'
  ) {
    return EXIT.input;
  }
  if (error.code === 'BOSUN_INTERRUPTED') return EXIT.interrupted;
  return EXIT.error;
}
