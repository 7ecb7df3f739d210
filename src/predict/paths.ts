/**
 * Overlays of the path facts (path-state, file-content, link-state, file-stat, path-exists):
 * what a path is after the changes planned so far in a check run. A path the run has not
 * touched keeps the host's facts; a file the run writes has the bytes it writes; a folder a
 * package would create exists; a path a maintainer script may write is not known.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FileContent } from '../facts/file-content.js';
import type { FileStat, FileStatFields, FileStatOptions } from '../facts/file-stat.js';
import { type LinkState, resolveLinkSource } from '../facts/link-state.js';
import {
  joinPath,
  type PathStat,
  type PathState,
  type PathStateOptions,
  type TreeEntry,
} from '../facts/path-state.js';
import { isText } from '../modules/file-write.js';
import type { FileAttributes, PathAfter } from './effects.js';
import { type Overlay, ownerIds, type PathNeeds } from './overlay.js';
import type { PathView, PredictedState } from './state.js';

/** One path as the facts describe it. */
/** What path-state and file-content facts share, for `path` as a predicted outcome leaves it. */
function predictedFile(
  path: string,
  parentExists: boolean,
  outcome: PathFacts,
  runner: { umask: number; uid: number; gid: number },
): Pick<PathState, 'path' | 'parentExists' | 'isLink' | 'umask' | 'uid' | 'gid' | 'stat' | 'sha256'> {
  const out: ReturnType<typeof predictedFile> = {
    path,
    parentExists,
    isLink: outcome.isLink,
    umask: runner.umask,
    uid: runner.uid,
    gid: runner.gid,
  };
  if (outcome.stat) out.stat = outcome.stat;
  if (outcome.sha256 !== undefined) out.sha256 = outcome.sha256;
  return out;
}

export interface PathFacts {
  isLink: boolean;
  /** Followed through a link; undefined when nothing is there. */
  stat?: PathStat;
  sha256?: string;
  bytes?: Buffer;
  /** Where a symbolic link at the path leads (absolute), when known. */
  realPath?: string;
}

export type PathOutcome = PathFacts | 'unknown';

const UNKNOWN_ID = -1;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A view with an ifMissing prediction resolved against what the host has. */
function effective(view: PathView, hostHas: boolean): PathView {
  if (view.from === 'prediction' && view.ifMissing && hostHas) {
    const out: PathView = { from: 'host' };
    if (view.patch) out.patch = view.patch;
    return out;
  }
  return view;
}

function patched(stat: PathStat, state: PredictedState, set: FileAttributes): PathStat {
  const out = { ...stat };
  if (set.mode !== undefined) out.mode = set.mode;
  if (set.owner !== undefined) {
    const owner = ownerIds(state, set.owner, 'user');
    out.uid = owner.id;
    out.user = owner.name;
  }
  if (set.group !== undefined) {
    const group = ownerIds(state, set.group, 'group');
    out.gid = group.id;
    out.group = group.name;
  }
  return out;
}

/**
 * The facts of `path` after the predicted changes, given what the host said of it (`host`, or
 * undefined when the host's facts are of another path and so it had nothing there).
 */
export function predictPath(
  overlay: Overlay,
  path: string,
  host: PathFacts | undefined,
  needs: PathNeeds = {},
  depth = 0,
): PathOutcome {
  const { state } = overlay;
  const hostFacts: PathFacts = host ?? { isLink: false };
  const view = effective(state.path(path), hostFacts.stat !== undefined || hostFacts.isLink);
  if (view.patch?.unknownMode && (needs.attributes ?? true)) {
    overlay.unknown(view.patch, `the mode of ${path} is not known before the run`);
    return 'unknown';
  }
  if (view.from === 'host') {
    if (!hostFacts.stat && !hostFacts.isLink && view.opaque) {
      overlay.unknown(view.opaque, `${path} may be created by it`);
      return 'unknown';
    }
    if (!view.patch || !hostFacts.stat) return hostFacts;
    return { ...hostFacts, stat: patched(hostFacts.stat, state, view.patch.set) };
  }
  const after = view.after;
  const out = fromPrediction(overlay, path, after, view, hostFacts, needs, depth);
  if (out === 'unknown' || !view.patch || !out.stat) return out;
  return { ...out, stat: patched(out.stat, state, view.patch.set) };
}

