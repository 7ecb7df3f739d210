/**
 * A host as a check run expects it to be: the effects of the changes planned so far
 * (effects.ts), kept per path, package, account, unit and crontab, with the task each comes
 * from. Facts gathered from the host are read through it (the overlays of this folder), so a
 * task plans against what the earlier tasks would have made. Pure data: nothing here talks
 * to a host.
 */
import { posix } from 'node:path';
import type {
  Effect,
  FileAttributes,
  GroupAfter,
  OpaqueScope,
  PackageStatus,
  PathAfter,
  TaskRef,
  UnitAfter,
  UnknownReason,
  UserAfter,
} from './effects.js';

/** Where a prediction comes from, and why a part of it is not known. */
export interface Source {
  by: TaskRef;
  why?: string;
}

interface PathRecord extends Source {
  after: PathAfter;
  ifMissing?: boolean;
}

interface PatchRecord extends Source {
  set: FileAttributes;
  recursive?: boolean;
  unknownMode?: boolean;
}

/** What is known of one path: the host's own facts stand, or a prediction replaces them. */
export type PathView =
  | {
      from: 'host';
      /** Attributes a change sets on whatever is there. */
      patch?: PatchRecord;
      /** A change that may have made the path exist if the host has nothing there. */
      opaque?: Source;
    }
  | {
      from: 'prediction';
      after: PathAfter;
      source: Source;
      /** The prediction holds only if the host has nothing at the path. */
      ifMissing?: boolean;
      patch?: PatchRecord;
    };

export interface PackageRecord extends Source {
  status: PackageStatus;
  version?: string;
  arch?: string;
  provides: string[];
}

export interface UserRecord extends Source {
  /** null: removed. */
  after: UserAfter | null;
  /** Made by the run: fields left out are not known (otherwise: unchanged from the host). */
  created: boolean;
}

export interface GroupRecord extends Source {
  after: GroupAfter | null;
  created: boolean;
}

export interface UnitRecord extends Source {
  after: UnitAfter;
}

export interface CrontabRecord extends Source {
  content: string | null;
}

const MAX_LINKS = 20;

/** `path` without trailing slashes, `.` and `..` resolved (as the kernel would for folders that exist). */
export function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Folders above `path`, outermost first, "/" left out. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let current = posix.dirname(path);
  while (current !== '/' && current !== '.' && current !== '') {
    out.unshift(current);
    const parent = posix.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return out;
}

