/**
 * What an archive on the controller holds (tar, tar.gz, zip), read here so that the host only
 * has to say what it has at those paths: one gather script compares without the archive being
 * on the host yet. Entries are normalised the way tar and unzip extract them (no leading "./"
 * or "/", no trailing "/"), and an entry that would land outside the destination is refused.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { moduleFailure } from './failure.js';

export type ArchiveFormat = 'tar' | 'tgz' | 'zip';

export interface ArchiveEntry {
  /** Relative path below the destination, after --strip-components. */
  path: string;
  type: 'file' | 'dir' | 'link';
  /** Files: sha256 of the content. */
  sha256?: string;
  /** Symbolic links: the target. */
  target?: string;
}

export function detectFormat(bytes: Buffer): ArchiveFormat | undefined {
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tgz';
  if (bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The path as tar/unzip write it below dest, or undefined for the archive's own root ("./"). */
export function normaliseEntry(name: string, strip: number): string | undefined {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw moduleFailure(`archive entry "${name}" points outside the destination`);
  if (parts.length <= strip) return undefined;
  return parts.slice(strip).join('/');
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function tarNumber(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (((field[0] as number) & 0x80) !== 0) {
    // GNU base-256 for sizes of 8 GiB and more.
    let value = 0;
    for (let i = 1; i < field.length; i += 1) value = value * 256 + (field[i] as number);
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(data.subarray(at, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

function tarEntries(tar: Buffer, strip: number): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  const contentOf = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  let at = 0;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = tarNumber(header, 124, 12);
    const type = String.fromCharCode(header[156] as number);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = cString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue;
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header, 345, 155) : '';
    const base = cString(header, 0, 100);
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const link = pax.get('linkpath') ?? longLink ?? cString(header, 157, 100);
    longName = undefined;
    longLink = undefined;
    pax = new Map();
    const path = normaliseEntry(name, strip);
    if (path === undefined) continue;
    if (type === '0' || type === '\0' || type === '7') {
      const hash = sha256(data);
      contentOf.set(path, hash);
      entries.push({ path, type: 'file', sha256: hash });
    } else if (type === '1') {
      // A hard link has the content of the entry it links to (extracted earlier).
      const target = normaliseEntry(link, strip);
      const hash = target === undefined ? undefined : contentOf.get(target);
      if (hash !== undefined) {
        contentOf.set(path, hash);
        entries.push({ path, type: 'file', sha256: hash });
      }
    } else if (type === '2') {
      entries.push({ path, type: 'link', target: link });
    } else if (type === '5') {
      entries.push({ path, type: 'dir' });
    }
    // Devices and fifos are extracted by tar but not compared.
  }
  return entries;
}

function zipEntries(zip: Buffer): ArchiveEntry[] {
  const minimum = Math.max(0, zip.length - 65557);
  let end = -1;
  for (let i = zip.length - 22; i >= minimum; i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw moduleFailure('the zip archive has no central directory (truncated?)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || at === 0xffffffff) throw moduleFailure('zip64 archives are not supported');
  const entries: ArchiveEntry[] = [];
  for (let n = 0; n < count; n += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50)
      throw moduleFailure('the zip archive is damaged (central directory)');
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const attributes = zip.readUInt32LE(at + 38);
    const local = zip.readUInt32LE(at + 42);
    const rawName = zip.subarray(at + 46, at + 46 + nameLength);
    const name = (flags & 0x800) !== 0 ? rawName.toString('utf8') : rawName.toString('latin1');
    at += 46 + nameLength + extraLength + commentLength;
    const path = normaliseEntry(name, 0);
    if (path === undefined) continue;
    if (name.endsWith('/')) {
      entries.push({ path, type: 'dir' });
      continue;
    }
    if ((flags & 0x1) !== 0) throw moduleFailure(`zip entry ${name} is encrypted`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + compressed);
    let content: Buffer;
    if (method === 0) content = stored;
    else if (method === 8) content = inflateRawSync(stored);
    else throw moduleFailure(`zip entry ${name} uses compression method ${method} (only stored and deflate)`);
    const unixMode = madeBy === 3 ? attributes >>> 16 : 0;
    if ((unixMode & 0o170000) === 0o120000)
      entries.push({ path, type: 'link', target: content.toString('utf8') });
    else entries.push({ path, type: 'file', sha256: sha256(content) });
  }
  return entries;
}

/** The entries of an archive, the last one winning when a path repeats (as extraction does). */
export function archiveEntries(bytes: Buffer, format: ArchiveFormat, strip: number): ArchiveEntry[] {
  let list: ArchiveEntry[];
  try {
    list =
      format === 'zip' ? zipEntries(bytes) : tarEntries(format === 'tgz' ? gunzipSync(bytes) : bytes, strip);
  } catch (error) {
    if ((error as { code?: string }).code === 'BOSUN_MODULE_FAILED') throw error;
    throw moduleFailure(`cannot read the ${format} archive: ${(error as Error).message}`);
  }
  const byPath = new Map<string, ArchiveEntry>();
  for (const entry of list) {
    byPath.delete(entry.path);
    byPath.set(entry.path, entry);
  }
  return [...byPath.values()];
}
