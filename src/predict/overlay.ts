/**
 * How a task's facts are read through a host's predicted state: overlays (one per fact, in
 * this folder) return the facts as the earlier planned changes would leave them, and note
 * here each part they need that no one can know before the real run. A task with such a
 * note is reported `unknown` with the first reason, never planned from a guess.
 */
import type { TaskRef, UnknownReason } from './effects.js';
import type { PredictedState, Source } from './state.js';

/** What an overlay asks of a path beyond its existence and type. */
export interface PathNeeds {
  /** The bytes (or at least their sha256). Default true. */
  content?: boolean;
  /** mode, owner and group. Default true. */
  attributes?: boolean;
}

export class Overlay {
  readonly unknowns: UnknownReason[] = [];

  constructor(readonly state: PredictedState) {}

  /** A part of the facts depends on a change whose outcome is not known. */
  unknown(source: Source, what: string): void {
    this.unknowns.push({ by: source.by, why: source.why ?? what });
  }

  /** A part of the facts cannot be known before the run, for a reason of its own. */
  cannotKnow(why: string, by?: TaskRef): void {
    this.unknowns.push(by ? { by, why } : { why });
  }

  get known(): boolean {
    return this.unknowns.length === 0;
  }
}

/** The owner or group name/id of a predicted path as facts carry it (names and numeric ids). */
export function ownerIds(
  state: PredictedState,
  owner: string | undefined,
  kind: 'user' | 'group',
): { id: number; name: string } {
  if (owner === undefined) return { id: -1, name: 'UNKNOWN' };
  if (/^\d+$/.test(owner)) {
    const id = Number(owner);
    if (id === 0) return { id, name: 'root' };
    return { id, name: nameOfId(state, id, kind) ?? 'UNKNOWN' };
  }
  if (owner === 'root') return { id: 0, name: owner };
  if (kind === 'user') {
    const uid = state.user(owner)?.after?.uid;
    return { id: uid ?? -1, name: owner };
  }
  const gid = state.group(owner)?.after?.gid;
  return { id: gid ?? -1, name: owner };
}

function nameOfId(state: PredictedState, id: number, kind: 'user' | 'group'): string | undefined {
  const list = kind === 'user' ? state.predictedUsers() : state.predictedGroups();
  for (const [name, record] of list) {
    const after = record.after as { uid?: number; gid?: number } | null;
    if (after && (kind === 'user' ? after.uid : after.gid) === id) return name;
  }
  return undefined;
}
