/**
 * One error root for everything Bosun reports to a user. Codes are stable strings that
 * scripts and tests can match on; the message is for people. The original error is kept
 * as `cause` so nothing is lost when a low-level failure is rethrown with context.
 * Only the CLI entry point turns these into an exit code.
 */
export type BosunErrorCode =
  | 'BOSUN_INPUT' // malformed user input (YAML, schema, CLI arguments)
  | 'BOSUN_INVENTORY' // inventory cannot be loaded or a host is misdeclared
  | 'BOSUN_SSH_CONFIG' // ~/.ssh/config cannot be used as asked
  | 'BOSUN_UNREACHABLE' // TCP connect failed or timed out
  | 'BOSUN_AUTH_FAILED' // the server refused every credential offered
  | 'BOSUN_HOST_KEY_MISMATCH' // known_hosts has a different key for this host
  | 'BOSUN_HOST_KEY_UNKNOWN' // no known_hosts entry and trusting new keys was not asked for
  | 'BOSUN_CONNECTION_LOST' // the connection dropped while in use (killed, paused or cut off host)
  | 'BOSUN_COMMAND_TIMEOUT' // a remote command ran past its timeout
  | 'BOSUN_BECOME_FAILED' // sudo refused (wrong password, not allowed)
  | 'BOSUN_TRANSFER' // put/get failed
  | 'BOSUN_DOCKER' // the docker CLI or engine failed
  | 'BOSUN_LAB' // lab fleet could not be started or found
  | 'BOSUN_AWS' // an AWS API refused or failed (credentials, access, region, throttling)
  | 'BOSUN_MODULE_FAILED' // a module found the host in a state it cannot act on (task fails, run goes on)
  | 'BOSUN_INTERRUPTED' // the run was interrupted (Ctrl-C) while the command ran; it was stopped
  | 'BOSUN_VAULT' // an encrypted file or value cannot be opened (no password, wrong password, tampered)
  | 'BOSUN_LOOKUP' // a secret lookup (SSM, Secrets Manager) failed
  | 'BOSUN_INTERNAL'; // a bug: an invariant did not hold

export interface BosunErrorOptions {
  cause?: unknown;
  /** Host the error concerns, when there is one. */
  host?: string;
  /** Extra structured detail for JSON output. */
  details?: Record<string, unknown>;
}

export class BosunError extends Error {
  override readonly name = 'BosunError';
  readonly code: BosunErrorCode;
  readonly host: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: BosunErrorCode, message: string, options: BosunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.host = options.host;
    this.details = options.details;
  }
}

export function isBosunError(error: unknown, code?: BosunErrorCode): error is BosunError {
  return error instanceof BosunError && (code === undefined || error.code === code);
}

/**
 * Errors meaning "could not get onto the host, or lost it", as opposed to "the command failed
 * there": the host is unreachable (exit 3), as Ansible counts it. A connection that drops while
 * a command runs (host killed, paused past its keep-alives, network cut) is one of them.
 */
export const UNREACHABLE_CODES: ReadonlySet<BosunErrorCode> = new Set<BosunErrorCode>([
  'BOSUN_UNREACHABLE',
  'BOSUN_AUTH_FAILED',
  'BOSUN_HOST_KEY_MISMATCH',
  'BOSUN_HOST_KEY_UNKNOWN',
  'BOSUN_CONNECTION_LOST',
]);

export function isUnreachableError(error: unknown): error is BosunError {
  return isBosunError(error) && UNREACHABLE_CODES.has(error.code);
}

/** Message of any thrown value, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
