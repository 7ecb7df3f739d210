import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debSourcesScript, parseDebSources } from '../../../src/facts/deb-sources.js';
import { type AptRepositoryArgs, managedFiles } from '../../../src/modules/apt-repository.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { describeRecorded } from './recorded.js';

describeRecorded('deb-sources', 'parseDebSources on recorded output', (result, f) =>
  parseDebSources(result, managedFiles(f.args as AptRepositoryArgs)),
);

describe('debSourcesScript on this machine', () => {
  const t = new LocalTransport();
  const root = mkdtempSync(join(tmpdir(), 'bosun-sources-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const nasty = `it's "q" $(touch pwned) \`touch pwned2\` * ?\nline2`;
  const dir = join(root, nasty);
  mkdirSync(join(dir, 'folder'), { recursive: true });
  const text = 'Types: deb\nURIs: http://example.invalid/$(x)\n';
  writeFileSync(join(dir, 'a.sources'), text);
  const key = Buffer.from([0x99, 0x00, 0x0d, 0x04, 0xff, 0x00]);
  writeFileSync(join(dir, 'k.gpg'), key);

  it('reports hashes, small text contents and what is not a regular file', async () => {
    const files = [
      { key: 'sources', path: join(dir, 'a.sources'), text: true },
      { key: 'gpg', path: join(dir, 'k.gpg') },
      { key: 'list', path: join(dir, 'folder'), text: true },
      { key: 'asc', path: join(dir, 'missing.asc') },
    ];
    const facts = parseDebSources(await t.exec(debSourcesScript(files)), files);
    expect(facts.files).toEqual({
      sources: {
        path: join(dir, 'a.sources'),
        sha256: createHash('sha256').update(text).digest('hex'),
        text,
      },
      gpg: { path: join(dir, 'k.gpg'), sha256: createHash('sha256').update(key).digest('hex') },
      list: { path: join(dir, 'folder'), other: true },
    });
  });

  it('expanded nothing', () => {
    expect(existsSync('pwned') || existsSync('pwned2') || existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
