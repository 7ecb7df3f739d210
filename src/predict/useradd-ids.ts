/**
 * The ids useradd gives a new account, as shadow's find_new_uid and find_new_gid choose them:
 * one above the highest id in use inside [min, max], or the lowest free one when the highest is
 * taken; the user's own group prefers the user's uid as its gid when that gid is free.
 */
import type { IdRange, IdRanges } from '../facts/id-ranges.js';
import type { Effect } from './effects.js';
import type { PredictedState } from './state.js';

/** The id useradd would choose in `range`, with `taken` in use as well; undefined when none is free. */
export function nextId(range: IdRange, taken: Iterable<number> = [], preferred?: number): number | undefined {
  const used = new Set([...range.used, ...taken].filter((id) => id >= range.min && id <= range.max));
  if (preferred !== undefined && preferred >= range.min && preferred <= range.max && !used.has(preferred))
    return preferred;
  if (used.size === 0) return range.min;
  const highest = Math.max(...used);
  if (highest < range.max) return highest + 1;
  for (let id = range.min; id <= range.max; id++) if (!used.has(id)) return id;
  return undefined;
}

/**
 * `effects` (a user module's plan) with the ids useradd would give the account it creates and
 * that account's own group, when they are not given. Left as they are (not known) when the run
 * removes an account or group, or creates one whose id is not known: the choice depends on it.
 */
export function withNewIds(effects: readonly Effect[], ranges: IdRanges, state: PredictedState): Effect[] {
  const takenUids: number[] = [];
  const takenGids: number[] = [];
  for (const [, record] of state.predictedUsers()) {
    if (record.after === null || (record.created && record.after.uid === undefined)) return [...effects];
    if (record.created && record.after.uid !== undefined) takenUids.push(record.after.uid);
  }
  for (const [, record] of state.predictedGroups()) {
    if (record.after === null || (record.created && record.after.gid === undefined)) return [...effects];
    if (record.created && record.after.gid !== undefined) takenGids.push(record.after.gid);
  }
  const user = effects.find((effect) => effect.kind === 'user' && effect.created && effect.after);
  if (user?.kind !== 'user' || !user.after) return [...effects];
  const uid = user.after.uid ?? nextId(ranges.uid, takenUids);
  const ownGroup = effects.find(
    (effect) => effect.kind === 'group' && effect.created && effect.name === user.after?.group,
  );
  const gid =
    ownGroup?.kind === 'group' && ownGroup.after?.gid === undefined
      ? nextId(ranges.gid, takenGids, uid)
      : undefined;
  return effects.map((effect): Effect => {
    if (effect === user && effect.kind === 'user' && effect.after) {
      const after = { ...effect.after };
      if (uid !== undefined) after.uid = uid;
      if (gid !== undefined) after.gid = gid;
      return { ...effect, after };
    }
    if (effect === ownGroup && effect.kind === 'group' && gid !== undefined)
      return { ...effect, after: { ...effect.after, gid } };
    return effect;
  });
}

/** Whether the plan creates an account or group whose id useradd chooses. */
export function needsNewIds(effects: readonly Effect[] | undefined): boolean {
  return (effects ?? []).some(
    (effect) =>
      (effect.kind === 'user' && effect.created && effect.after && effect.after.uid === undefined) ||
      (effect.kind === 'group' && effect.created && effect.after && effect.after.gid === undefined),
  );
}
