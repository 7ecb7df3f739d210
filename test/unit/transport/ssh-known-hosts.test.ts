import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  DEFAULT_HOST_KEY_ALGORITHMS,
  entryMatchesHost,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsLine,
  knownHostsName,
  loadKnownHosts,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../../src/transport/ssh/known-hosts.js';

// Fixtures: host keys made with ssh-keygen, a known_hosts file covering every line form, the
// same hosts hashed by `ssh-keygen -H`, and ssh-keygen's own SHA256 fingerprints.
const fixtures = join(import.meta.dirname, '../../fixtures/ssh');
const plainFile = join(fixtures, 'known_hosts');
const hashedFile = join(fixtures, 'known_hosts.hashed');
const plain = parseKnownHosts(readFileSync(plainFile, 'utf8'), plainFile);
const hashed = parseKnownHosts(readFileSync(hashedFile, 'utf8'), hashedFile);

function blob(name: string): Buffer {
  const line = readFileSync(join(fixtures, 'keys', `host_${name}.pub`), 'utf8');
  return Buffer.from(line.split(' ')[1]!, 'base64');
}

describe('known_hosts parsing', () => {
  it('reads plain, bracketed, listed, wildcard and marked entries with their line numbers', () => {
    const summary = plain.entries.map((e) => [
      e.line,
      e.marker ?? '',
      (e.patterns ?? []).join(','),
      e.keyType,
    ]);
    expect(summary).toEqual([
      [3, '', 'alpha.example', 'ssh-ed25519'],
      [4, '', '[alpha.example]:2222', 'ssh-ed25519'],
      [5, '', 'beta.example,10.20.30.40', 'ecdsa-sha2-nistp256'],
      [6, '', 'gamma.example', 'ssh-rsa'],
      [7, '', '*.wild.example,!secret.wild.example', 'ecdsa-sha2-nistp256'],
      [8, 'revoked', '*', 'ssh-ed25519'],
      [9, 'cert-authority', '*.example', 'ssh-ed25519'],
    ]);
    expect(plain.entries[0]!.keyBlob.equals(blob('a'))).toBe(true);
  });

  it('skips malformed lines and says why, like ssh does', () => {
    expect(plain.problems.map((p) => [p.line, p.message])).toEqual([
      [10, 'expected "hosts keytype key"'],
      [11, 'key is not base64'],
    ]);
  });

  it('refuses a line whose key type does not match its key', () => {
    const a = readFileSync(join(fixtures, 'keys/host_a.pub'), 'utf8').split(' ')[1];
    const parsed = parseKnownHosts(`liar.example ssh-rsa ${a}\n`, 'x');
    expect(parsed.entries).toEqual([]);
    expect(parsed.problems[0]!.message).toMatch(/does not match the key \(ssh-ed25519\)/);
  });

  it('reads hashed entries (|1|salt|hash) written by ssh-keygen -H', () => {
    expect(hashed.entries).toHaveLength(5);
    expect(hashed.entries.every((e) => e.hashed && !e.patterns)).toBe(true);
  });
});

describe('known_hosts matching', () => {
  it('uses [host]:port for ports other than 22, lower-cased', () => {
    expect(knownHostsName('Alpha.Example', 22)).toBe('alpha.example');
    expect(knownHostsName('alpha.example', 2222)).toBe('[alpha.example]:2222');
  });

  it('matches plain names case-insensitively, by port, and in comma lists', () => {
    const [alpha, alpha2222, beta] = plain.entries;
    expect(entryMatchesHost(alpha!, 'ALPHA.example', 22)).toBe(true);
    expect(entryMatchesHost(alpha!, 'alpha.example', 2222)).toBe(false);
    expect(entryMatchesHost(alpha2222!, 'alpha.example', 2222)).toBe(true);
    expect(entryMatchesHost(beta!, '10.20.30.40', 22)).toBe(true);
  });

  it('honours wildcards and negation', () => {
    const wild = plain.entries[4]!;
    expect(entryMatchesHost(wild, 'a.wild.example', 22)).toBe(true);
    expect(entryMatchesHost(wild, 'secret.wild.example', 22)).toBe(false);
    expect(entryMatchesHost(wild, 'wild.example', 22)).toBe(false);
  });

  it('matches hashed entries for exactly the names that were hashed', () => {
    const names = (host: string, port: number) =>
      hashed.entries.filter((e) => entryMatchesHost(e, host, port)).map((e) => e.line);
    expect(names('alpha.example', 22)).toEqual([1]);
    expect(names('alpha.example', 2222)).toEqual([2]);
    // "beta.example,10.20.30.40" became two hashed lines.
    expect(names('beta.example', 22)).toEqual([3]);
    expect(names('10.20.30.40', 22)).toEqual([4]);
    expect(names('gamma.example', 22)).toEqual([5]);
    expect(names('delta.example', 22)).toEqual([]);
  });
});

