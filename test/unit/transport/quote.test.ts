import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, raw, sh } from '../../../src/transport/quote.js';

// Values chosen to break naive quoting: each must reach the program as exactly one argument.
const hostile = [
  '',
  'plain',
  'two words',
  "it's",
  "'''",
  '"double"',
  '$(id -u)',
  '`id -u`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${} is the point of this case
  '${HOME}',
  'a;b&&c||d|e',
  '*',
  '?[a-z]*',
  'line1\nline2',
  '\ttab',
  '-n',
  '--',
  '\\back\\slash\\',
  'ünïcødé ✓',
  '~root',
  '!event',
];

function shellArgs(command: string): string[] {
  // printf prints each argument NUL-terminated so we can see word boundaries exactly.
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${command}`]);
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

describe('quote', () => {
  it.each(hostile)('keeps %j as one word', (value) => {
    expect(shellArgs(quote(value))).toEqual([value]);
  });

  it('leaves safe words bare so commands stay readable', () => {
    expect(quote('/etc/ssh/sshd_config')).toBe('/etc/ssh/sshd_config');
    expect(quote('0644')).toBe('0644');
    expect(quote('a b')).toBe("'a b'");
  });
});

describe('sh', () => {
  it('quotes every interpolation and keeps literal text', () => {
    const path = 'my file; rm -rf /';
    expect(sh`cat -- ${path}`.text).toBe("cat -- 'my file; rm -rf /'");
  });

  it('expands arrays into separate words', () => {
    const words = ['a b', '$x', 'c'];
    expect(shellArgs(sh`${words}`.text)).toEqual(words);
  });

  it('nests commands built by sh without quoting them again', () => {
    const inner = sh`echo ${'a b'}`;
    expect(sh`sudo -- ${inner}`.text).toBe("sudo -- echo 'a b'");
  });

  it('splices raw text only when asked', () => {
    expect(sh`${raw('echo $HOME')}`.text).toBe('echo $HOME');
  });

  it('refuses undefined instead of quoting the word "undefined"', () => {
    const missing = undefined as unknown as string;
    expect(() => sh`rm ${missing}`).toThrow(/null or undefined/);
  });

  it.each(hostile)('round-trips %j through sh -c', (value) => {
    const inner = sh`printf '%s' ${value}`;
    const out = execFileSync('/bin/sh', ['-c', sh`/bin/sh -c ${inner.text}`.text]).toString('utf8');
    expect(out).toBe(value);
  });
});
