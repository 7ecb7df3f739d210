/**
 * Overlays of the account facts (passwd, group, authorized_keys): users and groups as the
 * changes planned so far leave them, and the paths under a home made by the run.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { AuthorizedKeysFacts, KeyPathAttributes } from '../facts/authorized-keys.js';
import type { GroupFacts } from '../facts/group.js';
import type { GroupEntry, PasswdEntry, PasswordState, UserFacts } from '../facts/passwd.js';
import type { UserAfter } from './effects.js';
import type { Overlay } from './overlay.js';
import { type PathFacts, predictFolder, predictPath } from './paths.js';

/** Fields of an account a task compares with its arguments. */
export interface AccountNeeds {
  uid?: boolean;
  gid?: boolean;
  comment?: boolean;
  home?: boolean;
  shell?: boolean;
  groups?: boolean;
  password?: boolean;
}

const UNKNOWN_ID = -1;
const NEEDED_FIELDS = ['uid', 'comment', 'home', 'shell'] as const;

/** A user's passwd entry after the predicted changes (undefined: it does not exist); 'unknown'. */
export function predictPasswd(
  overlay: Overlay,
  name: string,
  host: PasswdEntry | undefined,
  needs: AccountNeeds = {},
): PasswdEntry | undefined | 'unknown' {
  const { state } = overlay;
  const record = state.user(name);
  if (!record) {
    const unknown = host ? undefined : state.unknownAccount(name);
    if (unknown) {
      overlay.unknown(unknown, `user ${name} may be created by it`);
      return 'unknown';
    }
    return host;
  }
  if (record.after === null) return undefined;
  const after = record.after;
  if (record.created || !host) {
    for (const field of NEEDED_FIELDS) {
      if (needs[field] && after[field] === undefined) {
        overlay.unknown(record, `the ${field} useradd gives ${name} is not known before the run`);
        return 'unknown';
      }
    }
    const gid = after.gid ?? primaryGid(overlay, after);
    if (needs.gid && gid === undefined) {
      overlay.unknown(record, `the group id of ${name} is not known before the run`);
      return 'unknown';
    }
    return {
      name,
      uid: after.uid ?? UNKNOWN_ID,
      gid: gid ?? UNKNOWN_ID,
      comment: after.comment ?? '',
      home: after.home ?? `/home/${name}`,
      shell: after.shell ?? '/bin/sh',
    };
  }
  const gid = after.gid ?? (after.group !== undefined ? primaryGid(overlay, after) : host.gid);
  if (needs.gid && gid === undefined) {
    overlay.unknown(record, `the group id of ${name} is not known before the run`);
    return 'unknown';
  }
  return {
    name,
    uid: after.uid ?? host.uid,
    gid: gid ?? UNKNOWN_ID,
    comment: after.comment ?? host.comment,
    home: after.home ?? host.home,
    shell: after.shell ?? host.shell,
  };
}

function primaryGid(overlay: Overlay, after: UserAfter): number | undefined {
  if (after.group === undefined) return undefined;
  if (/^\d+$/.test(after.group)) return Number(after.group);
  return overlay.state.group(after.group)?.after?.gid;
}

/** A group's entry after the predicted changes (undefined: it does not exist); 'unknown'. */
export function predictGroup(
  overlay: Overlay,
  wanted: string,
  host: GroupEntry | undefined,
  needGid = false,
): GroupEntry | undefined | 'unknown' {
  const { state } = overlay;
  const byId = /^\d+$/.test(wanted);
  let name = byId ? host?.name : wanted;
  if (byId && !host) {
    name = state.predictedGroups().find(([, record]) => record.after?.gid === Number(wanted))?.[0];
    if (name === undefined) return undefined;
  }
  const record = name === undefined ? undefined : state.group(name);
  if (!record || name === undefined) {
    const unknown = host || name === undefined ? undefined : state.unknownAccount(name);
    if (unknown) {
      overlay.unknown(unknown, `group ${name} may be created by it`);
      return 'unknown';
    }
    return host ? { ...host, members: membersAfter(overlay, host.name, host.members) } : undefined;
  }
  if (record.after === null) return undefined;
  const gid = record.after.gid ?? (record.created ? undefined : host?.gid);
  if (needGid && gid === undefined) {
    overlay.unknown(record, `the gid groupadd gives ${name} is not known before the run`);
    return 'unknown';
  }
  return { name, gid: gid ?? UNKNOWN_ID, members: membersAfter(overlay, name, host?.members ?? []) };
}

