import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BosunError } from '../../errors.js';
import { matchPatternList } from './host-pattern.js';
import { DEFAULT_SSH_PORT } from './options.js';

/**
 * known_hosts as OpenSSH writes and reads it: plain and hashed host fields, `[host]:port` for
 * other ports than 22, `@revoked` and `@cert-authority` markers. The pure part (parse, match,
 * check) is separate from the file IO at the bottom.
 */

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain host patterns (may hold wildcards and `!`); absent for a hashed entry. */
  patterns?: string[];
  /** `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt. */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The public key in SSH wire format (what the server sends). */
  keyBlob: Buffer;
}

export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that were skipped, as OpenSSH skips them, kept for diagnostics. */
  problems: KnownHostsProblem[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const word = fields.shift()!;
      if (word === '@revoked') marker = 'revoked';
      else if (word === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ file, line, message: `unknown marker ${word}` });
        return;
      }
    }
    const [hostField, keyType, keyText] = fields;
    if (!hostField || !keyType || !keyText) {
      problems.push({ file, line, message: 'expected "hosts keytype key"' });
      return;
    }
    if (!BASE64.test(keyText)) {
      problems.push({ file, line, message: 'key is not base64' });
      return;
    }
    const keyBlob = Buffer.from(keyText, 'base64');
    const blobType = keyTypeOfBlob(keyBlob);
    if (blobType !== keyType) {
      problems.push({
        file,
        line,
        message: `key type ${keyType} does not match the key (${blobType ?? 'unreadable'})`,
      });
      return;
    }
    const entry: KnownHostEntry = { file, line, keyType, keyBlob };
    if (marker) entry.marker = marker;
    if (hostField.startsWith('|1|')) {
      const [, , salt, hash] = hostField.split('|');
      if (!salt || !hash || !BASE64.test(salt) || !BASE64.test(hash)) {
        problems.push({ file, line, message: 'malformed hashed host' });
        return;
      }
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hostField.split(',').filter((pattern) => pattern !== '');
    }
    entries.push(entry);
  });
  return { entries, problems };
}

/** The name known_hosts stores for a host: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number = DEFAULT_SSH_PORT): string {
  const name = host.toLowerCase();
  return port === DEFAULT_SSH_PORT ? name : `[${name}]:${port}`;
}

export function hashHostName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

export function entryMatchesHost(
  entry: KnownHostEntry,
  host: string,
  port: number = DEFAULT_SSH_PORT,
): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const digest = hashHostName(name, entry.hashed.salt);
    return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
  }
  return matchPatternList(name, entry.patterns ?? []);
}

/** The key type named inside a wire-format public key ("ssh-ed25519", ...), or undefined. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined;
  const type = blob.subarray(4, 4 + length).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** ssh-keygen's SHA256 fingerprint: "SHA256:" and unpadded base64. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A known_hosts line for a newly trusted key. */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  const type = keyTypeOfBlob(keyBlob);
  if (!type) throw new BosunError('BOSUN_INTERNAL', 'host key blob has no readable key type');
  return `${knownHostsName(host, port)} ${type} ${keyBlob.toString('base64')}`;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'mismatch'; expected: KnownHostEntry[] }
  | { status: 'unknown' };

/**
 * Judge a presented host key. A revoked key is refused wherever it is presented; a host with
 * entries none of which is this key is a mismatch (never silently re-trusted); a host with no
 * entry at all is unknown. @cert-authority lines are ignored: Bosun does not do host certificates.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const forHost = entries.filter(
    (entry) => entry.marker !== 'cert-authority' && entryMatchesHost(entry, host, port),
  );
  const revoked = forHost.find((entry) => entry.marker === 'revoked' && entry.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  const same = plain.find((entry) => entry.keyBlob.equals(keyBlob));
  if (same) return { status: 'ok', entry: same };
  if (plain.length > 0) return { status: 'mismatch', expected: plain };
  return { status: 'unknown' };
}

/** ssh2's default host key algorithm order (ssh2 1.x on a Node with Ed25519). */
export const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

export type HostKeyAlgorithm = (typeof DEFAULT_HOST_KEY_ALGORITHMS)[number] | 'ssh-dss';

function algorithmsForKeyType(type: string): HostKeyAlgorithm[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (type === 'ssh-dss') return ['ssh-dss'];
  return (DEFAULT_HOST_KEY_ALGORITHMS as readonly string[]).includes(type) ? [type as HostKeyAlgorithm] : [];
}

/**
 * Host key algorithms to offer, known ones first, as OpenSSH orders them: a server has keys
 * of several types and presents the one negotiated, so without this a host known by its
 * ECDSA key would present Ed25519 and look like a mismatch. Undefined: keep the defaults.
 */
export function preferredHostKeyAlgorithms(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
): HostKeyAlgorithm[] | undefined {
  const known = new Set<HostKeyAlgorithm>();
  for (const entry of entries) {
    if (entry.marker !== undefined || !entryMatchesHost(entry, host, port)) continue;
    for (const algorithm of algorithmsForKeyType(entry.keyType)) known.add(algorithm);
  }
  if (known.size === 0) return undefined;
  const ordered = [...DEFAULT_HOST_KEY_ALGORITHMS, 'ssh-dss' as const].filter((a) => known.has(a));
  const rest = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !known.has(a));
  return [...ordered, ...rest];
}

// ---------------------------------------------------------------------------------------
// File IO

/** All entries of the given files, in order; a file that does not exist holds none. */
export async function loadKnownHosts(files: readonly string[]): Promise<ParsedKnownHosts> {
  const result: ParsedKnownHosts = { entries: [], problems: [] };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new BosunError(
        'BOSUN_INPUT',
        `cannot read known_hosts file ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const parsed = parseKnownHosts(text, file);
    result.entries.push(...parsed.entries);
    result.problems.push(...parsed.problems);
  }
  return result;
}

/**
 * Record a newly trusted key at the end of `file`, creating its folder (0700) and the file
 * (0600) when missing, as ssh does for accept-new.
 */
export async function appendKnownHost(
  file: string,
  host: string,
  port: number,
  keyBlob: Buffer,
): Promise<void> {
  const line = knownHostsLine(host, port, keyBlob);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const separator = (await endsWithoutNewline(file)) ? '\n' : '';
    await appendFile(file, `${separator}${line}\n`, { mode: 0o600 });
  } catch (error) {
    throw new BosunError(
      'BOSUN_INPUT',
      `cannot record the host key of ${host} in ${file}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

async function endsWithoutNewline(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  } finally {
    await handle?.close();
  }
}
