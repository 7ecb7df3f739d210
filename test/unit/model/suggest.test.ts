import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../../src/model/suggest.js';

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('copy', 'cpy')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests only likely typos', () => {
    expect(closest('taks', ['tasks', 'hosts'])).toBe('tasks');
    expect(closest('Tasks', ['tasks'])).toBe('tasks');
    expect(closest('apt', ['copy', 'file', 'shell'])).toBeUndefined();
    expect(closest('x', ['y'])).toBe('y');
    expect(closest('become_usr', ['become', 'become_user'])).toBe('become_user');
  });

  it('reads as a clause', () => {
    expect(didYouMean('dst', ['dest', 'src'])).toBe('; did you mean "dest"?');
    expect(didYouMean('zzz', ['dest'])).toBe('');
  });
});
