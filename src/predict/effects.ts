/**
 * What a planned change would make of the host, as data. In check mode nothing is applied, so
 * a plan says what its steps would leave behind (a folder, a file with its bytes, a package
 * and its files, an account, a unit) and the engine keeps it per host: later tasks then plan
 * against the host as the earlier ones would have left it. A field left out is not known: a
 * later task that needs it cannot be predicted and says so.
 */

/** The task a prediction comes from, as reports name it. */
export interface TaskRef {
  task: string;
  id: string;
}

/** mode, owner and group of a path; a field left out is not known. Owners are names or ids. */
export interface FileAttributes {
  mode?: number;
  owner?: string;
  group?: string;
}

/** What a path is after the change. */
export type PathAfter =
  /** Removed, with everything below it. */
  | { type: 'absent' }
  | ({ type: 'directory' } & FileAttributes)
  /** A regular file; its bytes are left out when they are not known (a package's binaries). */
  | ({ type: 'file'; bytes?: Buffer; size?: number } & FileAttributes)
  | { type: 'link'; target: string }
  /** Anything, or nothing: a maintainer script or a command may have made it. */
  | { type: 'unknown' };

/** An account as a change leaves it; a field left out is not known (or, for a change, unchanged). */
export interface UserAfter {
  uid?: number;
  /** Primary group, by name (or gid as text). */
  group?: string;
  gid?: number;
  /** Supplementary groups: the whole list, or (append) groups added to the current ones. */
  groups?: string[];
  append?: boolean;
  comment?: string;
  home?: string;
  shell?: string;
  /** The shadow password field, when a change sets it. */
  password?: string;
}

export interface GroupAfter {
  gid?: number;
}

/** A unit's state as a change leaves it; a field left out is unchanged, `null` not known. */
export interface UnitAfter {
  /** systemctl's unit file state (enabled, disabled, masked, static...). */
  unitFileState?: string | null;
  /** Running (active) or not. */
  active?: boolean | null;
}

export type PackageStatus = 'installed' | 'config-files' | 'not-installed';

/** Scopes a change may have touched without saying how (a maintainer script, a command). */
export type OpaqueScope =
  /** Any path missing on the host may exist afterwards. */
  | 'missing-paths'
  /** Any account missing on the host may exist afterwards. */
  | 'missing-accounts'
  /** Which packages are installed, and at which versions, is not known. */
  | 'packages';

export type Effect = (
  | {
      kind: 'path';
      path: string;
      after: PathAfter;
      /** Only when nothing is at the path yet (a package's folders and configuration files). */
      ifMissing?: true;
    }
  /** Only the attributes of whatever is at the path change (and below it, with recursive). */
  | {
      kind: 'attributes';
      path: string;
      set: FileAttributes;
      recursive?: true;
      /** The attributes become something not known here (a symbolic mode applied to a tree). */
      unknownMode?: true;
    }
  | {
      kind: 'package';
      name: string;
      /** dpkg's architecture ("all" for architecture-independent packages); native when left out. */
      arch?: string;
      status: PackageStatus;
      version?: string;
      /** Virtual packages it provides. */
      provides?: string[];
      /** Its files are among the effects (the check run does not read it again). */
      described?: true;
    }
  /** The package lists were refreshed. */
  | { kind: 'package-lists' }
  /** `null`: the account is removed. `created`: made now (fields left out are not known). */
  | { kind: 'user'; name: string; after: UserAfter | null; created?: true }
  | { kind: 'group'; name: string; after: GroupAfter | null; created?: true }
  | { kind: 'unit'; name: string; after: UnitAfter }
  /** `null`: the crontab is removed. */
  | { kind: 'crontab'; user: string; content: string | null }
  /** Files directly in the folder may be written under names not known (a maintainer script's). */
  | { kind: 'contents'; path: string }
  /** Host knowledge a prediction script learnt: `path` is a link to `target` (/lib to /usr/lib). */
  | { kind: 'alias'; path: string; target: string }
  /** Accounts a maintainer script may create or change. */
  | { kind: 'accounts'; names: string[] }
  | { kind: 'opaque'; scope: OpaqueScope }
) & {
  /** Why a part of it is not known, shown when a later task needs that part. */
  why?: string;
};

/** What a task result names when it cannot be predicted. */
export interface UnknownReason {
  /** The task whose change is needed; undefined when the task itself cannot be predicted. */
  by?: TaskRef;
  why: string;
}

/** "needs the change made by task "x": why", or the reason itself. */
export function describeUnknown(reason: UnknownReason): string {
  if (!reason.by) return reason.why;
  return `needs the change made by task "${reason.by.task}"${reason.why === '' ? '' : `: ${reason.why}`}`;
}
