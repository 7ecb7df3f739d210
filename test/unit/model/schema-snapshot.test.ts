/**
 * The JSON Schemas committed in schemas/ must be what the code generates: editors read the
 * committed files. When this fails after a change to a schema (a module, a keyword, a role),
 * regenerate them and commit the result.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSchemas, schemaText, writeSchemas } from '../../../src/model/schema-export.js';

const DIR = resolve('schemas');
const REGENERATE = 'regenerate with: UPDATE_SCHEMAS=1 npx vitest run test/unit/model/schema-snapshot.test.ts';

describe('committed JSON Schemas', async () => {
  const generated = await exportSchemas();
  if (process.env.UPDATE_SCHEMAS) await writeSchemas(DIR, generated);
  const committed = readdirSync(DIR).filter((name) => name.endsWith('.json'));

  it.each(Object.keys(generated))('schemas/%s is up to date', (name) => {
    const text = committed.includes(name) ? readFileSync(join(DIR, name), 'utf8') : undefined;
    expect(text, `schemas/${name} is missing or out of date; ${REGENERATE}`).toBe(
      schemaText(generated[name]!),
    );
  });

  it('has no stale schema', () => {
    const stale = committed.filter((name) => !(name in generated));
    expect(stale, `these files are no longer generated; delete them (${REGENERATE})`).toEqual([]);
  });
});