function fromPrediction(
  overlay: Overlay,
  path: string,
  after: PathAfter,
  view: Extract<PathView, { from: 'prediction' }>,
  host: PathFacts,
  needs: PathNeeds,
  depth: number,
): PathOutcome {
  const { state } = overlay;
  switch (after.type) {
    case 'absent':
      return { isLink: false };
    case 'unknown':
      overlay.unknown(view.source, `it may change ${path}`);
      return 'unknown';
    case 'link': {
      const target = posix.normalize(resolveLinkSource(path, after.target));
      if (depth > 20) {
        overlay.cannotKnow(`too many symbolic links at ${path}`);
        return 'unknown';
      }
      // What the link leads to: predicted, or on the host (not gathered here).
      const targetView = state.path(target);
      if (targetView.from === 'host') {
        overlay.unknown(
          view.source,
          `${path} becomes a link to ${after.target}, which this task's facts do not describe`,
        );
        return 'unknown';
      }
      const followed = predictPath(overlay, target, undefined, needs, depth + 1);
      if (followed === 'unknown') return followed;
      return { ...followed, isLink: true, realPath: target };
    }
    case 'directory':
    case 'file': {
      if ((needs.attributes ?? true) && !hasAttributes(after)) {
        overlay.unknown(view.source, `the mode or owner of ${path} is not known before the run`);
        return 'unknown';
      }
      const owner = ownerIds(state, after.owner, 'user');
      const group = ownerIds(state, after.group, 'group');
      const stat: PathStat = {
        type: after.type,
        mode: after.mode ?? 0,
        uid: owner.id,
        gid: group.id,
        user: owner.name,
        group: group.name,
        size: after.type === 'file' ? (after.bytes?.length ?? after.size ?? 0) : (host.stat?.size ?? 4096),
      };
      const out: PathFacts = { isLink: false, stat };
      if (after.type === 'file') {
        if (after.bytes) {
          out.bytes = after.bytes;
          out.sha256 = sha256(after.bytes);
        } else if (needs.content ?? true) {
          overlay.unknown(view.source, `the content of ${path} is not known before the run`);
          return 'unknown';
        }
      }
      return out;
    }
  }
}

function hasAttributes(after: { mode?: number; owner?: string; group?: string }): boolean {
  return after.mode !== undefined && after.owner !== undefined && after.group !== undefined;
}

/** Whether the folder `dir` exists after the predicted changes (undefined: not known). */
export function predictFolder(overlay: Overlay, dir: string, hostHas: boolean): boolean | undefined {
  const outcome = predictPath(overlay, dir, hostHas ? { isLink: false, stat: FOLDER } : undefined, {
    attributes: false,
    content: false,
  });
  if (outcome === 'unknown') return undefined;
  return outcome.stat?.type === 'directory';
}

const FOLDER: PathStat = {
  type: 'directory',
  mode: 0o755,
  uid: 0,
  gid: 0,
  user: 'root',
  group: 'root',
  size: 4096,
};

/** The query a path-state gather was made with. */
export interface PathStateQuery extends PathStateOptions {
  /** The path the task names (before `into`). */
  path: string;
  needs?: PathNeeds;
}

/** path-state facts after the predicted changes. */
export function overlayPathState(facts: PathState, query: PathStateQuery, overlay: Overlay): PathState {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const needs = query.needs ?? {};
  let target = facts.path;
  let host: PathFacts | undefined = stateFacts(facts);
  let parentOnHost = facts.parentExists;
  if (query.into !== undefined) {
    // copy into a folder: where the file goes depends on whether dest is a folder then.
    const hostDestIsDir = facts.path !== query.path;
    const destIsDir = predictFolder(overlay, query.path, hostDestIsDir);
    if (destIsDir === undefined) return facts;
    target = destIsDir ? joinPath(query.path, query.into) : query.path;
    if (destIsDir && !hostDestIsDir) {
      // dest becomes a folder: nothing is in it on the host.
      host = { isLink: false };
      parentOnHost = false;
    } else if (!destIsDir && hostDestIsDir) {
      // dest was a folder on the host and the run replaces it.
      host = { isLink: false, stat: FOLDER };
      parentOnHost = true;
    }
  }
  const parent = predictFolder(overlay, posix.dirname(target), parentOnHost);
  const outcome = predictPath(overlay, target, host, needs);
  if (outcome === 'unknown' || parent === undefined) return facts;
  const out: PathState = predictedFile(target, parent, outcome, facts);
  if (outcome === host) {
    if (facts.content !== undefined) out.content = facts.content;
    if (facts.binary) out.binary = true;
    if (facts.tree) out.tree = facts.tree;
  } else if (
    outcome.bytes &&
    query.contentLimit !== undefined &&
    outcome.bytes.length <= query.contentLimit
  ) {
    if (isText(outcome.bytes)) out.content = outcome.bytes.toString('utf8');
    else out.binary = true;
  } else if (host?.stat && outcome.stat && outcome.bytes === undefined && facts.content !== undefined) {
    // Only the attributes changed: the content is the host's.
    out.content = facts.content;
  }
  if (query.tree && outcome.stat?.type === 'directory') {
    const tree = predictTree(overlay, target, outcome.stat, host?.stat !== undefined, facts);
    if (tree === 'unknown') return facts;
    if (tree) out.tree = tree;
  }
  return out;
}