function isUnder(path: string, dir: string): boolean {
  return path !== dir && path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** A unit's full name: "cron" is "cron.service". */
export function unitName(name: string): string {
  return /\.[a-z]+$/.test(name) ? name : `${name}.service`;
}

export class PredictedState {
  private readonly paths = new Map<string, PathRecord>();
  private readonly patches = new Map<string, PatchRecord>();
  /** Top-level folders the host reaches through a symbolic link (/lib -> /usr/lib). */
  private readonly aliases = new Map<string, string>();
  private readonly packages = new Map<string, PackageRecord>();
  private lists: Source | undefined;
  private readonly users = new Map<string, UserRecord>();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly unknownAccounts = new Map<string, Source>();
  private readonly units = new Map<string, UnitRecord>();
  private readonly crontabs = new Map<string, CrontabRecord>();
  /** Users whose crontab a change of unknown outcome may have changed. */
  private readonly unknownCrontabs = new Set<string>();
  private readonly opaque = new Map<OpaqueScope, Source>();
  /** Folders whose files a change may have written under names not known. */
  private readonly contents = new Map<string, Source>();
  /** Packages whose files are known (`name=version:arch`). */
  private readonly described = new Set<string>();
  private count = 0;

  /** Nothing has been predicted yet: the host's facts are the whole truth. */
  isEmpty(): boolean {
    return this.count === 0;
  }

  /** Record what a task's plan would do. */
  apply(effects: readonly Effect[], by: TaskRef): void {
    for (const effect of effects) this.applyOne(effect, by);
  }

  /**
   * Record a task whose outcome is not known: whatever its plan touches is not known either
   * (the plan was made from facts that may be wrong).
   */
  taint(effects: readonly Effect[], by: TaskRef, why: string): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'path': {
          // What holds only where the host has nothing stays so: the host's folders are still there.
          const unknown: Effect = { kind: 'path', path: effect.path, after: { type: 'unknown' }, why };
          if (effect.ifMissing) unknown.ifMissing = true;
          this.applyOne(unknown, by);
          break;
        }
        case 'attributes':
          this.applyOne({ kind: 'attributes', path: effect.path, set: {}, unknownMode: true, why }, by);
          break;
        case 'package':
        case 'package-lists':
          this.applyOne({ kind: 'opaque', scope: 'packages', why }, by);
          break;
        case 'user':
        case 'group':
          this.applyOne({ kind: 'accounts', names: [effect.name], why }, by);
          break;
        case 'unit':
          this.applyOne(
            { kind: 'unit', name: effect.name, after: { unitFileState: null, active: null }, why },
            by,
          );
          break;
        case 'crontab':
          this.crontabs.set(effect.user, { by, why, content: null });
          this.unknownCrontabs.add(effect.user);
          this.count += 1;
          break;
        case 'accounts':
        case 'opaque':
        case 'alias':
        case 'contents':
          this.applyOne({ ...effect, why }, by);
          break;
      }
    }
  }

  private applyOne(effect: Effect, by: TaskRef): void {
    this.count += 1;
    const source: Source = effect.why === undefined ? { by } : { by, why: effect.why };
    switch (effect.kind) {
      case 'path':
        this.setPath(this.canonical(effect.path), effect.after, source, effect.ifMissing === true);
        return;
      case 'attributes': {
        const path = this.canonical(effect.path);
        const set = definedAttributes(effect.set);
        const targets = effect.recursive
          ? [...this.paths.keys()].filter((key) => key === path || isUnder(key, path))
          : [path];
        for (const key of targets) {
          const record = this.paths.get(key);
          if (record && (record.after.type === 'file' || record.after.type === 'directory')) {
            record.after = { ...record.after, ...set };
            if (effect.unknownMode) {
              delete record.after.mode;
              if (set.owner === undefined) delete record.after.owner;
              if (set.group === undefined) delete record.after.group;
            }
          }
        }
        const record = this.paths.get(path);
        if (!effect.recursive && record && record.after.type !== 'unknown') return;
        const patch = this.patches.get(path);
        const next: PatchRecord = { ...source, set: { ...patch?.set, ...set } };
        if (effect.recursive) next.recursive = true;
        if (effect.unknownMode) {
          next.unknownMode = true;
          delete next.set.mode;
        }
        this.patches.set(path, next);
        return;
      }
      case 'alias':
        this.aliases.set(normalizePath(effect.path), normalizePath(effect.target));
        return;
      case 'contents': {
        const dir = this.canonical(effect.path);
        for (const key of [...this.paths.keys()]) if (posix.dirname(key) === dir) this.paths.delete(key);
        this.contents.set(dir, source);
        return;
      }
      case 'package': {
        const current = this.packages.get(packageKey(effect.name, effect.arch));
        const provides = effect.provides ?? (current?.status === 'installed' ? current.provides : []);
        const record: PackageRecord = { ...source, status: effect.status, provides };
        if (effect.version !== undefined) record.version = effect.version;
        if (effect.arch !== undefined) record.arch = effect.arch;
        this.packages.set(packageKey(effect.name, effect.arch), record);
        if (effect.described && effect.version !== undefined) {
          this.described.add(`${effect.name}=${effect.version}:${effect.arch ?? ''}`);
        }
        return;
      }
      case 'package-lists':
        this.lists = source;
        return;
      case 'user': {
        this.unknownAccounts.delete(effect.name);
        const current = this.users.get(effect.name);
        if (effect.after === null || effect.created || !current || current.after === null) {
          this.users.set(effect.name, {
            ...source,
            after: effect.after === null ? null : { ...effect.after },
            created: effect.created === true || (current?.created === true && effect.after !== null),
          });
          return;
        }
        this.users.set(effect.name, {
          ...source,
          after: mergeUser(current.after, effect.after),
          created: current.created,
        });
        return;
      }
      case 'group': {
        this.unknownAccounts.delete(effect.name);
        const current = this.groups.get(effect.name);
        const after = effect.after === null ? null : { ...(current?.after ?? {}), ...effect.after };
        this.groups.set(effect.name, {
          ...source,
          after,
          created: effect.created === true || (current?.created === true && after !== null),
        });
        return;
      }
      case 'accounts':
        for (const name of effect.names) this.unknownAccounts.set(name, source);
        return;
      case 'unit': {
        const name = unitName(effect.name);
        const current = this.units.get(name);
        const after: UnitAfter = { ...current?.after };
        if (effect.after.unitFileState !== undefined) after.unitFileState = effect.after.unitFileState;
        if (effect.after.active !== undefined) after.active = effect.after.active;
        this.units.set(name, { ...source, after });
        return;
      }
      case 'crontab':
        this.unknownCrontabs.delete(effect.user);
        this.crontabs.set(effect.user, { ...source, content: effect.content });
        return;
      case 'opaque':
        this.opaque.set(effect.scope, source);
        return;
    }
  }

  private setPath(path: string, after: PathAfter, source: Source, ifMissing: boolean): void {
    if (ifMissing) {
      // A package's folder or configuration file: an earlier prediction of the path wins.
      const view = this.path(path);
      if (view.from === 'prediction' && view.after.type !== 'absent') return;
    }
    if (after.type === 'absent' || after.type === 'unknown') {
      for (const key of [...this.paths.keys()]) if (isUnder(key, path)) this.paths.delete(key);
      for (const key of [...this.patches.keys()]) if (isUnder(key, path)) this.patches.delete(key);
    }
    if (after.type !== 'unknown') {
      // Something made at path means the folders above it are folders.
      for (const dir of ancestorsOf(path)) {
        const record = this.paths.get(dir);
        if (record && record.after.type !== 'directory' && record.after.type !== 'link') {
          this.paths.set(dir, { ...source, after: { type: 'directory' } });
        }
      }
    }
    this.patches.delete(path);
    const record: PathRecord = { ...source, after };
    if (ifMissing) record.ifMissing = true;
    this.paths.set(path, record);
  }

  /** The path as the host names it after its top-level links (/lib/x is /usr/lib/x on merged-/usr hosts). */
  canonical(path: string): string {
    const normal = normalizePath(path);
    for (const [alias, target] of this.aliases) {
      if (normal === alias) return target;
      if (normal.startsWith(`${alias}/`)) return `${target}${normal.slice(alias.length)}`;
    }
    return normal;
  }

  /** What is known of `path` (symbolic links predicted on the way are followed). */
  path(path: string): PathView {
    let current = this.canonical(path);
    for (let hops = 0; hops <= MAX_LINKS; hops++) {
      let followed = false;
      for (const dir of ancestorsOf(current)) {
        const record = this.paths.get(dir);
        // A prediction that holds only where the host has nothing says nothing of what is below.
        if (!record || (record.ifMissing && record.after.type !== 'link')) continue;
        const type = record.after.type;
        if (type === 'absent' || type === 'file') {
          return { from: 'prediction', after: { type: 'absent' }, source: record };
        }
        if (type === 'unknown') return { from: 'prediction', after: { type: 'unknown' }, source: record };
        if (record.after.type === 'link') {
          const target = record.after.target;
          const resolved = target.startsWith('/') ? target : posix.join(posix.dirname(dir), target);
          current = this.canonical(posix.join(resolved, current.slice(dir.length)));
          followed = true;
          break;
        }
      }
      if (followed) continue;
      const record = this.paths.get(current);
      const patch = this.patchOf(current);
      const written = this.contents.get(posix.dirname(current));
      if (!record && written) return { from: 'prediction', after: { type: 'unknown' }, source: written };
      if (!record) {
        const view: PathView = { from: 'host' };
        if (patch) view.patch = patch;
        const opaque = this.opaque.get('missing-paths');
        if (opaque) view.opaque = opaque;
        return view;
      }
      const view: PathView = { from: 'prediction', after: record.after, source: record };
      if (record.ifMissing) view.ifMissing = true;
      if (patch) view.patch = patch;
      return view;
    }
    return {
      from: 'prediction',
      after: { type: 'unknown' },
      source: { by: { task: '', id: '' }, why: `too many symbolic links under ${path}` },
    };
  }

  /** The attribute changes for a path: its own, and those of recursive changes above it. */
  private patchOf(path: string): PatchRecord | undefined {
    let out: PatchRecord | undefined;
    for (const dir of ancestorsOf(path)) {
      const patch = this.patches.get(dir);
      if (patch?.recursive) out = merged(out, patch);
    }
    const own = this.patches.get(path);
    return own ? merged(out, own) : out;
  }

  /** Predicted entries at or below `dir` (for summaries of a folder's content). */
  pathsUnder(dir: string): { path: string; after: PathAfter; source: Source }[] {
    const base = this.canonical(dir);
    const out: { path: string; after: PathAfter; source: Source }[] = [];
    for (const [path, record] of this.paths) {
      if (path === base || isUnder(path, base)) out.push({ path, after: record.after, source: record });
    }
    return out;
  }

  /** Whether any prediction concerns `path`, a folder above it or anything below it. */
  touches(path: string): Source | undefined {
    const base = this.canonical(path);
    for (const [dir, source] of this.contents)
      if (dir === base || isUnder(dir, base) || isUnder(base, dir)) return source;
    for (const [key, record] of this.paths) {
      if (key === base || isUnder(key, base) || isUnder(base, key)) return record;
    }
    for (const [key, patch] of this.patches) if (key === base || isUnder(key, base)) return patch;
    return undefined;
  }

  /**
   * Whether a prediction may change what is at `path` or below it: a change at or below it, a
   * replacement of a folder above it (a folder made where none was changes nothing below), new
   * files in its own folder or below, or a recursive attribute change above it. Unlike
   * `touches`, a package shipping /etc does not change /etc/login.defs.
   */
  changesWithin(path: string): Source | undefined {
    const base = this.canonical(path);
    const parent = posix.dirname(base);
    for (const [dir, source] of this.contents)
      if (dir === base || dir === parent || isUnder(dir, base)) return source;
    for (const [key, record] of this.paths) {
      if (key === base || isUnder(key, base)) return record;
      if (isUnder(base, key) && record.after.type !== 'directory') return record;
    }
    for (const [key, patch] of this.patches) {
      if (key === base || isUnder(key, base) || (patch.recursive && isUnder(base, key))) return patch;
    }
    return undefined;
  }

  /** A package's predicted state: its own architecture, then "all", then any. */
  package(name: string, arch?: string): PackageRecord | undefined {
    return (
      this.packages.get(packageKey(name, arch)) ??
      this.packages.get(packageKey(name, 'all')) ??
      this.packages.get(packageKey(name, undefined)) ??
      [...this.packages.entries()].find(([key]) => key.startsWith(`${name}:`))?.[1]
    );
  }

  /** Every predicted package, by name. */
  predictedPackages(): { name: string; record: PackageRecord }[] {
    return [...this.packages.entries()].map(([key, record]) => ({
      name: key.slice(0, key.indexOf(':')),
      record,
    }));
  }

  /** `name=version:arch` of the packages whose files the run has read. */
  describedPackages(): string[] {
    return [...this.described];
  }

  /** The task that refreshed the package lists, if one did. */
  listsRefreshed(): Source | undefined {
    return this.lists;
  }

  user(name: string): UserRecord | undefined {
    return this.users.get(name);
  }

  group(name: string): GroupRecord | undefined {
    return this.groups.get(name);
  }

  /** Predicted groups, by name. */
  predictedGroups(): [string, GroupRecord][] {
    return [...this.groups.entries()];
  }

  /** Predicted accounts, by name. */
  predictedUsers(): [string, UserRecord][] {
    return [...this.users.entries()];
  }

  /** Why an account missing on the host may exist after the run (a maintainer script names it). */
  unknownAccount(name: string): Source | undefined {
    return this.unknownAccounts.get(name) ?? this.opaque.get('missing-accounts');
  }

  unit(name: string): UnitRecord | undefined {
    return this.units.get(unitName(name));
  }

  crontab(user: string): { record: CrontabRecord; known: boolean } | undefined {
    const record = this.crontabs.get(user);
    return record ? { record, known: !this.unknownCrontabs.has(user) } : undefined;
  }

  /** A change that leaves `scope` not known, if one was made. */
  opaqueSource(scope: OpaqueScope): Source | undefined {
    return this.opaque.get(scope);
  }
}

