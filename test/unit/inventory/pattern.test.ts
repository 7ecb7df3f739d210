import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/loader.js';
import { globToRegExp, matchHosts, splitPattern } from '../../../src/inventory/pattern.js';

const inventory = parseInventory(`
all:
  hosts:
    lonely.example.com:
  children:
    web:
      hosts:
        web01:
        web02:
        web03:
    db:
      hosts:
        db01:
        db02:
        web03:
    prod:
      children:
        web:
      hosts:
        db01:
    staging:
      hosts:
        db02:
    "10_net":
      hosts:
        10.0.0.5:
        "2001:db8::1":
`).patternView();

describe('host patterns', () => {
  const all = ['lonely.example.com', 'web01', 'web02', 'web03', 'db01', 'db02', '10.0.0.5', '2001:db8::1'];
  const cases: [string, string[]][] = [
    ['all', all],
    ['*', all],
    ['web01', ['web01']],
    ['web', ['web01', 'web02', 'web03']],
    ['db', ['db01', 'db02', 'web03']],
    // a group's hosts include those of its child groups; own hosts first
    ['prod', ['db01', 'web01', 'web02', 'web03']],
    ['web0*', ['web01', 'web02', 'web03']],
    // Ansible reads a trailing [n] as a subscript (host 12 of "web0"), not a character class
    ['web0[12]', []],
    ['web0[12]*', ['web01', 'web02']],
    ['web0[!1]?', []],
    ['*0[!1]', ['web02', 'web03', 'db02']],
    ['db0?', ['db01', 'db02']],
    ['w*', ['web01', 'web02', 'web03']], // the group web matches and so do its hosts, once each
    ['*.example.com', ['lonely.example.com']],
    ['lonely.example.com', ['lonely.example.com']],
    ['10.0.0.5', ['10.0.0.5']],
    ['2001:db8::1', ['2001:db8::1']],
    ['10_net', ['10.0.0.5', '2001:db8::1']],
    ['web:db', ['web01', 'web02', 'web03', 'db01', 'db02']],
    ['web,db', ['web01', 'web02', 'web03', 'db01', 'db02']],
    ['web, db01', ['web01', 'web02', 'web03', 'db01']],
    ['db:web', ['db01', 'db02', 'web03', 'web01', 'web02']],
    ['web:&db', ['web03']],
    ['web:!db', ['web01', 'web02']],
    ['web,!web02', ['web01', 'web03']],
    ['prod:&db:!staging', ['db01', 'web03']],
    // order of writing does not matter: unions, then intersections, then exclusions
    ['!web02:web', ['web01', 'web03']],
    ['&db:web', ['web03']],
    // only exclusions/intersections start from all
    ['!web:!db', ['lonely.example.com', '10.0.0.5', '2001:db8::1']],
    ['&prod', ['web01', 'web02', 'web03', 'db01']], // in the order of all
    ['web:!web', []],
    ['web[0]', ['web01']],
    ['web[-1]', ['web03']],
    ['web[1:]', ['web02', 'web03']],
    ['web[0:1]', ['web01', 'web02']],
    ['web[7]', []],
    ['~web0[13]', ['web01', 'web03']],
    ['~db', ['db01', 'db02', 'web03']], // regex matches the group db too
    ['~(web|db)02', ['web02', 'db02']],
    ['Web01', []], // case-sensitive, as Ansible
    ['nosuch', []],
  ];

  it.each(cases)('%s', (pattern, expected) => {
    expect(matchHosts(pattern, inventory).hosts).toEqual(expected);
  });

  it('reports terms that match nothing, with their prefix', () => {
    expect(matchHosts('web:nosuch:!gone:&web', inventory)).toEqual({
      hosts: ['web01', 'web02', 'web03'],
      unmatched: ['nosuch', '!gone'],
    });
    expect(matchHosts('all', parseInventory('').patternView())).toEqual({ hosts: [], unmatched: [] });
  });

  it('refuses an empty pattern and a bad regular expression', () => {
    for (const bad of ['', ' , ', ':']) {
      const error = (() => {
        try {
          matchHosts(bad, inventory);
        } catch (e) {
          return e;
        }
      })();
      expect(isBosunError(error, 'BOSUN_INPUT')).toBe(true);
    }
    expect(() => matchHosts('~web(', inventory)).toThrow(
      'invalid regular expression in host pattern "~web("',
    );
  });

  it('accepts a list of patterns', () => {
    expect(matchHosts(['web01', 'db01:db02'], inventory).hosts).toEqual(['web01', 'db01', 'db02']);
  });
});

describe('splitting patterns', () => {
  it.each([
    ['a:b', ['a', 'b']],
    ['a,b', ['a', 'b']],
    ['a:!b:&c', ['a', '!b', '&c']],
    ['a, b ,c', ['a', 'b', 'c']],
    ['web[0:2]:db', ['web[0:2]', 'db']],
    ['::1', ['::1']],
    ['fe80::1,web', ['fe80::1', 'web']],
    ['a b', ['a', 'b']],
  ])('%s', (pattern, terms) => {
    expect(splitPattern(pattern)).toEqual(terms);
  });
});

describe('globs as Python fnmatch', () => {
  it.each([
    ['web*', 'web01', true],
    ['web*', 'Web01', false],
    ['w?b', 'web', true],
    ['[ab]x', 'bx', true],
    ['[!ab]x', 'bx', false],
    ['[!ab]x', 'cx', true],
    ['a.b', 'axb', false],
    ['a+b', 'a+b', true],
    ['[', '[', true],
    ['x[', 'x[', true],
  ] as const)('%s ~ %s = %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});
