/**
 * The user module in check mode: what a planned useradd/usermod/userdel leaves (the account,
 * its group, its home with the copy of /etc/skel), and the account facts read through the
 * changes planned before it.
 */
import { posix } from 'node:path';
import type { NewHomeFacts } from '../facts/new-home.js';
import type { UserFacts } from '../facts/passwd.js';
import { type AccountNeeds, overlayUserFacts } from '../predict/accounts.js';
import type { Effect, UserAfter } from '../predict/effects.js';
import type { Overlay } from '../predict/overlay.js';

/** The arguments the predictions look at. */
export interface UserPredictionArgs {
  name: string;
  uid?: number | undefined;
  group?: string | number | undefined;
  groups?: string | string[] | undefined;
  append?: boolean | undefined;
  comment?: string | undefined;
  home?: string | undefined;
  shell?: string | undefined;
  password?: string | undefined;
  create_home?: boolean | undefined;
}

/** Marks the home effect the predict script completes (mode, /etc/skel). */
export const NEW_HOME = 'a new home: its mode and content come from login.defs and /etc/skel';
/** A home the user module makes with cp -R /etc/skel and the UMASK of login.defs. */
export const MADE_HOME = 'a home made from /etc/skel: its mode comes from login.defs';

export function overlayUser(
  facts: UserFacts,
  overlay: Overlay,
  args: UserPredictionArgs,
  groups: string[],
): UserFacts {
  const needs: AccountNeeds = {
    uid: args.uid !== undefined,
    gid: args.group !== undefined,
    comment: args.comment !== undefined,
    home: args.home !== undefined,
    shell: args.shell !== undefined,
    groups: args.groups !== undefined,
    password: args.password !== undefined,
  };
  const primary = args.group === undefined ? undefined : String(args.group);
  return overlayUserFacts(facts, { name: args.name, groups, primary, home: args.home, needs }, overlay);
}

/** What useradd leaves: the account, its own group (USERGROUPS_ENAB) and its home. */
export function createdEffects(
  args: UserPredictionArgs,
  facts: UserFacts,
  groupList: string[] | undefined,
  passwordField: string | undefined,
): Effect[] {
  const effects: Effect[] = [];
  const byName = (wanted: string | number) =>
    facts.groups.find((group) =>
      /^\d+$/.test(String(wanted)) ? group.gid === Number(wanted) : group.name === wanted,
    );
  const group = args.group !== undefined ? String(args.group) : args.name;
  const entry = byName(group);
  if (args.group === undefined && !entry) {
    effects.push({ kind: 'group', name: args.name, after: {}, created: true });
  }
  const after: UserAfter = {
    group,
    comment: args.comment ?? '',
    home: args.home ?? `/home/${args.name}`,
    groups: groupList ?? [],
    password: passwordField ?? '!',
  };
  if (entry && entry.gid >= 0) after.gid = entry.gid;
  if (args.uid !== undefined) after.uid = args.uid;
  if (args.shell !== undefined) after.shell = args.shell;
  effects.push({ kind: 'user', name: args.name, after, created: true });
  if (args.create_home !== false) {
    effects.push({
      kind: 'path',
      path: after.home as string,
      after: { type: 'directory', owner: args.name, group },
      why: NEW_HOME,
    });
  }
  return effects;
}

/** What userdel leaves: no account, no group of the same name, no home (remove). */
export function removedEffects(name: string, facts: UserFacts, remove: boolean): Effect[] {
  const effects: Effect[] = [{ kind: 'user', name, after: null }];
  if (facts.primary?.name === name) effects.push({ kind: 'group', name, after: null });
  if (remove && facts.passwd)
    effects.push({ kind: 'path', path: facts.passwd.home, after: { type: 'absent' } });
  return effects;
}

/** The effects of the plan, with the home's mode and the copy of /etc/skel filled in. */
export function withNewHome(effects: readonly Effect[], home: NewHomeFacts, overlay: Overlay): Effect[] {
  const out: Effect[] = [];
  // The host's login.defs and /etc/skel are what the script read; a change planned to them is not.
  const changed = overlay.state.changesWithin('/etc/login.defs') ?? overlay.state.changesWithin('/etc/skel');
  for (const effect of effects) {
    if (
      effect.kind !== 'path' ||
      (effect.why !== NEW_HOME && effect.why !== MADE_HOME) ||
      effect.after.type !== 'directory'
    ) {
      out.push(effect);
      continue;
    }
    const { owner, group } = effect.after;
    if (changed) {
      out.push({
        ...effect,
        after: { type: 'unknown' },
        why: changed.why ?? `made from ${changed.by.task}'s changes`,
      });
      continue;
    }
    const mode = effect.why === NEW_HOME ? home.homeMode : home.umaskMode;
    const made: Effect = { kind: 'path', path: effect.path, after: { type: 'directory', mode } };
    if (made.kind === 'path' && made.after.type === 'directory') {
      if (owner !== undefined) made.after.owner = owner;
      if (group !== undefined) made.after.group = group;
    }
    out.push(made);
    for (const entry of home.skel) {
      const path = posix.join(effect.path, entry.path);
      const attributes = { mode: entry.mode, ...(owner ? { owner } : {}), ...(group ? { group } : {}) };
      if (entry.type === 'directory')
        out.push({ kind: 'path', path, after: { type: 'directory', ...attributes } });
      else if (entry.type === 'link' && entry.target !== undefined)
        out.push({ kind: 'path', path, after: { type: 'link', target: entry.target } });
      else if (entry.type === 'file') {
        const after: Effect = { kind: 'path', path, after: { type: 'file', ...attributes } };
        if (entry.bytes && after.after.type === 'file') after.after.bytes = entry.bytes;
        else after.why = `${path} is copied from /etc/skel`;
        out.push(after);
      } else
        out.push({ kind: 'path', path, after: { type: 'unknown' }, why: `${path} is copied from /etc/skel` });
    }
  }
  return out;
}

/** Where useradd puts a home when none is given, once its defaults are known. */
export function rehome(effects: readonly Effect[], name: string, base: string | undefined): Effect[] {
  if (base === undefined || base === '/home') return [...effects];
  const guessed = `/home/${name}`;
  const home = posix.join(base, name);
  return effects.map((effect) => {
    if (effect.kind === 'path' && effect.path === guessed && effect.why === NEW_HOME)
      return { ...effect, path: home };
    if (effect.kind === 'user' && effect.name === name && effect.after?.home === guessed) {
      return { ...effect, after: { ...effect.after, home } };
    }
    return effect;
  });
}
