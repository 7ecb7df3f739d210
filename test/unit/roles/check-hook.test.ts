/**
 * defineRole's `check`: cross-parameter rules run at load time, after the schema, on the values
 * known before the run (templated ones are left out), located at the offending param.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { loadPlaybook } from '../../../src/model/playbook.js';

let dir: string;

// A compiled-style role (plain JS) with a schema-free rule: `low` must be below `high`.
const ROLE = `export default {
  name: 'range',
  tasks: [{ debug: { msg: 'x' } }],
  schema: { type: 'object', properties: { low: { type: 'integer', default: 1 }, high: { type: ['integer', 'string'], default: 0 } } },
  defaults: { low: 1, high: 0 },
  check: (p) => {
    globalThis.rangeChecked = p;
    return p.low !== undefined && p.high !== undefined && p.low >= p.high
      ? [{ path: ['low'], message: \`must be below high (\${p.high})\` }]
      : [];
  },
};
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-check-hook-'));
  await mkdir(join(dir, 'roles', 'range'), { recursive: true });
  await writeFile(join(dir, 'roles', 'range', 'index.js'), ROLE);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(params: string): Promise<string> {
  await writeFile(
    join(dir, 'playbook.yml'),
    `- hosts: all\n  roles:\n    - role: range\n      params: ${params}\n`,
  );
  try {
    await loadPlaybook('playbook.yml', { cwd: dir });
    return 'loaded';
  } catch (error) {
    if (isBosunError(error, 'BOSUN_INPUT')) return error.message;
    throw error;
  }
}

describe('role check hook', () => {
  it('points at a param the reference gives', async () => {
    expect(await load('{ low: 5, high: 3 }')).toBe(
      'playbook.yml:4:22: [0].roles[0].params.low: must be below high (3)',
    );
  });

  it('points at the params, naming the key, when the value is a default', async () => {
    expect(await load('{}')).toBe('playbook.yml:4:15: [0].roles[0].params: low: must be below high (0)');
  });

  it('does not see values only known per host', async () => {
    expect(await load('{ low: 5, high: "{{ limit }}" }')).toBe('loaded');
    expect((globalThis as { rangeChecked?: unknown }).rangeChecked).toEqual({ low: 5 });
  });
});
