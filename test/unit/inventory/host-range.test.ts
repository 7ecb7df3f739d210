import { describe, expect, it } from 'vitest';
import { expandHostRange, hasHostRange } from '../../../src/inventory/host-range.js';

describe('host ranges', () => {
  it.each([
    ['web1', ['web1']],
    ['web[1:3]', ['web1', 'web2', 'web3']],
    ['web[01:03].lan', ['web01.lan', 'web02.lan', 'web03.lan']],
    ['web[8:10]', ['web8', 'web9', 'web10']],
    ['web[:2]', ['web0', 'web1', 'web2']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['n[0:10:5]', ['n0', 'n5', 'n10']],
    ['r[1:2]c[a:b]', ['r1ca', 'r1cb', 'r2ca', 'r2cb']],
  ])('%s', (name, hosts) => {
    expect(expandHostRange(name)).toEqual(hosts);
  });

  it.each([
    ['web[3:1]', 'invalid host range "[3:1]": end is before start'],
    ['web[1]', 'invalid host range "[1]": expected [start:end] or [start:end:step]'],
    ['web[1:2:0]', 'invalid host range "[1:2:0]": step must be a positive integer'],
    ['web[1:b]', 'invalid host range "[1:b]": bounds must be two numbers or two letters'],
    ['web[01:100]', 'invalid host range "[01:100]": padded bounds must have the same width'],
    ['web[0:99999]', 'invalid host range "[0:99999]": more than 10000 hosts'],
    ['a[1:200]b[1:200]', 'host range "a[1:200]b[1:200]" expands to more than 10000 hosts'],
  ])('refuses %s', (name, message) => {
    expect(() => expandHostRange(name)).toThrow(message);
  });

  it('tells a range from other brackets', () => {
    expect(hasHostRange('web[1:2]')).toBe(true);
    expect(hasHostRange('web1')).toBe(false);
  });
});
