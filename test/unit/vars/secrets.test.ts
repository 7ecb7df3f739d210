import { describe, expect, it } from 'vitest';
import { REDACTED, Secrets } from '../../../src/vars/secrets.js';

describe('Secrets', () => {
  it('redacts a secret and the strings derived from it, in text and in nested values', () => {
    const secrets = new Secrets();
    secrets.add({ db: 'Pa55-word', nested: ['line-one\nline-two'] });
    expect(secrets.redact('url=postgres://app:Pa55-word@db')).toBe(`url=postgres://app:${REDACTED}@db`);
    // Each line of a multi-line secret, as a command's stdout_lines would print it.
    expect(secrets.redact('got line-two')).toBe(`got ${REDACTED}`);
    expect(secrets.redactDeep({ a: ['x Pa55-word'], 'Pa55-word': 1 })).toEqual({
      a: [`x ${REDACTED}`],
      [REDACTED]: 1,
    });
  });

  it('covers the JSON and shell-quoted forms of a secret', () => {
    const secrets = new Secrets();
    secrets.add(`it's "q"\\x`);
    expect(secrets.redact(JSON.stringify({ v: `it's "q"\\x` }))).toBe(`{"v":"${REDACTED}"}`);
    expect(secrets.redact(`echo 'it'\\''s "q"\\x'`)).toBe(`echo ${REDACTED}`);
  });

  it('ignores values too short to be secrets, so ordinary words stay readable', () => {
    const secrets = new Secrets();
    secrets.add(['ok', '0', '!']);
    expect(secrets.size).toBe(0);
    expect(secrets.redact('ok: [web1]')).toBe('ok: [web1]');
  });

  it('replaces the longest secret first when one contains another', () => {
    const secrets = new Secrets();
    secrets.add('abcd');
    secrets.add('abcdefgh');
    expect(secrets.redact('xabcdefghx')).toBe(`x${REDACTED}x`);
  });
});
