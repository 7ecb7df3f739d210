/**
 * Time limits of tests, from measured budgets. A test (or hook) that needs more than its
 * project's default states the time it was measured to take, in seconds, and gets HEADROOM
 * times that. A slow machine then gives a slower run, not a red one; a real hang still ends.
 *
 * The measured times are the slowest of runs on a 2-core VM shared with other jobs (load
 * average 13 to 19, with the integration project running beside the unit project as `npm
 * test` does): several times what CI measures, so the limits are generous there.
 */
export const HEADROOM = 3;

/** Milliseconds for a test measured at `seconds`. */
export function budget(seconds: number): number {
  return Math.ceil(seconds * HEADROOM) * 1000;
}
