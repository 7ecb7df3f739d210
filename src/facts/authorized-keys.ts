/**
 * A user's authorized_keys file, for the authorized_key module: the user's passwd entry (the
 * default path is under the home folder, the owner of what is created is the user), the path
 * the file resolves to, the attributes of the file and its folder, and the file's text.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type PasswdEntry, parsePasswdLine } from './passwd.js';
import { parseReport, single } from './report.js';

export interface KeyPathAttributes {
  isDirectory: boolean;
  isFile: boolean;
  mode: number;
  uid: number;
  gid: number;
}

export interface AuthorizedKeysFacts {
  /** Undefined when the user does not exist. */
  passwd?: PasswdEntry;
  /** The file's path; undefined when it depends on the home of a user that does not exist. */
  path?: string;
  /** The folder holding the file, when it exists. */
  dir?: KeyPathAttributes;
  /** The file, when it exists. */
  file?: KeyPathAttributes;
  /** The file's sha256 and text (a regular file that exists). */
  sha256?: string;
  content?: string;
}

const STAT = '%F|%a|%u|%g';

/** The shell assignment of $f: `path` as given, or relative to the home ($h) for `~/...` and the default. */
function pathAssignment(path: string | undefined): RawShell {
  if (path !== undefined && path !== '~' && !path.startsWith('~/')) return sh`f=${path}`;
  const rest = path === undefined ? '.ssh/authorized_keys' : path.slice(2);
  return sh`[ -n "$h" ] || exit 0; f="$h"/${rest}`;
}

export function authorizedKeysScript(user: string, path: string | undefined): RawShell {
  const lines: RawShell[] = [
    sh`u=${user}`,
    raw('h='),
    raw(
      `if p=$(getent passwd "$u"); then printf 'passwd=%s\\n' "$p"; h=$(printf '%s\\n' "$p" | cut -d: -f6); fi`,
    ),
    pathAssignment(path),
    raw(`printf 'path=%s\\n' "$f"`),
    raw('case "$f" in -*) f="./$f" ;; esac'),
    raw('d=$(dirname -- "$f")'),
    sh`if [ -e "$d" ]; then s=$(stat -L -c ${STAT} -- "$d") || exit 1; echo "dir=$s"; fi`,
    sh`if [ -e "$f" ]; then s=$(stat -L -c ${STAT} -- "$f") || exit 1; echo "file=$s"`,
    // Last: everything after the marker is the file's text.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    raw('  if [ -f "$f" ]; then h=$(sha256sum < "$f") || exit 1; echo "sha256=${h%% *}"'),
    raw('    echo content:; cat -- "$f" || exit 1; fi'),
    raw('fi'),
  ];
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseAuthorizedKeys(result: ExecResult, user: string): AuthorizedKeysFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot read the authorized keys of ${user}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      { exitCode: result.code, stderr: result.stderr },
    );
  }
  const report = parseReport(result.stdout);
  const facts: AuthorizedKeysFacts = {};
  const line = single(report, 'passwd');
  if (line !== undefined) {
    const entry = parsePasswdLine(line);
    if (!entry) throw moduleFailure(`cannot look up user ${user}: unexpected passwd entry "${line}"`);
    if (entry.name === user) facts.passwd = entry;
  }
  const path = single(report, 'path');
  if (path !== undefined) facts.path = path;
  const dir = single(report, 'dir');
  if (dir !== undefined) facts.dir = attributes(dir, user);
  const file = single(report, 'file');
  if (file !== undefined) facts.file = attributes(file, user);
  const sha256 = single(report, 'sha256');
  if (sha256 !== undefined) facts.sha256 = sha256;
  if (report.content !== undefined) facts.content = report.content;
  return facts;
}

function attributes(line: string, user: string): KeyPathAttributes {
  const [type, mode, uid, gid] = line.split('|');
  if (!/^[0-7]+$/.test(mode ?? '') || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) {
    throw moduleFailure(`cannot read the authorized keys of ${user}: unexpected stat output "${line}"`);
  }
  return {
    isDirectory: type === 'directory',
    isFile: type === 'regular file' || type === 'regular empty file',
    mode: Number.parseInt(mode as string, 8),
    uid: Number(uid),
    gid: Number(gid),
  };
}