/** Members of a group once predicted accounts joined or left it. */
function membersAfter(overlay: Overlay, group: string, members: string[]): string[] {
  const out = new Set(members);
  for (const [user, record] of overlay.state.predictedUsers()) {
    if (record.after === null) {
      out.delete(user);
      continue;
    }
    const groups = record.after.groups;
    if (groups === undefined) continue;
    if (groups.includes(group)) out.add(user);
    else if (!record.after.append) out.delete(user);
  }
  return [...out];
}

function passwordState(field: string): PasswordState {
  const digest = (text: string) => createHash('sha256').update(text).digest('hex');
  return {
    full: digest(field),
    bare: digest(field.startsWith('!') ? field.slice(1) : field),
    bang: field.startsWith('!'),
    none: ['', '*', '!', '!!', '!*'].includes(field),
  };
}

export interface UserQuery {
  name: string;
  /** Groups the task names (group and groups). */
  groups: string[];
  /** The primary group the task names, compared by gid with the account's. */
  primary?: string | undefined;
  /** The home the task names. */
  home?: string | undefined;
  needs: AccountNeeds;
}

/** user facts after the predicted changes. */
export function overlayUserFacts(facts: UserFacts, query: UserQuery, overlay: Overlay): UserFacts {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const { name } = query;
  const passwd = predictPasswd(overlay, name, facts.passwd, query.needs);
  if (passwd === 'unknown') return facts;
  const out: UserFacts = { ...facts, memberOf: [...facts.memberOf], groups: [] };
  delete out.passwd;
  delete out.password;
  delete out.primary;
  if (passwd) out.passwd = passwd;
  for (const wanted of new Set([name, ...query.groups])) {
    const host = facts.groups.find((group) =>
      /^\d+$/.test(wanted) ? String(group.gid) === wanted : group.name === wanted,
    );
    // Only the primary group is compared by gid; supplementary ones are matched by name.
    const group = predictGroup(overlay, wanted, host, query.needs.gid === true && wanted === query.primary);
    if (group === 'unknown') return facts;
    if (group) out.groups.push(group);
  }
  const record = state.user(name);
  if (record?.after === null) {
    out.memberOf = [];
  } else if (record?.after?.groups !== undefined) {
    const wanted = record.after.append
      ? [...new Set([...facts.memberOf.map((group) => group.name), ...record.after.groups])]
      : record.after.groups;
    const entries: GroupEntry[] = [];
    for (const group of wanted) {
      const host =
        facts.memberOf.find((entry) => entry.name === group) ??
        facts.groups.find((entry) => entry.name === group);
      const entry = predictGroup(overlay, group, host);
      if (entry === 'unknown') return facts;
      if (entry) entries.push(entry);
    }
    out.memberOf = entries;
  } else if (passwd && !facts.passwd && query.needs.groups) {
    out.memberOf = [];
  }
  if (passwd) {
    const primary =
      out.groups.find((group) => group.gid === passwd.gid && passwd.gid !== UNKNOWN_ID) ??
      (facts.primary && facts.primary.gid === passwd.gid ? facts.primary : undefined);
    if (primary) out.primary = primary;
    if (record?.after?.password !== undefined) out.password = passwordState(record.after.password);
    else if (record?.created) out.password = passwordState('!');
    else if (facts.password) out.password = facts.password;
    const hostHome =
      facts.passwd?.home === passwd.home
        ? facts.homeExists
        : passwd.home === query.home
          ? facts.targetHomeExists
          : false;
    const home = predictFolder(overlay, passwd.home, hostHome);
    if (home === undefined) return facts;
    out.homeExists = home;
  }
  if (query.home !== undefined) {
    const target = predictFolder(overlay, query.home, facts.targetHomeExists);
    if (target === undefined) return facts;
    out.targetHomeExists = target;
  }
  return out;
}

