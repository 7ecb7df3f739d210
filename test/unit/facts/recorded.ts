import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import type { ExecResult } from '../../../src/transport/types.js';
import { execResult, type FactFixture, factFixtures } from './fixtures.js';

/**
 * One test per recorded gather output of `parser` (test/fixtures/facts/<parser>): the parse
 * gives the fixture's `expect`, or fails with BOSUN_MODULE_FAILED and exactly its `error`.
 */
export function describeRecorded(
  parser: string,
  title: string,
  parse: (result: ExecResult, fixture: FactFixture) => unknown,
): void {
  describe(title, () => {
    for (const f of factFixtures(parser)) {
      it(`${f.name}: ${f.description}`, () => {
        expect(f.expect !== undefined || f.error !== undefined).toBe(true);
        const run = () => parse(execResult(f.output), f);
        if (f.error !== undefined) {
          const error = thrownBy(run);
          expect(isBosunError(error, 'BOSUN_MODULE_FAILED')).toBe(true);
          expect((error as Error).message).toBe(f.error);
        } else {
          expect(run()).toEqual(f.expect);
        }
      });
    }
  });
}

/** What `run` throws; undefined when it returns. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
