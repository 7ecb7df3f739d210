/**
 * Every folder of test/fixtures/bad-input is a playbook that must be refused with exactly the
 * message in its expected.txt, through the loader the CLI uses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../../../src/errors.js';
import { loadPlaybook } from '../../../src/model/playbook.js';

const CORPUS = resolve('test/fixtures/bad-input');
const ROLES = resolve('test/fixtures/roles');
const cases = readdirSync(CORPUS)
  .filter((name) => statSync(join(CORPUS, name)).isDirectory())
  .sort();

describe('bad input corpus', () => {
  it('has at least 40 cases, each with its expected message', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const name of cases) expect(readdirSync(join(CORPUS, name)), name).toContain('expected.txt');
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(CORPUS, name);
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').replace(/\n$/, '');
    const error = await loadPlaybook('playbook.yml', { cwd: dir, rolesPath: [ROLES] }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, 'the playbook was accepted').toBeInstanceOf(BosunError);
    expect((error as BosunError).code).toBe('BOSUN_INPUT');
    expect((error as BosunError).message).toBe(expected);
  });
});
