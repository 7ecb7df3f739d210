/**
 * Table-driven tests of every module: each fixture gives args and facts (or a recorded gather
 * output) and the exact commands, no-op reason, diffs and outcome expected.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TObject, TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { getModule, moduleNames } from '../../../src/modules/registry.js';
import { type FixtureCase, loadCase, runCase } from './fixture-case.js';

const ROOT = 'test/fixtures/modules';

function cases(module: string): [string, FixtureCase][] {
  return readdirSync(join(ROOT, module))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => [name.replace(/\.yaml$/, ''), loadCase(join(ROOT, module, name))]);
}

it('every module has fixtures and every fixture folder is a module', () => {
  expect(readdirSync(ROOT).sort()).toEqual([...moduleNames()].sort());
});

for (const module of moduleNames()) {
  describe(module, () => {
    const all = cases(module);

    for (const [name, c] of all) {
      it(`${name}: ${c.description}`, async () => {
        expect(Object.keys(c.expect ?? {}).length, 'a case must expect something').toBeGreaterThan(0);
        const actual = await runCase(module, c);
        const compared = Object.fromEntries(Object.keys(c.expect).map((key) => [key, actual[key]]));
        expect(compared).toEqual(c.expect);
      });
    }

    it('fixtures use every argument of the schema', () => {
      const schema = getModule(module)!.schema as TObject;
      const properties = Object.keys(schema.properties ?? {}) as string[];
      const used = new Set(all.flatMap(([, c]) => Object.keys(c.args ?? {})));
      expect(properties.filter((key) => !used.has(key))).toEqual([]);
    });

    it('every schema property has a description', () => {
      const schema = getModule(module)!.schema as TObject;
      const missing = Object.entries(schema.properties ?? {})
        .filter(([, property]) => !(property as TSchema).description)
        .map(([key]) => key);
      expect(missing).toEqual([]);
    });
  });
}
