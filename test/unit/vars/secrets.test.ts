import { describe, expect, it } from 'vitest';
import { renderText, VarScope } from '../../../src/vars/index.js';
import { REDACTED, Secrets, withSecrets } from '../../../src/vars/secrets.js';

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

describe('values a template helper derives from a secret', () => {
  // Longer than to_yaml's line width, with a space: to_yaml folds it over two lines.
  const LONG = `${'alpha-'.repeat(10)} ${'omega-'.repeat(10)}`;
  const scope = VarScope.from([
    {
      layer: 'play vars',
      source: 'site.yml',
      values: { pass: LONG, conf: { user: 'app-user', key: LONG }, plain: { user: 'app-user' } },
    },
  ]);
  const render = (secrets: Secrets, text: string) =>
    withSecrets(secrets, () => renderText(text, scope, { label: 'here' }));

  it('are secrets where the output no longer shows the secret as text', () => {
    const secrets = new Secrets();
    secrets.add(LONG);
    const yaml = render(secrets, '{{ to_yaml conf }}');
    expect(yaml).toContain('\n  omega-');
    const shown = secrets.redact(`msg: ${yaml}`);
    expect(shown).not.toContain('alpha-alpha');
    expect(shown).not.toContain('omega-omega');
    // Only the lines that came from the secret are secrets alone: the other stays readable.
    expect(secrets.redact('- user: app-user')).toBe('- user: app-user');
    expect(secrets.redact(render(secrets, '{{ to_yaml pass }}'))).not.toContain('omega-omega');
  });

  it('leave outputs made from no secret, and what a helper passes through, as they are', () => {
    const secrets = new Secrets();
    secrets.add(LONG);
    const before = secrets.size;
    expect(render(secrets, '{{ to_yaml plain }}')).toBe('user: app-user');
    expect(render(secrets, '{{ length pass }}')).toBe(String(LONG.length));
    // The output still holds the secret as text: redacted as it is, nothing new to add.
    expect(secrets.redact(render(secrets, '{{ to_json conf }}'))).toBe(
      `{"user":"app-user","key":"${REDACTED}"}`,
    );
    expect(secrets.size).toBe(before);
    expect(secrets.redact('user: app-user')).toBe('user: app-user');
  });
});
