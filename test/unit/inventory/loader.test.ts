import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { inventoryFromDocument, loadInventory, parseInventory } from '../../../src/inventory/loader.js';

const fixtures = join(import.meta.dirname, '../../fixtures/inventory');
const load = (...paths: string[]) => loadInventory(paths, { cwd: fixtures });

describe('loading a YAML inventory with group_vars and host_vars', () => {
  it('finds hosts (ranges expanded) in declaration order and groups in depth/name order', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.hostNames()).toEqual(['loner', 'web01', 'web02', 'web03', 'db1']);
    expect(inventory.groupNames()).toEqual(['all', 'ab', 'db', 'monitoring', 'ungrouped', 'web', 'app']);
  });

  it('puts hosts that are in no group into ungrouped, as Ansible does', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.host('loner').groups).toEqual(['all', 'ungrouped']);
    expect(inventory.group('ungrouped').hosts).toEqual(['loner']);
  });

  it('gives each host all its groups, ancestors included, by depth then name', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.host('web01').groups).toEqual(['all', 'ab', 'db', 'web']);
    expect(inventory.host('web02').groups).toEqual(['all', 'monitoring', 'web', 'app']);
    expect(inventory.host('web02').directGroups).toEqual(['web', 'app']);
  });

  it('merges a group declared under two parents', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.group('app').parents).toEqual(['web', 'monitoring']);
    expect(inventory.group('app').depth).toBe(2);
    expect(inventory.hostsOf('monitoring')).toEqual(['web02']);
    expect(inventory.hostsOf('web')).toEqual(['web01', 'web02', 'web03']);
  });

  it('accepts empty (null) hosts, groups and host values', () => {
    const inventory = parseInventory(
      'all:\n  hosts:\n  children:\n    empty:\n    web:\n      hosts:\n        w1:\n',
    );
    expect(inventory.hostNames()).toEqual(['w1']);
    expect(inventory.group('empty').hosts).toEqual([]);
  });

  it('takes top-level groups other than all as children of all', () => {
    const inventory = parseInventory('web:\n  hosts:\n    w1:\n');
    expect(inventory.group('all').children).toContain('web');
    expect(inventory.host('w1').groups).toEqual(['all', 'web']);
  });

  it('reads YAML 1.1 booleans as Ansible does, but not y/n', () => {
    const inventory = parseInventory('all:\n  hosts:\n    y:\n      a: yes\n      b: off\n      c: n\n');
    expect(inventory.hostNames()).toEqual(['y']);
    expect(inventory.plainVarsOf('y')).toEqual({ a: true, b: false, c: 'n' });
  });

  it('warns about an empty inventory, a vars file for no group, and a host named like a group', async () => {
    expect(parseInventory('', 'empty.yml').warnings).toEqual(['empty.yml: inventory is empty']);
    const clash = parseInventory('all:\n  hosts:\n    web:\n  children:\n    web:\n', 'clash.yml');
    expect(clash.warnings).toEqual(['"web" is both a host and a group; patterns naming it select the group']);
  });

  it('loads every file of an inventory folder, with the folder group_vars', async () => {
    const inventory = await load('folder');
    expect(inventory.hostNames()).toEqual(['h1', 'h2']);
    // one is also a child of two (second file), so it is deeper.
    expect(inventory.host('h1').groups).toEqual(['all', 'two', 'one']);
    expect(inventory.plainVarsOf('h1')).toEqual({ from_folder: true });
  });

  it('builds an inventory from an in-memory document (a fleet inventory)', () => {
    const inventory = inventoryFromDocument({
      all: { vars: { bosun_user: 'bosun' }, children: { lab: { hosts: { host1: {}, host2: {} } } } },
    });
    expect(inventory.hostsOf('lab')).toEqual(['host1', 'host2']);
    expect(inventory.plainVarsOf('host2')).toEqual({ bosun_user: 'bosun' });
  });
});