/** group facts after the predicted changes. */
export function overlayGroupFacts(
  facts: GroupFacts,
  name: string,
  needGid: boolean,
  overlay: Overlay,
): GroupFacts {
  if (overlay.state.isEmpty()) return facts;
  const group = predictGroup(overlay, name, facts.group, needGid);
  if (group === 'unknown') return facts;
  return group ? { group } : {};
}

function keyAttributes(facts: PathFacts | 'unknown'): KeyPathAttributes | undefined | 'unknown' {
  if (facts === 'unknown') return 'unknown';
  const stat = facts.stat;
  if (!stat) return undefined;
  return {
    isDirectory: stat.type === 'directory',
    isFile: stat.type === 'file',
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
  };
}

/** authorized_keys facts after the predicted changes. */
export function overlayAuthorizedKeys(
  facts: AuthorizedKeysFacts,
  user: string,
  path: string | undefined,
  overlay: Overlay,
): AuthorizedKeysFacts {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const passwd = predictPasswd(overlay, user, facts.passwd, { uid: true, gid: true });
  if (passwd === 'unknown') return facts;
  if (!passwd) return {};
  const file =
    path !== undefined && path !== '~' && !path.startsWith('~/')
      ? path
      : posix.join(passwd.home, path === undefined ? '.ssh/authorized_keys' : path.slice(2));
  const out: AuthorizedKeysFacts = { passwd, path: file };
  // The host described this file only when the account was there with the same home.
  const described = facts.path === file;
  const dir = posix.dirname(file);
  const hostDir: PathFacts | undefined = described && facts.dir ? hostPath(facts.dir) : undefined;
  const hostFile: PathFacts | undefined =
    described && facts.file
      ? { ...hostPath(facts.file), bytes: Buffer.from(facts.content ?? '', 'utf8') }
      : undefined;
  if (!described) {
    // The host could not say where the file is: only a home the run makes is known (empty but
    // for what the run puts there).
    const home = state.path(passwd.home);
    const made = home.from === 'prediction' && home.after.type === 'directory' && !home.ifMissing;
    if (!made) {
      const record = state.user(user);
      if (record) overlay.unknown(record, `what is in ${passwd.home} is not known before the run`);
      return facts;
    }
  }
  const dirFacts = keyAttributes(predictPath(overlay, dir, hostDir, { content: false }));
  const fileOutcome = predictPath(overlay, file, hostFile);
  const fileFacts = keyAttributes(fileOutcome);
  if (dirFacts === 'unknown' || fileFacts === 'unknown' || fileOutcome === 'unknown') return facts;
  if (dirFacts) out.dir = dirFacts;
  if (fileFacts) {
    out.file = fileFacts;
    if (fileOutcome.bytes) out.content = fileOutcome.bytes.toString('utf8');
  }
  if ((dirFacts?.uid === UNKNOWN_ID || fileFacts?.uid === UNKNOWN_ID) && passwd.uid !== UNKNOWN_ID) {
    const record = state.user(user);
    if (record) overlay.unknown(record, `the owner of ${dir} is not known before the run`);
    return facts;
  }
  return out;
}

function hostPath(attributes: KeyPathAttributes): PathFacts {
  return {
    isLink: false,
    stat: {
      type: attributes.isDirectory ? 'directory' : attributes.isFile ? 'file' : 'other',
      mode: attributes.mode,
      uid: attributes.uid,
      gid: attributes.gid,
      user: String(attributes.uid),
      group: String(attributes.gid),
      size: 0,
    },
  };
}
