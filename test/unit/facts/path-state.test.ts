import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PathStateOptions, parsePathState, pathStateScript } from '../../../src/facts/path-state.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { describeRecorded } from './recorded.js';

describeRecorded('path-state', 'parsePathState on recorded output', (result, f) =>
  parsePathState(result, f.path as string, (f.options ?? {}) as PathStateOptions),
);

describe('pathStateScript on this machine', () => {
  const t = new LocalTransport();
  const nasty = `it's "q" $(touch pwned) \`touch pwned2\` * ?\nline2`;
  const root = mkdtempSync(join(tmpdir(), 'bosun-facts-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, nasty);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, nasty), 'text with $(x)\n', { mode: 0o640 });
  writeFileSync(join(dir, 'sub', 'f'), 'f');
  symlinkSync(join(dir, nasty), join(dir, 'link'));

  const state = async (path: string, options: PathStateOptions = {}) =>
    parsePathState(await t.exec(pathStateScript(path, options)), path, options);

  it('describes a file whose name is full of shell syntax, with its content', async () => {
    const s = await state(join(dir, nasty), { contentLimit: 1000 });
    expect(s.stat).toMatchObject({ type: 'file', mode: 0o640, size: 15 });
    expect(s.sha256).toBe(createHash('sha256').update('text with $(x)\n').digest('hex'));
    expect(s.content).toBe('text with $(x)\n');
    expect(s.uid).toBe(process.getuid?.());
  });

  it('leaves the content out above the limit', async () => {
    const s = await state(join(dir, nasty), { contentLimit: 3 });
    expect(s.content).toBeUndefined();
    expect(s.binary).toBeUndefined();
  });

  it('describes a missing path, its parent, a folder used as `into`, links and a tree', async () => {
    const missing = await state(join(dir, 'missing'));
    expect(missing.parentExists).toBe(true);
    expect(missing.stat).toBeUndefined();
    expect(await state(join(dir, 'no', 'missing'))).toMatchObject({ parentExists: false });
    expect(await state(dir, { into: nasty })).toMatchObject({
      path: join(dir, nasty),
      stat: { type: 'file' },
    });
    expect(await state(join(dir, 'link'))).toMatchObject({
      isLink: true,
      stat: { type: 'file', mode: 0o640 },
    });
    const tree = await state(dir, { tree: true });
    expect(tree.tree?.reduce((n, entry) => n + entry.count, 0)).toBe(4); // dir, sub, two files; not the link
  });

  it('handles a relative path that starts with a dash', async () => {
    const script = pathStateScript('-rf', { tree: true });
    const r = await t.exec(script);
    expect(r.code).toBe(0);
    expect(parsePathState(r, '-rf').stat).toBeUndefined();
  });

  it('expanded nothing', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync('pwned') || existsSync('pwned2') || existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
