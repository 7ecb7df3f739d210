import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globWord, parsePathsExist, pathsExistScript } from '../../../src/facts/path-exists.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { describeRecorded } from './recorded.js';

describeRecorded('path-exists', 'parsePathsExist on recorded output', (result, f) =>
  parsePathsExist(result, f.keys as string[]),
);

describe('globWord', () => {
  it.each([
    ['/etc/app.conf', '/etc/app.conf'],
    ['/srv/my dir/*.conf', "'/srv/my dir/'*.conf"],
    ['/tmp/a?c', '/tmp/a?c'],
    ['/var/log/app-[0-9].log', '/var/log/app-[0-9].log'],
    ["/x/[it's]", "'/x/[it'\\''s]'"],
    ['/x/$(touch y)*', "'/x/$(touch y)'*"],
    ['~/.done', '"$HOME"/.done'],
    ['~', '"$HOME"'],
    ['~root/x', "'~root/x'"],
    ['', "''"],
  ])('%j -> %s', (pattern, word) => {
    expect(globWord(pattern).text).toBe(word);
  });
});

describe('pathsExistScript on this machine', () => {
  const t = new LocalTransport();
  const root = mkdtempSync(join(tmpdir(), 'bosun-exists-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, `d "q" it's $(x) \`y\``);
  mkdirSync(dir);
  writeFileSync(join(dir, 'a b.txt'), '');
  writeFileSync(join(dir, '$(touch pwned).log'), '');

  const check = async (pattern: string, chdir?: string) =>
    parsePathsExist(await t.exec(pathsExistScript([{ key: 'creates', pattern }], chdir)), ['creates'])
      .creates;

  it('matches literal paths and globs, relative to chdir', async () => {
    expect(await check(join(dir, 'a b.txt'))).toBe(true);
    expect(await check(join(dir, '*.txt'))).toBe(true);
    expect(await check(join(dir, 'a ?.txt'))).toBe(true);
    expect(await check(join(dir, '*.conf'))).toBe(false);
    expect(await check('a b.txt', dir)).toBe(true);
    expect(await check('*.txt', dir)).toBe(true);
    expect(await check('a b.txt')).toBe(false);
    expect(await check('$(touch pwned).log', dir)).toBe(true);
    expect(await check('$(touch pwned)*', dir)).toBe(true);
  });

  it('fails when chdir does not exist', async () => {
    await expect(check('x', join(dir, 'missing'))).rejects.toThrow(/can't cd|No such file/);
  });

  it('expanded nothing but the glob', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual(['$(touch pwned).log', 'a b.txt']);
  });
});
