/**
 * What `file` needs to make a symbolic or hard link, in one script: what is at the path now
 * (without following a link: a link's target text, a directory's emptiness, a file's identity),
 * and the file `src` names (followed: its attributes are what mode/owner/group act on).
 */
import { posix } from 'node:path';
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { decodeEncodedValue, encoderScript } from './file-bytes.js';
import type { PathAttributes, PathType } from './path-state.js';
import { parseReport, single } from './report.js';

export type LinkCurrent =
  | { type: 'link'; target: string }
  | { type: 'directory'; empty: boolean }
  | { type: 'file' | 'other'; identity: string; nlink: number };

export interface LinkSource extends PathAttributes {
  /** dev:inode of src itself (not followed), to recognise a hard link to it. */
  identity: string;
}

export interface LinkState {
  path: string;
  /** src made absolute against the folder of path, as the link resolves it. */
  srcPath: string;
  parentExists: boolean;
  umask: number;
  uid: number;
  gid: number;
  /** Undefined when nothing is at path. */
  current?: LinkCurrent;
  /** Undefined when src does not exist. */
  src?: LinkSource;
}

/** Where a relative link source leads: relative to the folder holding the link. */
export function resolveLinkSource(path: string, src: string): string {
  return src.startsWith('/') ? src : posix.join(posix.dirname(path), src);
}

const ATTRIBUTES = '%F|%a|%u|%g|%U|%G';

export function linkStateScript(path: string, src: string): RawShell {
  const lines: RawShell[] = [
    encoderScript(),
    sh`p=${path}`,
    sh`s=${resolveLinkSource(path, src)}`,
    sh`[ -d ${posix.dirname(path)} ] || echo parent=0`,
    raw('echo "umask=$(umask)"'),
    raw('echo "id=$(id -u):$(id -g)"'),
    raw('if [ -L "$p" ]; then'),
    raw(`  echo type=link; echo "target=$(readlink -- "$p" | enc | tr -d '\\n')"`),
    raw('elif [ -d "$p" ]; then'),
    raw('  echo type=directory; if [ -z "$(ls -A -- "$p")" ]; then echo empty=1; fi'),
    raw('elif [ -e "$p" ]; then'),
    sh`  c=$(stat -c ${'%F|%d:%i|%h'} -- "$p") || exit 1; echo "current=$c"`,
    raw('fi'),
    raw('if [ -e "$s" ]; then'),
    sh`  a=$(stat -L -c ${ATTRIBUTES} -- "$s") || exit 1; i=$(stat -c ${'%d:%i'} -- "$s") || exit 1`,
    raw('  echo "src=$a|$i"'),
    raw('fi'),
  ];
  return raw(lines.map((line) => line.text).join('\n'));
}

function pathType(text: string): PathType {
  if (text === 'regular file' || text === 'regular empty file') return 'file';
  if (text === 'directory') return 'directory';
  return 'other';
}

export function parseLinkState(result: ExecResult, path: string, src: string): LinkState {
  const fail = (why: string) =>
    moduleFailure(`cannot inspect ${path}: ${why}`, { path, stdout: result.stdout });
  if (result.code !== 0) throw fail(result.stderr.trim() || `exit code ${result.code}`);
  const report = parseReport(result.stdout);
  const umask = single(report, 'umask');
  const ids = single(report, 'id')?.match(/^(\d+):(\d+)$/);
  if (umask === undefined || !/^[0-7]+$/.test(umask) || !ids) throw fail('unexpected output from the host');
  const state: LinkState = {
    path,
    srcPath: resolveLinkSource(path, src),
    parentExists: single(report, 'parent') !== '0',
    umask: Number.parseInt(umask, 8),
    uid: Number(ids[1]),
    gid: Number(ids[2]),
  };
  const type = single(report, 'type');
  if (type === 'link') {
    state.current = { type: 'link', target: decodeEncodedValue(report, 'target') ?? '' };
  } else if (type === 'directory') {
    state.current = { type: 'directory', empty: single(report, 'empty') === '1' };
  } else {
    const current = single(report, 'current');
    if (current !== undefined) {
      const [kind, identity, nlink] = current.split('|');
      if (!/^\d+:\d+$/.test(identity ?? '') || !/^\d+$/.test(nlink ?? ''))
        throw fail(`unexpected stat output "${current}"`);
      state.current = {
        type: pathType(kind ?? '') === 'file' ? 'file' : 'other',
        identity: identity as string,
        nlink: Number(nlink),
      };
    }
  }
  const source = single(report, 'src');
  if (source !== undefined) {
    const f = source.split('|');
    if (
      f.length !== 7 ||
      !/^[0-7]+$/.test(f[1] ?? '') ||
      !/^\d+$/.test(f[2] ?? '') ||
      !/^\d+$/.test(f[3] ?? '')
    ) {
      throw fail(`unexpected stat output "${source}"`);
    }
    state.src = {
      type: pathType(f[0] as string),
      mode: Number.parseInt(f[1] as string, 8),
      uid: Number(f[2]),
      gid: Number(f[3]),
      user: f[4] as string,
      group: f[5] as string,
      identity: f[6] as string,
    };
  }
  return state;
}