function merged(base: PatchRecord | undefined, next: PatchRecord): PatchRecord {
  if (!base) return next;
  const out: PatchRecord = { ...next, set: { ...base.set, ...next.set } };
  if (next.unknownMode || (base.unknownMode && next.set.mode === undefined)) {
    out.unknownMode = true;
    delete out.set.mode;
  }
  return out;
}

function packageKey(name: string, arch: string | undefined): string {
  return `${name}:${arch ?? ''}`;
}

function definedAttributes(set: FileAttributes): FileAttributes {
  const out: FileAttributes = {};
  if (set.mode !== undefined) out.mode = set.mode;
  if (set.owner !== undefined) out.owner = set.owner;
  if (set.group !== undefined) out.group = set.group;
  return out;
}

function mergeUser(current: UserAfter, change: UserAfter): UserAfter {
  const out: UserAfter = { ...current };
  for (const [key, value] of Object.entries(change) as [keyof UserAfter, unknown][]) {
    if (value === undefined || key === 'groups' || key === 'append') continue;
    (out as Record<string, unknown>)[key] = value;
  }
  if (change.groups !== undefined) {
    if (change.append && current.groups !== undefined) {
      out.groups = [...new Set([...current.groups, ...change.groups])];
    } else {
      out.groups = [...change.groups];
      if (change.append) out.append = true;
      else delete out.append;
    }
  }
  return out;
}

/** The reason a later task gives when it needs what `source` left unknown. */
export function unknownFrom(source: Source, what: string): UnknownReason {
  return { by: source.by, why: source.why ?? what };
}