/**
 * The attribute summary of a folder and everything in it (recursive changes): the host's when
 * the run touches nothing in it, made from the predictions when the run creates the folder.
 */
function predictTree(
  overlay: Overlay,
  dir: string,
  stat: PathStat,
  onHost: boolean,
  facts: PathState,
): TreeEntry[] | undefined | 'unknown' {
  const { state } = overlay;
  const inside = state.pathsUnder(dir).filter((entry) => entry.path !== state.canonical(dir));
  const view = state.path(dir);
  if (onHost) {
    const touched = inside[0]?.source ?? (view.from === 'host' ? view.patch : view.source);
    if (touched) {
      overlay.unknown(touched, `what is inside ${dir} is not known before the run`);
      return 'unknown';
    }
    return facts.tree;
  }
  const entries: PathStat[] = [stat];
  for (const entry of inside) {
    if (entry.after.type === 'absent') continue;
    const outcome = predictPath(overlay, entry.path, undefined, { content: false });
    if (outcome === 'unknown') return 'unknown';
    if (outcome.stat && !outcome.isLink) entries.push(outcome.stat);
  }
  const byKey = new Map<string, TreeEntry>();
  for (const { size: _size, ...attributes } of entries) {
    const key = JSON.stringify(attributes);
    const current = byKey.get(key);
    if (current) current.count += 1;
    else byKey.set(key, { ...attributes, count: 1 });
  }
  return [...byKey.values()];
}

function stateFacts(facts: PathState): PathFacts {
  const out: PathFacts = { isLink: facts.isLink };
  if (facts.stat) out.stat = facts.stat;
  if (facts.sha256 !== undefined) out.sha256 = facts.sha256;
  if (facts.content !== undefined) out.bytes = Buffer.from(facts.content, 'utf8');
  return out;
}

/** file-content facts (lineinfile, blockinfile, replace) after the predicted changes. */
export function overlayFileContent(facts: FileContent, overlay: Overlay, needs: PathNeeds = {}): FileContent {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const host: PathFacts = { isLink: facts.isLink };
  if (facts.stat) host.stat = facts.stat;
  if (facts.sha256 !== undefined) host.sha256 = facts.sha256;
  if (facts.bytes) host.bytes = facts.bytes;
  if (facts.realPath !== undefined) host.realPath = facts.realPath;
  const parent = predictFolder(overlay, posix.dirname(facts.path), facts.parentExists);
  const outcome = predictPath(overlay, facts.path, host, needs);
  if (outcome === 'unknown' || parent === undefined) return facts;
  if (outcome === host) return { ...facts, parentExists: parent };
  const out: FileContent = predictedFile(facts.path, parent, outcome, facts);
  if (outcome.bytes) out.bytes = outcome.bytes;
  else if (facts.bytes && outcome.stat) out.bytes = facts.bytes;
  if (outcome.realPath !== undefined) out.realPath = outcome.realPath;
  return out;
}

/** link-state facts (file state: link or hard) after the predicted changes. */
export function overlayLinkState(facts: LinkState, overlay: Overlay): LinkState {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const parent = predictFolder(overlay, posix.dirname(facts.path), facts.parentExists);
  if (parent === undefined) return facts;
  const out: LinkState = { ...facts, parentExists: parent };
  const view = effective(state.path(facts.path), facts.current !== undefined);
  if (view.from === 'prediction') {
    const after = view.after;
    delete out.current;
    if (after.type === 'unknown') {
      overlay.unknown(view.source, `it may change ${facts.path}`);
      return facts;
    }
    if (after.type === 'link') out.current = { type: 'link', target: after.target };
    else if (after.type === 'directory') {
      const inside = state.pathsUnder(facts.path).filter((entry) => entry.after.type !== 'absent');
      out.current = { type: 'directory', empty: inside.length <= 1 };
    } else if (after.type === 'file') {
      out.current = { type: 'file', identity: `predicted:${facts.path}`, nlink: 1 };
    }
  } else if (!facts.current && view.opaque) {
    overlay.unknown(view.opaque, `${facts.path} may be created by it`);
    return facts;
  }
  const srcHost: PathFacts | undefined = facts.src
    ? { isLink: false, stat: { ...facts.src, size: 0 } }
    : undefined;
  const src = predictPath(overlay, facts.srcPath, srcHost, { content: false });
  if (src === 'unknown') return facts;
  if (src === srcHost) return out;
  delete out.src;
  if (src.stat) {
    const { size: _size, ...attributes } = src.stat;
    out.src = { ...attributes, identity: `predicted:${facts.srcPath}` };
  }
  return out;
}

