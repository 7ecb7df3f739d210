/**
 * The one way bytes sent by the controller become a file (or a crontab, a password, an archive)
 * on a host, as shell text built with `sh` (no I/O here, so modules use it as they use quote.ts).
 *
 * The bytes arrive on standard input into a temp file. End of input does not mean the transfer
 * is complete: a controller killed mid-transfer, or a connection closed by Ctrl-C, ends the
 * input the same way. So the size and sha256 of what arrived are compared with what was sent
 * before anything uses it; a partial temp file is removed, never renamed or installed.
 *
 * A write that replaces a file also checks, right before the rename and under a lock on the
 * folder, that the file still is the one the plan was made from (its sha256, or "absent"):
 * a plan made from a state another writer has since replaced is not applied, and the engine
 * plans again (STALE_WRITE).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { type RawShell, raw, sh } from './quote.js';

/** First word of the error line when the input was incomplete or altered. */
export const INCOMPLETE_INPUT = 'bosun-incomplete-input';
/** First word of the error line when the file changed since it was read: plan again. */
export const STALE_WRITE = 'bosun-stale-write';

/** Seconds a write waits for another Bosun writer of the same folder (who holds it for a rename). */
const LOCK_WAIT_SECONDS = 60;

/** What the controller sends: its byte count and sha256 (values, or shell words computing them). */
export interface Payload {
  size: number | RawShell;
  sha256: string | RawShell;
}

/** A file replaced by a write may be absent, a regular file (its sha256), or something else. */
export type Fingerprint = 'absent' | 'other' | string;

/** The payload of bytes sent on standard input. */
export function payloadOf(bytes: Buffer | string): Payload {
  const buffer = Buffer.from(bytes);
  return { size: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex') };
}

export function isStaleWrite(stderr: string): boolean {
  return stderr.split('\n').some((line) => line.startsWith(`${STALE_WRITE}:`));
}

/** `dir/.name.bosun-XXXXXX` beside `path` (mktemp's template), never read as an option. */
export function tempBeside(path: string): string {
  const dir = posix.dirname(path);
  const template = `${dir === '/' ? '' : dir}/.${posix.basename(path)}.bosun-XXXXXX`;
  return template.startsWith('-') ? `./${template}` : template;
}

/**
 * Lines that receive standard input into "$tmp" (made from `template`, else in $TMPDIR) and
 * exit before anything else runs unless it is exactly `payload`. "$tmp" is removed when the
 * script ends, also by a signal, unless a later line disarms the trap (`trap - EXIT`).
 */
export function receiveLines(payload: Payload, template?: string): RawShell[] {
  const { size, sha256 } = payload;
  return [
    raw('umask 077'),
    // The traps come before mktemp: a signal between the two would otherwise leave the file.
    raw("tmp=''"),
    raw(`trap '[ -z "$tmp" ] || rm -f -- "$tmp"' EXIT`),
    raw("trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM"),
    template === undefined ? raw('tmp=$(mktemp)') : sh`tmp=$(mktemp ${template})`,
    raw('cat > "$tmp"'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    raw('got=$(($(wc -c < "$tmp"))); sum=$(sha256sum < "$tmp"); sum=${sum%% *}'),
    sh`[ "$got" = ${size} ] && [ "$sum" = ${sha256} ] || { echo ${INCOMPLETE_INPUT}: received "$got" bytes with sha256 "$sum", sent ${size} with sha256 ${sha256}: discarded >&2; exit 1; }`,
  ];
}

/**
 * Lines run right before `path` is replaced: wait for the folder's lock (flock, released when
 * the script ends), then exit with STALE_WRITE unless `path` is still `expected`.
 */
export function guardLines(path: string, expected: Fingerprint): RawShell[] {
  const dir = posix.dirname(path);
  return [
    // A folder can be locked through a read-only descriptor: no lock file is left anywhere.
    sh`if command -v flock >/dev/null 2>&1 && [ -r ${dir} ]; then exec 9< ${dir}; flock -w ${LOCK_WAIT_SECONDS} 9 || { echo bosun: another writer held ${dir} for ${LOCK_WAIT_SECONDS} s >&2; exit 1; }; fi`,
    sh`if [ -f ${path} ]; then was=$(sha256sum < ${path}); was=\${was%% *}; elif [ -e ${path} ]; then was=other; else was=absent; fi`,
    refuseStale(path, expected),
  ];
}

/**
 * The line that exits with STALE_WRITE unless "$was" (set before: the fingerprint of `what`
 * now, computed as its gather computed it) is `expected`.
 */
export function refuseStale(what: string, expected: Fingerprint): RawShell {
  return sh`[ "$was" = ${expected} ] || { printf '%s: %s changed after it was read: not written\\n' ${STALE_WRITE} ${what} >&2; exit 1; }`;
}

export interface VerifiedWrite {
  path: string;
  payload: Payload;
  /** The file the write was planned from; undefined: replace whatever is there. */
  replaces?: Fingerprint | undefined;
  /** Create the missing folders above path first. */
  parents?: boolean | undefined;
  /** Commands on the verified "$tmp" (attributes, validation), before the lock is taken. */
  prepare?: RawShell[];
  /** Commands under the lock, after the check, before the rename (a backup of the old file). */
  beforeRename?: RawShell[];
}

/** The whole script: receive and verify stdin beside path, prepare it, check, rename. */
export function verifiedWriteScript(write: VerifiedWrite): RawShell {
  const { path } = write;
  const lines: RawShell[] = [raw('set -e')];
  if (write.parents) lines.push(sh`mkdir -p -- ${posix.dirname(path)}`);
  lines.push(...receiveLines(write.payload, tempBeside(path)), ...(write.prepare ?? []));
  if (write.replaces !== undefined) lines.push(...guardLines(path, write.replaces));
  lines.push(...(write.beforeRename ?? []), sh`mv -f -- "$tmp" ${path}`, raw('trap - EXIT'));
  return joinLines(lines);
}

export function joinLines(lines: RawShell[]): RawShell {
  return raw(lines.map((line) => line.text).join('\n'));
}
