import { describe, expect, it } from 'vitest';
import type { Effect } from '../../../src/predict/effects.js';
import { PredictedState } from '../../../src/predict/state.js';

const by = { task: 'packages installed', id: 't1' };
const stateWith = (effects: Effect[]) => {
  const state = new PredictedState();
  state.apply(effects, by);
  return state;
};

describe('PredictedState.changesWithin', () => {
  it('is not fooled by a package shipping the folders above (what touches counts)', () => {
    const state = stateWith([
      { kind: 'path', path: '/etc', after: { type: 'directory', mode: 0o755 }, ifMissing: true },
      { kind: 'path', path: '/etc/audit', after: { type: 'directory', mode: 0o750 } },
    ]);
    expect(state.touches('/etc/login.defs')).toBeDefined();
    expect(state.changesWithin('/etc/login.defs')).toBeUndefined();
    expect(state.changesWithin('/etc/skel')).toBeUndefined();
  });

  it('sees a change at the path, below it, or replacing a folder above it', () => {
    expect(
      stateWith([{ kind: 'path', path: '/etc/skel/.bashrc', after: { type: 'file' } }]).changesWithin(
        '/etc/skel',
      ),
    ).toBeDefined();
    expect(
      stateWith([{ kind: 'path', path: '/etc/login.defs', after: { type: 'unknown' } }]).changesWithin(
        '/etc/login.defs',
      ),
    ).toBeDefined();
    expect(
      stateWith([{ kind: 'path', path: '/etc', after: { type: 'absent' } }]).changesWithin('/etc/login.defs'),
    ).toBeDefined();
  });

  it('sees files written under names not known in the folder itself, not in one above', () => {
    expect(stateWith([{ kind: 'contents', path: '/etc' }]).changesWithin('/etc/login.defs')).toBeDefined();
    expect(stateWith([{ kind: 'contents', path: '/etc/skel' }]).changesWithin('/etc/skel')).toBeDefined();
    expect(stateWith([{ kind: 'contents', path: '/' }]).changesWithin('/etc/skel')).toBeUndefined();
  });

  it('sees a recursive attribute change above', () => {
    const state = stateWith([{ kind: 'attributes', path: '/etc', set: { mode: 0o700 }, recursive: true }]);
    expect(state.changesWithin('/etc/skel')).toBeDefined();
  });
});
