import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../../../src/errors.js';
import {
  classifyConnectError,
  describeHop,
  type HopDescription,
  hostKeyMismatchError,
  hostKeyUnknownError,
  keyFileError,
} from '../../../src/transport/ssh/connect-errors.js';
import { parseKnownHosts } from '../../../src/transport/ssh/known-hosts.js';

const target: HopDescription = {
  role: 'target',
  user: 'bosun',
  host: 'host1',
  port: 22,
  via: 'bosun@127.0.0.1:40123',
};
const bastion: HopDescription = {
  role: 'bastion',
  user: 'bosun',
  host: '127.0.0.1',
  port: 40123,
  index: 1,
  total: 2,
};

function sysError(code: string, message = `connect ${code} 127.0.0.1:1`): Error {
  return Object.assign(new Error(message), { code, level: 'client-socket' });
}

describe('hop descriptions', () => {
  it('names bastions with their place in the chain and targets with their bastion', () => {
    expect(describeHop(bastion)).toBe('bastion bosun@127.0.0.1:40123 (hop 1 of 2)');
    expect(describeHop(target)).toBe('bosun@host1:22 via bastion bosun@127.0.0.1:40123');
    expect(describeHop({ role: 'target', user: 'me', host: 'h', port: 2222 })).toBe('me@h:2222');
  });
});

describe('connect error classification', () => {
  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'])(
    '%s is BOSUN_UNREACHABLE naming host:port',
    (code) => {
      const error = classifyConnectError(sysError(code), { hop: bastion, stage: 'ssh' });
      expect(error.code).toBe('BOSUN_UNREACHABLE');
      expect(error.message).toMatch(/^cannot connect to bastion bosun@127\.0\.0\.1:40123 \(hop 1 of 2\): /);
      expect(error.message).toContain(code);
    },
  );

  it('keeps the original error as cause', () => {
    const original = sysError('ECONNREFUSED');
    expect(classifyConnectError(original, { hop: bastion, stage: 'ssh' }).cause).toBe(original);
  });

  it('reports a handshake timeout with the timeout used', () => {
    const original = Object.assign(new Error('Timed out while waiting for handshake'), {
      level: 'client-timeout',
    });
    const error = classifyConnectError(original, { hop: target, stage: 'ssh', timeoutMs: 3000 });
    expect(error.code).toBe('BOSUN_UNREACHABLE');
    expect(error.message).toBe(
      'cannot connect to bosun@host1:22 via bastion bosun@127.0.0.1:40123: no SSH handshake within 3000 ms',
    );
  });

  it('blames the bastion when it cannot open the onward connection', () => {
    const original = Object.assign(new Error('(SSH) Channel open failure: Connect failed'), { reason: 2 });
    const error = classifyConnectError(original, { hop: target, stage: 'forward', timeoutMs: 3000 });
    expect(error.code).toBe('BOSUN_UNREACHABLE');
    expect(error.message).toBe(
      'cannot connect to bosun@host1:22 via bastion bosun@127.0.0.1:40123: ' +
        'bosun@127.0.0.1:40123 could not open a connection to host1:22 (Connect failed)',
    );
  });

  it('reports a bastion that never answers the forward request as a timeout', () => {
    const error = classifyConnectError(new Error('timed out'), {
      hop: target,
      stage: 'forward',
      timeoutMs: 500,
    });
    expect(error.message).toMatch(/did not open a connection to host1:22 within 500 ms/);
  });

  it('makes "All configured authentication methods failed" BOSUN_AUTH_FAILED with user@host and methods', () => {
    const original = Object.assign(new Error('All configured authentication methods failed'), {
      level: 'client-authentication',
    });
    const error = classifyConnectError(original, {
      hop: target,
      stage: 'ssh',
      authMethods: ['publickey /keys/id_ed25519', 'password'],
      serverMethods: ['publickey', 'password'],
    });
    expect(error.code).toBe('BOSUN_AUTH_FAILED');
    expect(error.message).toBe(
      'authentication failed for bosun@host1:22 via bastion bosun@127.0.0.1:40123: tried publickey ' +
        '/keys/id_ed25519, password; the server accepts: publickey, password',
    );
    expect(error.details).toMatchObject({ methodsTried: ['publickey /keys/id_ed25519', 'password'] });
  });

  it('says when no credential was offered at all', () => {
    const original = new Error('All configured authentication methods failed');
    expect(classifyConnectError(original, { hop: bastion, stage: 'ssh', authMethods: [] }).message).toMatch(
      /bosun@127\.0\.0\.1:40123 \(bastion\): no credential to offer \(give a key file, a password, or an ssh-agent\)/,
    );
  });

  it('passes Bosun errors through unchanged', () => {
    const own = new BosunError('BOSUN_HOST_KEY_MISMATCH', 'x');
    expect(classifyConnectError(own, { hop: target, stage: 'ssh' })).toBe(own);
  });

  it('falls back to BOSUN_UNREACHABLE with the original message', () => {
    const error = classifyConnectError('weird', { hop: target, stage: 'ssh' });
    expect(error.code).toBe('BOSUN_UNREACHABLE');
    expect(error.message).toMatch(/: weird$/);
  });
});

