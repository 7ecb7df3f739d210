import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffLines, stateText, unifiedDiff } from '../../../src/engine/diff.js';

const scratch = mkdtempSync(join(tmpdir(), 'bosun-diff-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** GNU diff -u as the oracle. */
function gnuDiff(before: string, after: string): string {
  return gnuDiffs([[before, after]])[0]!;
}

/**
 * GNU diff -u of each pair, by one `diff -r` of two folders holding one file per pair (a process
 * per pair is slow on a busy machine). Its per-file headers name the files: they are replaced
 * by the labels used here.
 */
function gnuDiffs(pairs: [string, string][]): string[] {
  const dir = mkdtempSync(join(scratch, 'pairs-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  pairs.forEach(([before, after], i) => {
    writeFileSync(join(dir, 'a', String(i)), before);
    writeFileSync(join(dir, 'b', String(i)), after);
  });
  const result = spawnSync('diff', ['-r', '-u', 'a', 'b'], { cwd: dir, encoding: 'utf8' });
  // 1: some files differ; 2: trouble.
  if (result.status !== 0 && result.status !== 1) throw new Error(`diff failed: ${result.stderr}`);
  const out: string[] = pairs.map(() => '');
  // Lines of a unified diff start with ' ', '-', '+', '@' or a backslash: "diff " opens a file's part.
  for (const part of result.stdout.split(/^(?=diff -r -u )/m)) {
    if (part === '') continue;
    const [command, , , ...rest] = part.split('\n');
    const index = Number(/ a\/(\d+) b\//.exec(command!)![1]);
    out[index] = ['--- before', '+++ after', ...rest].join('\n');
  }
  return out;
}

/** A deterministic pseudo-random generator, so failures replay. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('shows a changed line with 3 lines of context', () => {
    const before = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n';
    const after = 'one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\n';
    expect(
      unifiedDiff(before, after, { beforeLabel: 'before: /etc/motd', afterLabel: 'after: /etc/motd' }),
    ).toBe(
      '--- before: /etc/motd\n+++ after: /etc/motd\n@@ -2,7 +2,7 @@\n two\n three\n four\n-five\n+FIVE\n six\n seven\n eight\n',
    );
  });

  it('writes a new file as an insertion into an empty one', () => {
    expect(unifiedDiff('', 'hello\n', { beforeLabel: '/dev/null', afterLabel: 'after: /x' })).toBe(
      '--- /dev/null\n+++ after: /x\n@@ -0,0 +1 @@\n+hello\n',
    );
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb')).toBe(gnuDiff('a\nb\n', 'a\nb'));
    expect(unifiedDiff('x', 'y')).toBe(gnuDiff('x', 'y'));
  });

  it('splits distant changes into hunks and merges near ones, as GNU diff does', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const far = [...lines];
    far[2] = 'changed 2';
    far[25] = 'changed 25';
    expect(unifiedDiff(`${lines.join('\n')}\n`, `${far.join('\n')}\n`)).toBe(
      gnuDiff(`${lines.join('\n')}\n`, `${far.join('\n')}\n`),
    );
    const near = [...lines];
    near[10] = 'changed 10';
    near[16] = 'changed 16';
    const out = unifiedDiff(`${lines.join('\n')}\n`, `${near.join('\n')}\n`);
    expect(out.match(/^@@/gm)).toHaveLength(1);
    expect(out).toBe(gnuDiff(`${lines.join('\n')}\n`, `${near.join('\n')}\n`));
  });

  it('produces minimal edit scripts that turn a into b', () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(next() * 12) }, () => 'abcde'[Math.floor(next() * 5)]!);
      const b = Array.from({ length: Math.floor(next() * 12) }, () => 'abcde'[Math.floor(next() * 5)]!);
      const ops = diffLines(a, b);
      expect(ops.filter((op) => op.kind !== '+').map((op) => op.line)).toEqual(a);
      expect(ops.filter((op) => op.kind !== '-').map((op) => op.line)).toEqual(b);
    }
  });

  it('matches GNU diff -u on random texts', () => {
    const next = random(42);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    const pairs: [string, string][] = [];
    for (let round = 0; round < 150; round++) {
      const base = Array.from(
        { length: 5 + Math.floor(next() * 25) },
        () => words[Math.floor(next() * words.length)]!,
      );
      const changed = [...base];
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (changed.length + 1));
        const kind = next();
        if (kind < 0.33) changed.splice(at, 1);
        else if (kind < 0.66) changed.splice(at, 0, `new ${round}.${e}`);
        else changed[at] = `replaced ${round}.${e}`;
      }
      pairs.push([`${base.join('\n')}\n`, `${changed.filter((line) => line !== undefined).join('\n')}\n`]);
    }
    const gnu = gnuDiffs(pairs);
    let identical = 0;
    pairs.forEach(([before, after], round) => {
      const ours = unifiedDiff(before, after);
      // Several minimal scripts can exist (they place a moved line differently): both must
      // remove and add as many lines, and ours must rebuild `after` from `before`.
      const counts = (text: string) => [
        (text.match(/^-(?!--)/gm) ?? []).length,
        (text.match(/^\+(?!\+\+)/gm) ?? []).length,
      ];
      expect(counts(ours), `round ${round}`).toEqual(counts(gnu[round]!));
      expect(applyPatch(before, ours), `round ${round}`).toBe(after);
      if (ours === gnu[round]) identical += 1;
    });
    // Most of the time the very same text.
    expect(identical).toBeGreaterThan(100);
  });
});

/** Apply a unified diff (ours) to a text, hunk by hunk, checking the context lines. */
function applyPatch(before: string, patch: string): string {
  const source = before.split('\n').slice(0, -1);
  const out: string[] = [];
  let at = 0;
  const lines = patch.split('\n').slice(2, -1);
  for (const line of lines) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? /.exec(line);
    if (hunk) {
      const start = hunk[2] === '0' ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (at < start) out.push(source[at++]!);
      continue;
    }
    const body = line.slice(1);
    if (line[0] === ' ') {
      expect(source[at]).toBe(body);
      out.push(source[at++]!);
    } else if (line[0] === '-') {
      expect(source[at]).toBe(body);
      at++;
    } else if (line[0] === '+') out.push(body);
  }
  while (at < source.length) out.push(source[at++]!);
  return `${out.join('\n')}\n`;
}

describe('stateText', () => {
  it('writes attributes as key: value lines', () => {
    expect(stateText({ state: 'file', mode: '0644', size: 3, tags: ['a'] })).toBe(
      'state: file\nmode: 0644\nsize: 3\ntags: ["a"]\n',
    );
  });
});