/** file-stat facts (the stat module) after the predicted changes. */
export function overlayFileStat(
  facts: FileStat,
  path: string,
  options: FileStatOptions,
  overlay: Overlay,
): FileStat {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const view = state.path(path);
  if (view.from === 'host' && !view.patch && !(view.opaque && !facts.exists)) return facts;
  const host: PathFacts | undefined = facts.exists && facts.fields ? statFacts(facts.fields) : undefined;
  const outcome = predictPath(overlay, path, host, { content: options.checksum !== undefined });
  if (outcome === 'unknown') return facts;
  if (outcome === host) return facts;
  if (outcome.isLink && !options.follow) {
    // The link itself: what it names is known, its own fields are a link's.
    const target = view.from === 'prediction' && view.after.type === 'link' ? view.after.target : undefined;
    const out: FileStat = { exists: true, fields: syntheticFields(0o120777, 0, 0, 'root', 'root', 0) };
    if (target !== undefined) out.lnkTarget = target;
    if (outcome.realPath !== undefined) out.lnkSource = outcome.realPath;
    out.readable = true;
    out.writeable = true;
    out.executable = true;
    return out;
  }
  if (!outcome.stat) return { exists: false };
  const stat = outcome.stat;
  const type = stat.type === 'directory' ? 0o040000 : 0o100000;
  const out: FileStat = {
    exists: true,
    fields: syntheticFields(type | stat.mode, stat.uid, stat.gid, stat.user, stat.group, stat.size),
    // Tasks run as root in practice; access bits follow the mode for everyone else.
    readable: true,
    writeable: true,
    executable: stat.type === 'directory' || (stat.mode & 0o111) !== 0,
  };
  if (options.checksum !== undefined && stat.type === 'file' && outcome.bytes) {
    out.checksum = createHash(options.checksum).update(outcome.bytes).digest('hex');
  }
  return out;
}

function statFacts(fields: FileStatFields): PathFacts {
  const kind = fields.rawMode & 0o170000;
  const type = kind === 0o040000 ? 'directory' : kind === 0o100000 ? 'file' : 'other';
  return {
    isLink: kind === 0o120000,
    stat: {
      type,
      mode: fields.rawMode & 0o7777,
      uid: fields.uid,
      gid: fields.gid,
      user: fields.user,
      group: fields.group,
      size: fields.size,
    },
  };
}

function syntheticFields(
  rawMode: number,
  uid: number,
  gid: number,
  user: string,
  group: string,
  size: number,
): FileStatFields {
  return {
    rawMode,
    uid: uid === UNKNOWN_ID ? 0 : uid,
    gid: gid === UNKNOWN_ID ? 0 : gid,
    user,
    group,
    size,
    inode: 0,
    dev: 0,
    nlink: 1,
    atime: 0,
    mtime: 0,
    ctime: 0,
    blocks: Math.ceil(size / 512),
    blockSize: 4096,
    major: 0,
    minor: 0,
  };
}

/** A creates/removes pattern: whether it matches something after the predicted changes. */
export function overlayExists(
  exists: boolean,
  pattern: string,
  chdir: string | undefined,
  overlay: Overlay,
): boolean {
  const { state } = overlay;
  if (state.isEmpty()) return exists;
  if (pattern.startsWith('~')) return exists;
  const path = pattern.startsWith('/')
    ? pattern
    : chdir !== undefined
      ? posix.join(chdir, pattern)
      : undefined;
  if (path === undefined) return exists;
  if (/[*?[]/.test(path)) {
    // A glob: only known when no prediction concerns its folder.
    const fixed = path.slice(0, path.search(/[*?[]/));
    const dir = fixed.endsWith('/') ? fixed : posix.dirname(fixed);
    const touched = state.touches(dir === '' ? '/' : dir);
    if (touched) overlay.unknown(touched, `it may change what ${pattern} matches`);
    return exists;
  }
  const host: PathFacts = exists ? { isLink: false, stat: { ...FOLDER, type: 'other' } } : { isLink: false };
  const outcome = predictPath(overlay, path, host, { attributes: false, content: false });
  if (outcome === 'unknown') return exists;
  return outcome.stat !== undefined || outcome.isLink;
}