describe('host key errors', () => {
  const fixtures = join(import.meta.dirname, '../../fixtures/ssh');
  const file = join(fixtures, 'known_hosts');
  const entries = parseKnownHosts(readFileSync(file, 'utf8'), file).entries;
  const keyB = Buffer.from(readFileSync(join(fixtures, 'keys/host_b.pub'), 'utf8').split(' ')[1]!, 'base64');

  it('names host, both fingerprints and file:line on a mismatch', () => {
    const error = hostKeyMismatchError(
      {
        hop: { role: 'target', user: 'bosun', host: 'alpha.example', port: 22 },
        keyBlob: keyB,
        knownHostsFiles: [file],
      },
      [entries[0]!],
    );
    expect(error.code).toBe('BOSUN_HOST_KEY_MISMATCH');
    expect(error.message).toContain('bosun@alpha.example:22');
    expect(error.message).toContain('SHA256:tyIi91t4kaIuM0Vz8PqB+LBFuss7k2DI/Sqdt95ZOQk'); // presented (b)
    expect(error.message).toContain('SHA256:oUpR10CzuZsG5Pp76EfbKBD8wmoOQ99EQSFnV/iqEkk'); // expected (a)
    expect(error.message).toContain(`${file}:3`);
  });

  it('names host and fingerprint and tells about --trust-new-host-keys when unknown', () => {
    const error = hostKeyUnknownError({ hop: bastion, keyBlob: keyB, knownHostsFiles: ['/k/known_hosts'] });
    expect(error.code).toBe('BOSUN_HOST_KEY_UNKNOWN');
    expect(error.message).toContain('[127.0.0.1]:40123');
    expect(error.message).toContain('SHA256:tyIi91t4kaIuM0Vz8PqB+LBFuss7k2DI/Sqdt95ZOQk');
    expect(error.message).toContain('--trust-new-host-keys');
  });
});

describe('private key errors', () => {
  it('names the key file and never the passphrase', () => {
    const wrong = keyFileError('/keys/id', 'OpenSSH key integrity check failed -- bad passphrase?', true);
    expect(wrong.code).toBe('BOSUN_AUTH_FAILED');
    expect(wrong.message).toBe(
      'cannot use private key /keys/id: the passphrase is wrong (or the key is corrupt)',
    );
    const missing = keyFileError(
      '/keys/id',
      'Encrypted private OpenSSH key detected, but no passphrase given',
      false,
    );
    expect(missing.message).toBe(
      'cannot use private key /keys/id: it is encrypted and no passphrase was given',
    );
    expect(keyFileError('/keys/id', 'Unsupported key format', false).message).toMatch(
      /not a usable private key/,
    );
  });
});
