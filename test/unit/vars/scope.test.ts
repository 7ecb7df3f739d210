import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/inventory/loader.js';
import { parseYaml } from '../../../src/model/yaml-source.js';
import {
  inventoryLayers,
  mappingLayer,
  PRECEDENCE_TEXT,
  VAR_LAYERS,
  type VarLayerName,
  VarScope,
} from '../../../src/vars/index.js';

const INVENTORY = 'test/fixtures/vars/inventory/hosts.yml';

describe('precedence order', () => {
  it('is the documented order, weakest first', () => {
    expect(VAR_LAYERS).toEqual([
      'role defaults',
      'inventory group vars',
      'inventory host vars',
      'play vars',
      'vars files',
      'role params',
      'task vars',
      'facts',
      'extra vars',
      'magic vars',
      'loop',
    ]);
  });

  it('is printed in the same order it is applied', () => {
    const lines = PRECEDENCE_TEXT.split('\n').slice(1);
    expect(lines).toHaveLength(VAR_LAYERS.length);
    VAR_LAYERS.forEach((layer, i) => {
      expect(lines[i]).toMatch(new RegExp(`^\\s*${i + 1}\\. ${layer}\\s`));
    });
  });

  // Every pair of layers, given in both orders: the stronger layer wins whatever the input order.
  const pairs: [VarLayerName, VarLayerName][] = [];
  VAR_LAYERS.forEach((weak, i) => {
    for (const strong of VAR_LAYERS.slice(i + 1)) pairs.push([weak, strong]);
  });
  it.each(pairs)('%s < %s', (weak, strong) => {
    const layers = [
      { layer: weak, source: `${weak} file`, values: { x: weak } },
      { layer: strong, source: `${strong} file`, values: { x: strong } },
    ];
    for (const order of [layers, [...layers].reverse()]) {
      const scope = VarScope.from(order);
      expect(scope.get('x')).toBe(strong);
      expect(scope.explain()).toEqual([
        {
          name: 'x',
          value: strong,
          layer: strong,
          source: `${strong} file`,
          overridden: [{ value: weak, layer: weak, source: `${weak} file` }],
        },
      ]);
    }
  });

  it('lets the later definition win inside one layer, keeping the earlier as overridden', () => {
    const scope = VarScope.from([
      { layer: 'vars files', source: 'a.yml', values: { x: 1, y: 'a' } },
      { layer: 'vars files', source: 'b.yml', values: { x: 2 } },
    ]);
    expect(scope.toObject()).toEqual({ x: 2, y: 'a' });
    expect(scope.explain()[0]).toEqual({
      name: 'x',
      value: 2,
      layer: 'vars files',
      source: 'b.yml',
      overridden: [{ value: 1, layer: 'vars files', source: 'a.yml' }],
    });
  });

  it('replaces mappings whole instead of merging them (hash_behaviour=replace)', () => {
    const scope = VarScope.from([
      { layer: 'role defaults', source: 'defaults', values: { cfg: { port: 80, host: 'a' } } },
      { layer: 'play vars', source: 'play', values: { cfg: { port: 8080 } } },
    ]);
    expect(scope.get('cfg')).toEqual({ port: 8080 });
  });

  it('keeps falsy values as real definitions', () => {
    const scope = VarScope.from([
      { layer: 'role defaults', source: 'd', values: { a: 'x', b: 'x', c: 'x', d: 'x' } },
      { layer: 'play vars', source: 'p', values: { a: null, b: false, c: 0, d: '' } },
    ]);
    expect(scope.toObject()).toEqual({ a: null, b: false, c: 0, d: '' });
    expect(scope.has('a')).toBe(true);
    expect(scope.has('zz')).toBe(false);
    expect(scope.get('zz')).toBeUndefined();
  });

  it('takes per-name sources of plain values, and several definitions of a name', () => {
    const scope = VarScope.from([
      {
        layer: 'play vars',
        source: 'site.yml',
        definitions: [
          { name: 'x', value: 1, source: 'site.yml:3:5' },
          { name: 'x', value: 2, source: 'site.yml:9:5' },
        ],
        values: { y: true },
        sources: { y: 'site.yml:4:5' },
      },
    ]);
    expect(scope.explain()).toEqual([
      {
        name: 'x',
        value: 2,
        layer: 'play vars',
        source: 'site.yml:9:5',
        overridden: [{ value: 1, layer: 'play vars', source: 'site.yml:3:5' }],
      },
      { name: 'y', value: true, layer: 'play vars', source: 'site.yml:4:5', overridden: [] },
    ]);
  });

  it('refuses a layer name it does not know', () => {
    expect(() => VarScope.from([{ layer: 'host facts' as VarLayerName, source: 'x', values: {} }])).toThrow(
      'unknown variable layer "host facts"',
    );
  });
});