describe('variable precedence (Ansible order)', () => {
  it('group_vars/all beats inline all vars', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.plainVarsOf('loner')).toEqual({
      level: 'all-file',
      only_all: true,
      all_file_only: true,
    });
  });

  it('a group beats all; among sibling groups of one depth the last by name wins', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.plainVarsOf('web03').level).toBe('web-inline');
    expect(inventory.plainVarsOf('db1').level).toBe('db-inline');
    // web01 is in ab, db and web (all depth 1): web sorts last.
    expect(inventory.plainVarsOf('web01').level).toBe('web-inline');
  });

  it('a child group beats its parent, and host vars beat every group', async () => {
    const inventory = await load('basic/hosts.yml');
    const web02 = inventory.plainVarsOf('web02');
    expect(web02.level).toBe('host-inline');
    expect(web02.from_host_file).toBe(true);
    const direct = parseInventory(
      'all:\n  children:\n    p:\n      vars: {v: parent}\n      children:\n        c:\n          vars: {v: child}\n          hosts: {h: }\n',
    );
    expect(direct.plainVarsOf('h').v).toBe('child');
  });

  it('group_vars files come after every inline group var, even a deeper group', async () => {
    const inventory = await load('basic/hosts.yml');
    // web (depth 1) sets it in group_vars/web.yaml; app (depth 2) inline: the file wins.
    expect(inventory.plainVarsOf('web02').depth_test).toBe('web-file');
    expect(inventory.plainVarsOf('web03').depth_test).toBe('web-file');
  });

  it('reads a group_vars folder in file-name order', async () => {
    const inventory = await load('basic/hosts.yml');
    expect(inventory.plainVarsOf('web02')).toMatchObject({ app_file: 'one', app_both: 'second' });
  });

  it('keeps where each value came from and what it overrode', async () => {
    const inventory = await load('basic/hosts.yml');
    const level = inventory.varsOf('web02').level!;
    expect(level.source).toMatchObject({
      origin: 'inventory',
      scope: 'host',
      name: 'web02',
      file: 'basic/hosts.yml',
      line: 22,
      column: 15,
      baseDir: join(fixtures, 'basic'),
    });
    expect(level.overridden.map((d) => `${d.source.origin}:${d.source.name}=${d.value}`)).toEqual([
      'inventory:all=all-inline',
      'group_vars:all=all-file',
      'inventory:web=web-inline',
      'inventory:app=app-inline',
    ]);
    const fromFile = inventory.varsOf('web02').app_both!;
    expect(fromFile.source).toMatchObject({
      origin: 'group_vars',
      scope: 'group',
      name: 'app',
      file: 'basic/group_vars/app/20-more.yaml',
      line: 1,
      column: 1,
    });
  });

  it('merges several inventories: later group vars win, each folder brings its group_vars', async () => {
    const inventory = await load('basic/hosts.yml', 'second/extra.yml');
    expect(inventory.hostNames()).toEqual(['loner', 'web01', 'web02', 'web03', 'db1', 'web04', 'redis1']);
    expect(inventory.hostsOf('web')).toEqual(['web01', 'web02', 'web03', 'web04']);
    expect(inventory.plainVarsOf('web03').level).toBe('web-inline-second');
    expect(inventory.plainVarsOf('web04')).toMatchObject({ web_file: true, all_file_only: true });
    expect(inventory.plainVarsOf('redis1')).toMatchObject({ cache_file: true, level: 'all-file' });
    expect(inventory.sources).toEqual(['basic/hosts.yml', 'second/extra.yml']);
  });

  it('loads the same file once when given twice', async () => {
    const inventory = await load('basic/hosts.yml', './basic/hosts.yml');
    expect(inventory.sources).toEqual(['basic/hosts.yml']);
  });
});

describe('inventory errors name file:line:column and the key path', () => {
  const cases: [string, string][] = [
    [
      'unknown-key.yml',
      'bad/unknown-key.yml:2:3: all.hostz: unknown key; expected one of: hosts, vars, children',
    ],
    [
      'hosts-list.yml',
      'bad/hosts-list.yml:5:9: all.children.web.hosts: must be a mapping or empty, got a list',
    ],
    ['host-scalar.yml', 'bad/host-scalar.yml:3:11: all.hosts.web1: must be a mapping or empty, got a string'],
    ['vars-list.yml', 'bad/vars-list.yml:3:5: all.vars: must be a mapping or empty, got a list'],
    ['children-list.yml', 'bad/children-list.yml:2:13: all.children: must be a mapping or empty, got a list'],
    [
      'group-scalar.yml',
      'bad/group-scalar.yml:3:10: all.children.web: must be a mapping or empty, got an integer',
    ],
    [
      'deep-unknown-key.yml',
      'bad/deep-unknown-key.yml:6:11: all.children.web.children.app.hots: unknown key; expected one of: hosts, vars, children',
    ],
    [
      'cycle.yml',
      'bad/cycle.yml:7:13: all.children.a.children.b.children.a: group "a" cannot be a child of "b": that makes a cycle (a > b > a)',
    ],
    [
      'bad-group-name.yml',
      `bad/bad-group-name.yml:3:5: all.children["web servers"]: group name "web servers" is not valid: use letters, digits, '_' and '-', not starting with '-'`,
    ],
    [
      'bad-host-name.yml',
      `bad/bad-host-name.yml:3:5: all.hosts["web 1"]: host name "web 1" is not valid: use letters, digits, '.', '_' and '-' (or an IPv6 address)`,
    ],
    [
      'bad-range.yml',
      'bad/bad-range.yml:3:5: all.hosts["web[3:1]"]: invalid host range "[3:1]": end is before start',
    ],
    [
      'bad-range-width.yml',
      'bad/bad-range-width.yml:3:5: all.hosts["web[01:100]"]: invalid host range "[01:100]": padded bounds must have the same width',
    ],
    [
      'bad-var-name.yml',
      `bad/bad-var-name.yml:3:5: all.vars.bad-name: variable name "bad-name" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
    [
      'bad-host-var-name.yml',
      `bad/bad-host-var-name.yml:7:11: all.children.web.hosts.web1.2bad: variable name "2bad" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
    [
      'all-as-child.yml',
      'bad/all-as-child.yml:5:9: all.children.web.children.all: group "all" cannot be the child of another group',
    ],
    ['top-list.yml', 'bad/top-list.yml:1:1: inventory must be a mapping of groups (all: ...), got a list'],
    ['duplicate-key.yml', 'bad/duplicate-key.yml:4:5: invalid YAML: duplicate key "a"'],
    [
      'yaml-syntax.yml',
      'bad/yaml-syntax.yml:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  ];

  it.each(cases)('%s', async (file, message) => {
    const error = await load(`bad/${file}`).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_INVENTORY')).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('a group_vars file that is not a mapping', async () => {
    const error = await load('bad-vars/hosts.yml').catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_INVENTORY')).toBe(true);
    expect((error as Error).message).toBe(
      'bad-vars/group_vars/web.yml:1:1: must be a mapping of variables, got a list',
    );
  });

  it('a missing inventory, and no inventory at all', async () => {
    await expect(load('nope.yml')).rejects.toThrow('inventory nope.yml not found');
    await expect(loadInventory([])).rejects.toThrow('no inventory given: use -i FILE');
  });
});
