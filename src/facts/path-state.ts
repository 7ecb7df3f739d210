/**
 * The state of one path on the host, gathered by one script: whether it exists, its type,
 * mode, owner and group (following symlinks, as chmod/chown do), a sha256 of a regular file,
 * and, when asked, the content of a small file (for diffs) or a summary of the attributes of
 * everything below a directory (for recursive changes).
 */
import { posix } from 'node:path';
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type FactReport, parseReport, single } from './report.js';

export type PathType = 'file' | 'directory' | 'other';

export interface PathAttributes {
  type: PathType;
  /** Permission bits including setuid/setgid/sticky (e.g. 0o644). */
  mode: number;
  uid: number;
  gid: number;
  /** Names; "UNKNOWN" when the id has no name on the host. */
  user: string;
  group: string;
}

export interface PathStat extends PathAttributes {
  size: number;
}

/** Entries below a directory (itself included) sharing the same attributes. */
export interface TreeEntry extends PathAttributes {
  count: number;
}

export interface PathState {
  /** The path described: `path`, or `path/<into>` when path is a directory and `into` was given. */
  path: string;
  /** The folder that would hold the path exists. */
  parentExists: boolean;
  /** The path itself is a symbolic link (its target is what `stat` describes). */
  isLink: boolean;
  /** umask of the shell the steps will run in. */
  umask: number;
  /** Ids the steps run as (owner of files they create). */
  uid: number;
  gid: number;
  /** Undefined when nothing exists at the path (or the link dangles). */
  stat?: PathStat;
  sha256?: string;
  /** Text content, when asked for, small enough and not binary. */
  content?: string;
  /** The content was read but is not text. */
  binary?: boolean;
  tree?: TreeEntry[];
}

export interface PathStateOptions {
  /** When the path is a directory, describe `path/<into>` instead (copy into a folder). */
  into?: string;
  /** Print the content of regular files up to this many bytes. */
  contentLimit?: number;
  /** Summarise the attributes of everything below a directory. */
  tree?: boolean;
}

const STAT_FORMAT = '%F|%a|%u|%g|%U|%G';

/** `dir/name` without normalising the path the user gave. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

export function pathStateScript(path: string, options: PathStateOptions = {}): RawShell {
  const parent = posix.dirname(path);
  const lines: RawShell[] = [sh`p=${path}`];
  if (options.into !== undefined) {
    lines.push(
      sh`if [ -d "$p" ]; then echo into=1; p=${joinPath(path, options.into)}; elif [ ! -d ${parent} ]; then echo parent=0; fi`,
    );
  } else {
    lines.push(sh`[ -d ${parent} ] || echo parent=0`);
  }
  // find has no `--`: a relative path starting with "-" would be read as an option.
  lines.push(raw('case "$p" in -*) p="./$p" ;; esac'));
  lines.push(raw('echo "umask=$(umask)"'), raw('echo "id=$(id -u):$(id -g)"'));
  lines.push(raw('if [ -L "$p" ]; then echo link=1; fi'));
  lines.push(raw('if [ -e "$p" ]; then'));
  lines.push(sh`  s=$(stat -L -c ${`${STAT_FORMAT}|%s`} -- "$p") || exit 1`);
  lines.push(raw('  echo "stat=$s"'));
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  lines.push(raw('  if [ -f "$p" ]; then h=$(sha256sum < "$p") || exit 1; echo "sha256=${h%% *}"; fi'));
  if (options.tree) {
    lines.push(
      sh`  if [ -d "$p" ]; then find "$p" ! -type l -exec stat -c ${STAT_FORMAT} {} + | sort | uniq -c | while read -r n a; do echo "tree=$n|$a"; done; fi`,
    );
  }
  if (options.contentLimit !== undefined) {
    // Last: everything after the marker is the file's bytes.
    lines.push(
      sh`  if [ -f "$p" ] && [ "\${s##*|}" -le ${options.contentLimit} ]; then echo content:; cat -- "$p" || exit 1; fi`,
    );
  }
  lines.push(raw('fi'));
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parsePathState(result: ExecResult, path: string, options: PathStateOptions = {}): PathState {
  if (result.code !== 0) {
    throw moduleFailure(`cannot inspect ${path}: ${result.stderr.trim() || `exit code ${result.code}`}`, {
      path,
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  const report = parseReport(result.stdout);
  const into = single(report, 'into') === '1' && options.into !== undefined;
  const umask = single(report, 'umask');
  const ids = single(report, 'id')?.match(/^(\d+):(\d+)$/);
  if (umask === undefined || !/^[0-7]+$/.test(umask) || !ids) {
    throw moduleFailure(`cannot inspect ${path}: unexpected output from the host`, { stdout: result.stdout });
  }
  const state: PathState = {
    path: into ? joinPath(path, options.into as string) : path,
    parentExists: single(report, 'parent') !== '0',
    isLink: single(report, 'link') === '1',
    umask: Number.parseInt(umask, 8),
    uid: Number(ids[1]),
    gid: Number(ids[2]),
  };
  const statLine = single(report, 'stat');
  if (statLine !== undefined) {
    const fields = statLine.split('|');
    const attributes = parseAttributes(fields.slice(0, 6), path);
    state.stat = { ...attributes, size: Number(fields[6]) };
  }
  const sha = single(report, 'sha256');
  if (sha !== undefined) state.sha256 = sha;
  if (options.tree && state.stat?.type === 'directory') state.tree = parseTree(report, path);
  if (report.content !== undefined) {
    if (isText(report.content)) state.content = report.content;
    else state.binary = true;
  }
  return state;
}

function parseTree(report: FactReport, path: string): TreeEntry[] {
  return (report.values.get('tree') ?? []).map((line) => {
    const fields = line.split('|');
    return { count: Number(fields[0]), ...parseAttributes(fields.slice(1), path) };
  });
}

function parseAttributes(fields: string[], path: string): PathAttributes {
  const [type, mode, uid, gid, user, group] = fields;
  if (
    fields.length < 6 ||
    !/^[0-7]+$/.test(mode ?? '') ||
    !/^\d+$/.test(uid ?? '') ||
    !/^\d+$/.test(gid ?? '')
  ) {
    throw moduleFailure(`cannot inspect ${path}: unexpected stat output "${fields.join('|')}"`);
  }
  return {
    type: statType(type ?? ''),
    mode: Number.parseInt(mode as string, 8),
    uid: Number(uid),
    gid: Number(gid),
    user: user as string,
    group: group as string,
  };
}

function statType(text: string): PathType {
  if (text === 'regular file' || text === 'regular empty file') return 'file';
  if (text === 'directory') return 'directory';
  return 'other';
}

/** Text a diff can show: valid UTF-8 (the transport decodes it) without NUL bytes. */
function isText(content: string): boolean {
  return !content.includes('\u0000') && !content.includes('\uFFFD');
}