describe('VarScope.with', () => {
  const base = VarScope.from([
    { layer: 'play vars', source: 'play', values: { a: 1, item: 'play' } },
    { layer: 'extra vars', source: '-e #1', values: { a: 'extra' } },
  ]);

  it('returns a new scope and leaves the old one as it was', () => {
    const next = base.with('facts', 'register of task 1', { result: { rc: 0 } });
    expect(next.get('result')).toEqual({ rc: 0 });
    expect(base.has('result')).toBe(false);
    expect(base.toObject()).toEqual({ a: 'extra', item: 'play' });
  });

  it('places the new layer by precedence, not last', () => {
    const next = base.with('facts', 'set_fact', { a: 'fact' });
    expect(next.get('a')).toBe('extra');
    expect(next.explain().find((e) => e.name === 'a')?.overridden).toEqual([
      { value: 1, layer: 'play vars', source: 'play' },
      { value: 'fact', layer: 'facts', source: 'set_fact' },
    ]);
  });

  it('lets a later fact replace an earlier one', () => {
    const next = base.with('facts', 'register 1', { r: 1 }).with('facts', 'register 2', { r: 2 });
    expect(next.get('r')).toBe(2);
    expect(next.explain().find((e) => e.name === 'r')?.overridden).toEqual([
      { value: 1, layer: 'facts', source: 'register 1' },
    ]);
  });

  it('gives the loop variable precedence over extra vars', () => {
    const next = base
      .with('extra vars', '-e #2', { item: 'extra' })
      .with('loop', 'loop of task 3', { item: 'x' });
    expect(next.get('item')).toBe('x');
  });

  it('returns the same scope when nothing is added', () => {
    expect(base.with('facts', 'nothing', {})).toBe(base);
  });

  it('lists names sorted and every definition weakest first', () => {
    const next = base.with('role defaults', 'defaults', { z: 0, a: 0 });
    expect(next.names()).toEqual(['a', 'item', 'z']);
    expect(next.definitions().map((d) => `${d.layer}:${d.name}`)).toEqual([
      'role defaults:z',
      'role defaults:a',
      'play vars:a',
      'play vars:item',
      'extra vars:a',
    ]);
  });
});

describe('inventory layers', () => {
  it('keep every inventory definition, its file:line:col and what it replaced', async () => {
    const inventory = await loadInventory(INVENTORY);
    const scope = VarScope.from(inventoryLayers(inventory, 'web1'));
    const explained = Object.fromEntries(scope.explain().map((e) => [e.name, e]));
    expect(explained.app_port).toEqual({
      name: 'app_port',
      value: 9999,
      layer: 'inventory host vars',
      source: 'test/fixtures/vars/inventory/host_vars/web1.yml:1:1 (host web1)',
      overridden: [
        { value: 80, layer: 'inventory group vars', source: `${INVENTORY}:3:5 (group all)` },
        { value: 8080, layer: 'inventory group vars', source: `${INVENTORY}:9:9 (group web)` },
        { value: 9090, layer: 'inventory host vars', source: `${INVENTORY}:13:11 (host web1)` },
      ],
    });
    expect(explained.region).toMatchObject({
      value: 'us',
      source: 'test/fixtures/vars/inventory/group_vars/all.yml:1:1 (group all)',
      overridden: [{ value: 'eu', layer: 'inventory group vars', source: `${INVENTORY}:4:5 (group all)` }],
    });
    expect(explained.role_name).toMatchObject({
      value: 'frontend',
      source: 'test/fixtures/vars/inventory/group_vars/web.yml:1:1 (group web)',
    });
  });

  it('agree with the inventory on every effective value', async () => {
    const inventory = await loadInventory(INVENTORY);
    for (const host of ['web1', 'web2']) {
      expect(VarScope.from(inventoryLayers(inventory, host)).toObject()).toEqual(inventory.plainVarsOf(host));
    }
  });

  it('rank below play vars', async () => {
    const inventory = await loadInventory(INVENTORY);
    const scope = VarScope.from([
      { layer: 'play vars', source: 'site.yml', values: { app_port: 1 } },
      ...inventoryLayers(inventory, 'web2'),
    ]);
    expect(scope.get('app_port')).toBe(1);
    expect(
      scope
        .explain()
        .find((e) => e.name === 'app_port')
        ?.overridden.map((o) => o.value),
    ).toEqual([80, 8080]);
  });
});

describe('mappingLayer', () => {
  it('points each variable at the key where it was written', () => {
    const source = parseYaml('- hosts: all\n  vars:\n    a: 1\n    b: [x]\n', 'site.yml');
    const vars = (source.data as { vars: Record<string, unknown> }[])[0]!.vars;
    const scope = VarScope.from([mappingLayer('play vars', source, [0, 'vars'], vars)]);
    expect(scope.explain().map((e) => [e.name, e.source])).toEqual([
      ['a', 'site.yml:3:5'],
      ['b', 'site.yml:4:5'],
    ]);
    expect(scope.definition('b')?.at).toEqual({ source, path: [0, 'vars', 'b'] });
  });
});
