import { describe, expect, it } from 'vitest';
import { finishPlan } from '../../../src/modules/outcome.js';
import { acceptedModuleNames, allModules, getModule, moduleNames } from '../../../src/modules/registry.js';
import type { ChangePlan, ModuleDefinition } from '../../../src/modules/types.js';
import { lookupPath, parsePath } from '../../../src/modules/var-path.js';
import { raw } from '../../../src/transport/quote.js';
import { testContext } from './engine-run.js';

describe('registry', () => {
  it('lists the canonical names: every module the issue asks for, once', () => {
    expect([...moduleNames()].sort()).toEqual([
      'apt',
      'apt_repository',
      'assert',
      'authorized_key',
      'blockinfile',
      'command',
      'copy',
      'cron',
      'debug',
      'fail',
      'file',
      'get_url',
      'git',
      'group',
      'lineinfile',
      'meta',
      'replace',
      'service',
      'set_fact',
      'shell',
      'slurp',
      'stat',
      'sysctl',
      'template',
      'unarchive',
      'user',
      'wait_for',
    ]);
  });

  it('knows the Ansible aliases package and systemd', () => {
    expect(getModule('package')).toBe(getModule('apt'));
    expect(getModule('systemd')).toBe(getModule('service'));
  });

  it("resolves Ansible's qualified names to the same module", () => {
    expect(getModule('ansible.builtin.copy')).toBe(getModule('copy'));
    expect(getModule('ansible.legacy.shell')).toBe(getModule('shell'));
    expect(acceptedModuleNames()).toContain('ansible.builtin.set_fact');
    expect(getModule('copyy')).toBeUndefined();
    expect(getModule('ansible.builtin.nope')).toBeUndefined();
  });

  it('gives each module a kind matching what it implements', () => {
    for (const module of allModules()) {
      if (module.kind === 'controller') expect(module.controller, module.name).toBeTypeOf('function');
      else expect(module.gather, module.name).toBeTypeOf('function');
      // Check mode reads what a module's facts describe through the run's predictions.
      if (module.gather) expect(module.overlay ?? module.reads, module.name).toBeTypeOf('function');
      if (module.gather) expect(module.parse, module.name).toBeTypeOf('function');
      const properties = Object.keys((module.schema as { properties?: object }).properties ?? {});
      if (module.freeForm) expect(properties, module.name).toContain(module.freeForm);
      for (const key of module.rawArgs ?? []) expect(properties, module.name).toContain(key);
    }
  });
});

describe('finishPlan', () => {
  const plan: ChangePlan = { changed: true, summary: 's', steps: [], result: { path: '/x' } };
  const bare: ModuleDefinition = {
    name: 'bare',
    description: 'test',
    schema: {} as never,
    kind: 'plan',
    plan: () => plan,
  };
  const ok = { code: 0, stdout: '', stderr: '', durationMs: 1 };

  it("reports changed with the plan's result when every step succeeded", () => {
    expect(finishPlan(bare, {}, [ok, ok], testContext(), plan)).toEqual({
      changed: true,
      result: { path: '/x' },
    });
  });

  it("fails with the failing step's error output", () => {
    const failed = { code: 2, stdout: 'o', stderr: 'mkdir: Permission denied\n', durationMs: 1 };
    expect(finishPlan(bare, {}, [ok, failed], testContext(), plan)).toEqual({
      changed: false,
      failed: true,
      msg: 'mkdir: Permission denied',
      result: {
        path: '/x',
        msg: 'mkdir: Permission denied',
        rc: 2,
        stdout: 'o',
        stderr: 'mkdir: Permission denied\n',
      },
    });
  });

  it("uses the module's own finish when it has one", () => {
    const custom = { ...bare, finish: () => ({ changed: true, result: { custom: 1 } }) };
    expect(
      finishPlan(custom, {}, [ok], testContext(), {
        ...plan,
        steps: [{ command: raw('true'), description: 'x' }],
      }),
    ).toEqual({
      changed: true,
      result: { custom: 1 },
    });
  });
});

describe('variable paths (debug var)', () => {
  const vars = { a: { b: [10, { c: 'deep' }] }, 'odd-key': 1, list: ['x'] };
  it.each([
    ['a.b[1].c', 'deep'],
    ['a.b[0]', 10],
    [`a['b'][1]["c"]`, 'deep'],
    ['list[0]', 'x'],
    ['a.missing', undefined],
    ['list[3]', undefined],
    ['list.length', undefined],
    ['a..b', undefined],
    ['1abc', undefined],
  ])('%s', (path, value) => {
    expect(lookupPath(vars, path)).toEqual(value);
  });

  it('parses steps', () => {
    expect(parsePath(" x.y[2]['z w'] ")).toEqual(['x', 'y', 2, 'z w']);
    expect(parsePath('x + 1')).toBeUndefined();
  });
});
