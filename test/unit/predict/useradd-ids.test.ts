import { describe, expect, it } from 'vitest';
import { idRangesScript, parseIdRanges } from '../../../src/facts/id-ranges.js';
import type { Effect } from '../../../src/predict/effects.js';
import { PredictedState } from '../../../src/predict/state.js';
import { needsNewIds, nextId, withNewIds } from '../../../src/predict/useradd-ids.js';
import type { ExecResult } from '../../../src/transport/types.js';

const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '', durationMs: 1 });

// Recorded on a fresh bosun-sshd container (Debian bookworm) and on this machine: login.defs
// leaves UID_MIN and friends commented out, so useradd's defaults apply.
const FRESH = 'ids_uid_min=1000\nids_uid_max=60000\nids_gid_min=1000\nids_gid_max=60000\n';
const ONE_USER = `${FRESH}ids_uid=1000\nids_gid=1000\n`;

const created = (name: string, uid?: number): Effect[] => [
  { kind: 'group', name, after: {}, created: true },
  { kind: 'user', name, after: { group: name, ...(uid === undefined ? {} : { uid }) }, created: true },
];

describe('id ranges (login.defs and the ids in use)', () => {
  it('reads login.defs values, else useradd defaults, and the ids in range', () => {
    expect(idRangesScript().text).toContain('/etc/login.defs');
    expect(parseIdRanges(ok(ONE_USER))).toEqual({
      uid: { min: 1000, max: 60000, used: [1000] },
      gid: { min: 1000, max: 60000, used: [1000] },
    });
    expect(parseIdRanges(ok('umask=022\n'))).toBeUndefined();
    expect(() => parseIdRanges({ ...ok(''), code: 1, stderr: 'boom' })).toThrow(/boom/);
  });
});

describe('nextId (shadow find_new_uid / find_new_gid)', () => {
  const range = (used: number[], min = 1000, max = 1005) => ({ min, max, used });
  it('gives the minimum when nothing in range is used', () => expect(nextId(range([]))).toBe(1000));
  it('gives one above the highest used, not the first gap', () =>
    expect(nextId(range([1000, 1003]))).toBe(1004));
  it('counts ids the run takes', () => expect(nextId(range([1000]), [1001, 1002])).toBe(1003));
  it('falls back to the lowest free id when the highest is taken', () =>
    expect(nextId(range([1000, 1005]))).toBe(1001));
  it('prefers a free preferred id (a new group takes its user uid)', () => {
    expect(nextId(range([1000, 1001]), [], 1004)).toBe(1004);
    expect(nextId(range([1000, 1004]), [], 1004)).toBe(1005);
    expect(nextId(range([1000]), [], 2000)).toBe(1001);
  });
  it('gives undefined when every id is used', () =>
    expect(nextId(range([1000, 1001], 1000, 1001))).toBe(undefined));
});

describe('withNewIds', () => {
  const ranges = parseIdRanges(ok(ONE_USER))!;
  const task = { task: 'earlier', id: 't1' };

  it('gives a new account the next uid and its own group that uid as gid', () => {
    expect(needsNewIds(created('carol'))).toBe(true);
    const effects = withNewIds(created('carol'), ranges, new PredictedState());
    expect(effects).toEqual([
      { kind: 'group', name: 'carol', after: { gid: 1001 }, created: true },
      { kind: 'user', name: 'carol', after: { group: 'carol', uid: 1001, gid: 1001 }, created: true },
    ]);
    expect(needsNewIds(effects)).toBe(false);
  });

  it('keeps a given uid and gives the group the same id', () => {
    const effects = withNewIds(created('alice', 1500), ranges, new PredictedState());
    expect(effects[0]).toEqual({ kind: 'group', name: 'alice', after: { gid: 1500 }, created: true });
  });

  it('counts accounts created earlier in the run', () => {
    const state = new PredictedState();
    state.apply(withNewIds(created('carol'), ranges, state), task);
    const effects = withNewIds(created('dave'), ranges, state);
    expect(effects[1]).toMatchObject({ after: { uid: 1002, gid: 1002 } });
  });

  it('says nothing when an earlier change makes the choice unknown (a removal)', () => {
    const state = new PredictedState();
    state.apply([{ kind: 'user', name: 'old', after: null }], task);
    expect(withNewIds(created('carol'), ranges, state)).toEqual(created('carol'));
  });
});
