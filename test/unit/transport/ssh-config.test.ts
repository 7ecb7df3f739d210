import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { matchPatternList, matchWildcard } from '../../../src/transport/ssh/host-pattern.js';
import {
  loadSshConfig,
  parseSshConfig,
  resolveSshHost,
  type SshConfig,
  splitConfigLine,
} from '../../../src/transport/ssh/ssh-config.js';

const home = join(import.meta.dirname, '../../fixtures/ssh/home');
const configPath = join(home, '.ssh/config');
const env = { home, localUser: 'me' };
const config = loadSshConfig(configPath, home)!;
const resolve = (alias: string, c: SshConfig = config) => resolveSshHost(c, alias, env);

describe('host patterns', () => {
  it('matches * and ? case-insensitively', () => {
    expect(matchWildcard('web1', 'web?')).toBe(true);
    expect(matchWildcard('web10', 'web?')).toBe(false);
    expect(matchWildcard('DB-main', 'db-*')).toBe(true);
    expect(matchWildcard('a.b.c', '*.c')).toBe(true);
    expect(matchWildcard('abc', 'a*b*c*')).toBe(true);
    expect(matchWildcard('abd', 'a*c')).toBe(false);
  });

  it('lets one negated pattern veto the list', () => {
    expect(matchPatternList('web9', ['web?', '!web9'])).toBe(false);
    expect(matchPatternList('web1', ['web?', '!web9'])).toBe(true);
    // A list of only negations matches nothing.
    expect(matchPatternList('x', ['!y'])).toBe(false);
  });
});

describe('ssh config lines', () => {
  it('splits words, honours quotes and trailing comments', () => {
    expect(splitConfigLine('  IdentityFile "/a b/key"  # mine')).toEqual(['IdentityFile', '/a b/key']);
    expect(splitConfigLine('# only a comment')).toEqual([]);
  });

  it('accepts Key=value and Key = value', () => {
    const c = parseSshConfig('Host a\n  Port=2200\nHost b\n  Port = 2201\n');
    expect(resolve('a', c).port).toBe(2200);
    expect(resolve('b', c).port).toBe(2201);
  });

  it('reports the file and line of a bad value', () => {
    const c = parseSshConfig('Host a\n  Port http\n', { file: 'cfg' });
    const error = (() => {
      try {
        resolve('a', c);
      } catch (e) {
        return e;
      }
    })();
    expect(isBosunError(error, 'BOSUN_SSH_CONFIG')).toBe(true);
    expect((error as Error).message).toBe('cfg:2: Port http is not a port number');
  });

  it('rejects an unterminated quote', () => {
    expect(() => parseSshConfig('Host "a\n', { file: 'cfg' })).toThrow(/cfg:1: unterminated quote/);
  });
});

describe('resolving a host from the fixture config', () => {
  it('applies HostName with %h, User, and IdentityFile expansions in order', () => {
    expect(resolve('web1')).toEqual({
      alias: 'web1',
      hostName: 'web1.internal.example',
      user: 'deploy',
      port: 22,
      identityFiles: [
        join(home, '.ssh/id_web'),
        join(home, '.ssh/id_deploy_web1.internal.example'),
        join(home, '.ssh/id_default'),
      ],
    });
  });

  it('takes the first value of each keyword (negated pattern excludes web9 from web?)', () => {
    const web9 = resolve('web9');
    expect(web9.hostName).toBe('10.9.9.9');
    expect(web9.port).toBe(2200);
    expect(web9.user).toBe('fallback');
  });

  it('returns ProxyJump as written, and `none` as no jump even when a later block sets one', () => {
    expect(resolve('db-main').proxyJump).toBe('jump1,jump2:2022');
    expect(resolve('jump1').proxyJump).toBe('outer');
    expect(resolve('outer').proxyJump).toBeUndefined();
    expect(resolve('outside').proxyJump).toBe('must-not-apply');
  });

  it('skips Match blocks without error', () => {
    const web1 = resolve('web1');
    expect(web1.user).not.toBe('matched-must-be-ignored');
    expect(web1.port).not.toBe(9999);
  });

  it('reads Include files from ~/.ssh with wildcards', () => {
    expect(resolve('included')).toMatchObject({ hostName: 'included.example', user: 'inc' });
  });

  it('matches quoted Host patterns and "Key = value" inside them', () => {
    expect(resolve('other').user).toBe('quoted');
  });

  it('reports ProxyCommand for the caller to refuse', () => {
    expect(resolve('legacy').proxyCommand).toBe('ssh -W %h:%p gate');
  });

  it('falls back to the alias and the catch-all block for an unknown host', () => {
    expect(resolve('unknown')).toEqual({
      alias: 'unknown',
      hostName: 'unknown',
      user: 'fallback',
      port: 22,
      identityFiles: [join(home, '.ssh/id_default')],
    });
  });

  it('expands %r to the local user when no User is set, and %% to %', () => {
    const c = parseSshConfig('Host x\n  IdentityFile ~/k_%r_%%\n');
    expect(resolve('x', c).identityFiles).toEqual([join(home, 'k_me_%')]);
  });

  it('refuses a % token it does not know rather than guessing', () => {
    const c = parseSshConfig('Host x\n  IdentityFile ~/k_%C\n', { file: 'cfg' });
    expect(() => resolve('x', c)).toThrow(/cfg:2: %C in identityfile is not supported/);
  });

  it('returns undefined for a config file that does not exist', () => {
    expect(loadSshConfig(join(home, 'nope'), home)).toBeUndefined();
  });
});
