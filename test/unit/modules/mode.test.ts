import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMode, chmodArgument, formatMode, parseMode } from '../../../src/modules/mode.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { raw, sh } from '../../../src/transport/quote.js';

function bits(spec: string | number, current: number, isDirectory = false, umask = 0o022): string {
  const parsed = parseMode(spec);
  if (typeof parsed === 'string') throw new Error(parsed);
  return formatMode(applyMode(parsed, current, isDirectory, umask));
}

describe('parseMode', () => {
  it.each([
    ['0644', 0o644],
    ['644', 0o644],
    ['0o755', 0o755],
    ['2775', 0o2775],
    ['00755', 0o755],
    [644, 0o644],
    [755, 0o755],
    [0, 0],
  ])('%j is octal', (value, expected) => {
    expect(parseMode(value)).toMatchObject({ kind: 'octal', bits: expected });
  });

  it.each([
    ['rw-r--r--', /invalid mode/],
    ['17777', /out of range/],
    [698, /digits must be octal/],
    ['u=rw,', /invalid mode/],
    ['u=g', /invalid mode/],
    ['z+x', /invalid mode/],
  ])('%j is refused', (value, message) => {
    expect(parseMode(value)).toMatch(message);
  });
});

describe('applyMode (chmod semantics)', () => {
  it.each([
    // spec, current, isDirectory, umask, expected
    ['u=rw,g=r,o=', 0o777, false, 0o022, '0640'],
    ['a+x', 0o644, false, 0o022, '0755'],
    ['+x', 0o644, false, 0o077, '0744'], // no who: limited by the umask
    ['-w', 0o666, false, 0o022, '0466'], // GNU: bits in the umask are left alone (it warns)
    ['=r', 0o777, false, 0o022, '0444'], // ...but '=' clears everything first
    ['=rw', 0o000, false, 0o027, '0640'],
    ['go-rwx', 0o755, false, 0o022, '0700'],
    ['u+x,g-w,o=', 0o664, false, 0o022, '0740'],
    ['u=rwX,g=rX,o=', 0o644, false, 0o022, '0640'],
    ['u=rwX,g=rX,o=', 0o744, false, 0o022, '0750'],
    ['u=rwX,g=rX,o=', 0o600, true, 0o022, '0750'],
    ['a=rX', 0o700, true, 0o022, '0555'],
    ['u+s', 0o755, false, 0o022, '4755'],
    ['g+s', 0o755, true, 0o022, '2755'],
    ['o+s', 0o755, false, 0o022, '0755'],
    ['+t', 0o777, true, 0o022, '1777'],
    ['u=rwx', 0o4755, false, 0o022, '0755'], // '=' clears a file's setuid
    ['g=rx', 0o2775, true, 0o022, '2755'], // ...but keeps a directory's setgid unless named
    ['g=rxs', 0o775, true, 0o022, '2755'],
    ['u+r-w+x', 0o644, false, 0o022, '0544'],
    ['0640', 0o7777, false, 0o022, '0640'],
  ])('%s on %o (dir %s, umask %o) -> %s', (spec, current, isDirectory, umask, expected) => {
    expect(bits(spec, current, isDirectory, umask)).toBe(expected);
  });
});

describe('chmodArgument', () => {
  it('always gives five digits so GNU chmod clears directory setgid bits too', () => {
    expect(chmodArgument(0o755)).toBe('00755');
    expect(chmodArgument(0o2775)).toBe('02775');
  });
});

describe('applyMode agrees with chmod on this machine', () => {
  const specs = [
    'u=rw,g=r,o=',
    'a+x',
    '+x',
    '-w',
    '=r',
    '=rwX',
    'go-rwx',
    'u+x,g-w,o=',
    'u=rwX,g=rX,o=',
    'a=rX',
    'u+s,g+s',
    '+t',
    'o+t',
    'g=rx',
    'u=rwx',
    'g=rxs',
    'u+r-w+x',
    'ug+rw,o-r',
  ];
  const starts = [0o000, 0o644, 0o755, 0o600, 0o744, 0o2775, 0o4755, 0o1777];

  /**
   * Every spec on every start mode, for files or directories under a umask, by one shell: one
   * entry per case named `<spec>-<start>` (indexes), one chmod per start mode and one per spec
   * over all the entries it applies to, then one stat of them all. Returns "<spec>-<start>" ->
   * the mode GNU chmod left.
   */
  async function chmodResults(
    dir: string,
    isDirectory: boolean,
    umask: number,
  ): Promise<Map<string, number>> {
    const names = specs.flatMap((_, spec) => starts.map((_, start) => `${spec}-${start}`));
    const lines = [
      sh`cd ${dir}`,
      isDirectory ? sh`mkdir ${names}` : sh`touch ${names}`,
      ...starts.map(
        (start, i) => sh`chmod ${chmodArgument(start)} ${names.filter((n) => n.endsWith(`-${i}`))}`,
      ),
      sh`umask ${umask.toString(8)}`,
      // A spec chmod refuses leaves the mode as it was, as it does for one file.
      ...specs.map((spec, i) => sh`chmod ${spec} ${names.filter((n) => n.startsWith(`${i}-`))} 2>/dev/null`),
      sh`stat -c '%n %a' ${names}`,
    ];
    const result = await new LocalTransport().exec(raw(lines.map((line) => line.text).join('\n')));
    expect(result.code, result.stderr).toBe(0);
    return new Map(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [name, mode] = line.split(' ');
          return [name!, Number.parseInt(mode!, 8)];
        }),
    );
  }

  const dir = mkdtempSync(join(tmpdir(), 'bosun-mode-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const isDirectory of [false, true]) {
    for (const umask of [0o022, 0o077]) {
      it(`${isDirectory ? 'directories' : 'files'}, umask ${umask.toString(8)}`, async () => {
        const caseDir = join(dir, `${isDirectory ? 'dirs' : 'files'}-${umask.toString(8)}`);
        mkdirSync(caseDir);
        const actual = await chmodResults(caseDir, isDirectory, umask);
        expect(actual.size).toBe(specs.length * starts.length);
        const lines: string[] = [];
        specs.forEach((spec, i) => {
          starts.forEach((start, j) => {
            const chmod = formatMode(actual.get(`${i}-${j}`)!);
            const expected = bits(spec, start, isDirectory, umask);
            if (chmod !== expected)
              lines.push(`${spec} on ${formatMode(start)}: chmod ${chmod}, bosun ${expected}`);
          });
        });
        expect(lines).toEqual([]);
      });
    }
  }
});
