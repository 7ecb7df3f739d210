import { BosunError } from '../errors.js';
import { sh } from '../transport/quote.js';
import type { Step } from './types.js';

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

/**
 * A step that fails with `message`. Planned where the host lacks something an earlier task of
 * the same run may create (a user, a folder): check mode then predicts the change instead of
 * failing, and a real run where it is still missing fails with the same message.
 */
export function failingStep(message: string): Step {
  return { command: sh`echo ${message} >&2; exit 1`, description: message };
}
