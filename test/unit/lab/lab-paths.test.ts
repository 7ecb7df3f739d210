import { describe, expect, it } from 'vitest';
import { defaultLabName, labPaths } from '../../../src/lab/lab.js';

describe('lab paths and name', () => {
  it('keeps lab files under <dir>/.bosun/lab and the inventory in <dir>/inventory', () => {
    expect(labPaths('/p/proj')).toEqual({
      dir: '/p/proj',
      labDir: '/p/proj/.bosun/lab',
      statePath: '/p/proj/.bosun/lab/state.json',
      inventoryPath: '/p/proj/inventory/lab.yml',
    });
  });

  it('names a lab after its folder, stably and distinctly', () => {
    expect(defaultLabName('/p/proj')).toMatch(/^bosun-lab-[0-9a-f]{8}$/);
    expect(defaultLabName('/p/proj')).toBe(defaultLabName('/p/proj/'));
    expect(defaultLabName('/p/proj')).not.toBe(defaultLabName('/p/other'));
  });
});