describe('host key verdicts', () => {
  it('accepts the known key, for plain and hashed files alike', () => {
    for (const parsed of [plain, hashed]) {
      expect(checkHostKey(parsed.entries, 'alpha.example', 22, blob('a')).status).toBe('ok');
      expect(checkHostKey(parsed.entries, 'alpha.example', 2222, blob('b')).status).toBe('ok');
      expect(checkHostKey(parsed.entries, 'gamma.example', 22, blob('d')).status).toBe('ok');
    }
  });

  it('reports a mismatch with every entry the host has', () => {
    const verdict = checkHostKey(plain.entries, 'alpha.example', 22, blob('b'));
    expect(verdict.status).toBe('mismatch');
    if (verdict.status !== 'mismatch') return;
    expect(verdict.expected.map((e) => [e.file, e.line])).toEqual([[plainFile, 3]]);
  });

  it('treats another key type for a known host as a mismatch too', () => {
    expect(checkHostKey(plain.entries, 'beta.example', 22, blob('a')).status).toBe('mismatch');
  });

  it('reports an unknown host, and ignores @cert-authority lines', () => {
    expect(checkHostKey(plain.entries, 'delta.example', 22, blob('a')).status).toBe('unknown');
    // host_f is only listed as a CA for *.example: not a host key of x.example.
    expect(checkHostKey(plain.entries, 'x.example', 22, blob('f')).status).toBe('unknown');
  });

  it('refuses a @revoked key even for a host that lists it', () => {
    const entries = [
      ...plain.entries,
      ...parseKnownHosts(`delta.example ${keyLine('e')}\n`, 'extra').entries,
    ];
    const verdict = checkHostKey(entries, 'delta.example', 22, blob('e'));
    expect(verdict.status).toBe('revoked');
    if (verdict.status === 'revoked') expect(verdict.entry.line).toBe(8);
  });
});

function keyLine(name: string): string {
  return readFileSync(join(fixtures, 'keys', `host_${name}.pub`), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
}

describe('key blobs and fingerprints', () => {
  it('reads the key type from the wire format', () => {
    expect(keyTypeOfBlob(blob('a'))).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(blob('c'))).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOfBlob(blob('d'))).toBe('ssh-rsa');
    expect(keyTypeOfBlob(Buffer.from([0, 0, 0, 200, 1]))).toBeUndefined();
    expect(keyTypeOfBlob(Buffer.alloc(2))).toBeUndefined();
  });

  it('prints SHA256 fingerprints exactly as ssh-keygen -l does', () => {
    const expected = readFileSync(join(fixtures, 'fingerprints.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[1]);
    const ours = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => fingerprintSha256(blob(name)));
    expect(ours).toEqual(expected);
  });

  it('writes lines that parse back to the same key', () => {
    const line = knownHostsLine('Host.Example', 2200, blob('c'));
    expect(line).toBe(`[host.example]:2200 ${keyLine('c')}`);
    const back = parseKnownHosts(line, 'x');
    expect(checkHostKey(back.entries, 'host.example', 2200, blob('c')).status).toBe('ok');
  });
});

describe('host key algorithm preference', () => {
  it('keeps the defaults for a host with no entry', () => {
    expect(preferredHostKeyAlgorithms(plain.entries, 'delta.example', 22)).toBeUndefined();
  });

  it('puts the known key types first, the rest after', () => {
    const beta = preferredHostKeyAlgorithms(plain.entries, 'beta.example', 22)!;
    expect(beta[0]).toBe('ecdsa-sha2-nistp256');
    expect([...beta].sort()).toEqual([...DEFAULT_HOST_KEY_ALGORITHMS].sort());
  });

  it('offers every RSA signature algorithm for an ssh-rsa key', () => {
    const gamma = preferredHostKeyAlgorithms(hashed.entries, 'gamma.example', 22)!;
    expect(gamma.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('ignores revoked and CA lines when ordering', () => {
    expect(preferredHostKeyAlgorithms(plain.entries, 'any.example', 22)).toBeUndefined();
  });
});

describe('known_hosts files', () => {
  it('treats a missing file as empty and concatenates files in order', async () => {
    const loaded = await loadKnownHosts(['/nonexistent/known_hosts', plainFile, hashedFile]);
    expect(loaded.entries).toHaveLength(plain.entries.length + hashed.entries.length);
    expect(loaded.entries.at(-1)!.file).toBe(hashedFile);
  });

  it('creates the folder 0700 and the file 0600 when recording a new key', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bosun-kh-')), 'new', '.ssh');
    const file = join(dir, 'known_hosts');
    await appendKnownHost(file, 'fresh.example', 22, blob('a'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`fresh.example ${keyLine('a')}\n`);
  });

  it('appends on a new line even when the file lacks a final newline', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bosun-kh-')), 'known_hosts');
    writeFileSync(file, `old.example ${keyLine('b')}`);
    await appendKnownHost(file, 'new.example', 2022, blob('c'));
    const parsed = parseKnownHosts(readFileSync(file, 'utf8'), file);
    expect(parsed.problems).toEqual([]);
    expect(checkHostKey(parsed.entries, 'old.example', 22, blob('b')).status).toBe('ok');
    expect(checkHostKey(parsed.entries, 'new.example', 2022, blob('c')).status).toBe('ok');
  });
});
