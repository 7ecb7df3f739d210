/**
 * Everything `stat` reports about one path, in one script: the lstat (or stat, following a
 * link) fields, where a link points, access for the user the task runs as, and a checksum of a
 * readable regular file. Names that may hold any character travel encoded (file-bytes.ts).
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { decodeEncodedValue, encoderScript } from './file-bytes.js';
import { parseReport, single } from './report.js';

export const CHECKSUM_ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface FileStatOptions {
  follow: boolean;
  /** Checksum of a readable regular file with this algorithm; undefined: none. */
  checksum?: ChecksumAlgorithm | undefined;
}

/** Raw fields in the order of STAT_FORMAT. */
export interface FileStatFields {
  /** st_mode: type and permission bits. */
  rawMode: number;
  uid: number;
  gid: number;
  user: string;
  group: string;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  blocks: number;
  blockSize: number;
  /** Major and minor device numbers (device files). */
  major: number;
  minor: number;
}

export interface FileStat {
  exists: boolean;
  fields?: FileStatFields;
  lnkTarget?: string;
  lnkSource?: string;
  readable?: boolean;
  writeable?: boolean;
  executable?: boolean;
  checksum?: string;
}

// %f raw mode (hex), %t/%T device major/minor (hex), %o optimal I/O size (st_blksize).
const STAT_FORMAT = '%f|%u|%g|%U|%G|%s|%i|%d|%h|%X|%Y|%Z|%b|%o|%t|%T';

export function fileStatScript(path: string, options: FileStatOptions): RawShell {
  const lines: RawShell[] = [encoderScript(), sh`p=${path}`];
  // With follow, a link to nothing does not exist (as os.stat says); without, the link does.
  lines.push(raw(options.follow ? 'if [ -e "$p" ]; then' : 'if [ -L "$p" ] || [ -e "$p" ]; then'));
  lines.push(sh`  s=$(stat ${raw(options.follow ? '-L ' : '')}-c ${STAT_FORMAT} -- "$p") || exit 1`);
  lines.push(raw('  echo "stat=$s"'));
  lines.push(
    raw(
      `  if [ -L "$p" ]; then echo "lnk_target=$(readlink -- "$p" | enc | tr -d '\\n')"; echo "lnk_source=$(readlink -f -- "$p" | enc | tr -d '\\n')"; fi`,
    ),
  );
  lines.push(raw('  if [ -r "$p" ]; then echo readable=1; fi'));
  lines.push(raw('  if [ -w "$p" ]; then echo writeable=1; fi'));
  lines.push(raw('  if [ -x "$p" ]; then echo executable=1; fi'));
  if (options.checksum !== undefined) {
    lines.push(
      // Only a regular file: without follow, a link to one has no checksum (Ansible's isreg).
      sh`  if ${raw(options.follow ? '' : '[ ! -L "$p" ] && ')}[ -f "$p" ] && [ -r "$p" ]; then h=$(${`${options.checksum}sum`} < "$p") || exit 1; echo "checksum=\${h%% *}"; fi`,
    );
  }
  lines.push(raw('fi'));
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseFileStat(result: ExecResult, path: string): FileStat {
  if (result.code !== 0) {
    throw moduleFailure(`cannot stat ${path}: ${result.stderr.trim() || `exit code ${result.code}`}`, {
      path,
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  const report = parseReport(result.stdout);
  const line = single(report, 'stat');
  if (line === undefined) return { exists: false };
  const out: FileStat = { exists: true, fields: parseFields(line, path) };
  const target = decodeEncodedValue(report, 'lnk_target');
  if (target !== undefined) out.lnkTarget = target;
  const source = decodeEncodedValue(report, 'lnk_source');
  if (source !== undefined && source !== '') out.lnkSource = source;
  out.readable = single(report, 'readable') === '1';
  out.writeable = single(report, 'writeable') === '1';
  out.executable = single(report, 'executable') === '1';
  const checksum = single(report, 'checksum');
  if (checksum !== undefined) out.checksum = checksum;
  return out;
}

function parseFields(line: string, path: string): FileStatFields {
  const f = line.split('|');
  const numeric = [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const hex = new Set([0, 14, 15]);
  if (f.length !== 16 || numeric.some((i) => !(hex.has(i) ? /^[0-9a-f]+$/ : /^\d+$/).test(f[i] ?? ''))) {
    throw moduleFailure(`cannot stat ${path}: unexpected stat output "${line}"`);
  }
  const n = (i: number) => Number(f[i]);
  const h = (i: number) => Number.parseInt(f[i] as string, 16);
  return {
    rawMode: h(0),
    uid: n(1),
    gid: n(2),
    user: f[3] as string,
    group: f[4] as string,
    size: n(5),
    inode: n(6),
    dev: n(7),
    nlink: n(8),
    atime: n(9),
    mtime: n(10),
    ctime: n(11),
    blocks: n(12),
    blockSize: n(13),
    major: h(14),
    minor: h(15),
  };
}
