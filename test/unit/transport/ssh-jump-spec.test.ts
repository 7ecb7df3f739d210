import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { formatEndpoint, parseJumpSpec } from '../../../src/transport/ssh/jump-spec.js';

describe('ProxyJump specs', () => {
  it('parses a chain of user@host:port hops', () => {
    expect(parseJumpSpec('bosun@127.0.0.1:40123,host2,ops@bastion2:2222')).toEqual([
      { user: 'bosun', host: '127.0.0.1', port: 40123 },
      { host: 'host2' },
      { user: 'ops', host: 'bastion2', port: 2222 },
    ]);
  });

  it('parses bracketed and bare IPv6 addresses', () => {
    expect(parseJumpSpec('[::1]:2222')).toEqual([{ host: '::1', port: 2222 }]);
    expect(parseJumpSpec('me@[fe80::1]')).toEqual([{ user: 'me', host: 'fe80::1' }]);
    expect(parseJumpSpec('fe80::2')).toEqual([{ host: 'fe80::2' }]);
  });

  it('takes the last @ as the separator (user names may hold one)', () => {
    expect(parseJumpSpec('first.last@corp@gate')).toEqual([{ user: 'first.last@corp', host: 'gate' }]);
  });

  it('accepts ssh:// URIs and surrounding spaces', () => {
    expect(parseJumpSpec(' ssh://u@h:22 , h2 ')).toEqual([
      { user: 'u', host: 'h', port: 22 },
      { host: 'h2' },
    ]);
  });

  it('reads none and empty as no hop', () => {
    expect(parseJumpSpec('none')).toEqual([]);
    expect(parseJumpSpec('')).toEqual([]);
  });

  it.each([
    ['a,,b', /empty hop/],
    ['@host', /empty user/],
    ['user@', /empty host/],
    ['host:0', /not a port/],
    ['host:70000', /not a port/],
    ['host:ssh', /not a port/],
    ['[::1', /missing "]"/],
    ['[::1]x', /unexpected "x"/],
    ['a b', /space/],
  ])('refuses %s', (spec, message) => {
    let error: unknown;
    try {
      parseJumpSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(isBosunError(error, 'BOSUN_INPUT')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('formats endpoints for messages, bracketing IPv6', () => {
    expect(formatEndpoint({ user: 'bosun', host: '127.0.0.1', port: 40123 })).toBe('bosun@127.0.0.1:40123');
    expect(formatEndpoint({ host: '::1' })).toBe('[::1]:22');
  });
});
