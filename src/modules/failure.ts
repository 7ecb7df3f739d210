import { BosunError } from '../errors.js';

/**
 * The host is in a state the module cannot act on (dest is a directory, validation failed):
 * the task fails on that host and the run goes on with the others.
 */
export function moduleFailure(message: string, details?: Record<string, unknown>): BosunError {
  return new BosunError('BOSUN_MODULE_FAILED', message, details ? { details } : {});
}

/** First non-empty line of a command's error output, for one-line messages. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}
