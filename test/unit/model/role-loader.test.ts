import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RoleRef } from '../../../src/model/playbook-types.js';
import { defineRole, isRoleDefinition } from '../../../src/model/role.js';
import {
  checkRoleParams,
  packageRolesDir,
  RoleLoader,
  roleSearchPath,
} from '../../../src/model/role-loader.js';
import { registryCatalog } from '../../../src/model/task-modules.js';
import { parseYaml } from '../../../src/model/yaml-source.js';

const ROLES = resolve('test/fixtures/roles');
const loader = () => new RoleLoader({ searchPath: [ROLES], catalog: registryCatalog });

/** A role reference as written in a playbook, to check params against. */
function ref(text: string): RoleRef {
  const source = parseYaml(text, 'playbook.yml');
  const params = (source.data as { params: Record<string, unknown> }).params;
  return { name: 'greeting', params, at: source.positionOf([]), tags: [], source, path: [] };
}

describe('roleSearchPath', () => {
  it('looks in the given folders, beside the playbook, above it, then in Bosun', () => {
    expect(roleSearchPath('/p/playbooks', ['extra'], '/cwd')).toEqual([
      '/cwd/extra',
      '/p/playbooks/roles',
      '/p/roles',
      packageRolesDir(),
    ]);
    expect(packageRolesDir()).toBe(resolve('roles'));
  });
});

describe('RoleLoader', () => {
  it('loads a TypeScript role: schema, defaults from the schema and declared, tasks, handlers', async () => {
    const role = await loader().load('greeting');
    expect(role).toMatchObject({
      name: 'greeting',
      kind: 'typescript',
      dir: join(ROLES, 'greeting'),
      defaults: { greeting: 'Hello', times: 1, path: '/tmp/greeting.txt' },
    });
    expect(role.schema).toBeDefined();
    expect(role.templatesDir).toBeUndefined();
    expect(role.tasks.map((t) => [t.name, t.module, t.role])).toEqual([
      ['write the greeting', 'copy', 'greeting'],
      ['debug msg={{ greeting }} x{{ times }}', 'debug', 'greeting'],
    ]);
    // Tasks written in TypeScript are located at the defineRole call, their key path says which.
    const file = 'test/fixtures/roles/greeting/index.ts';
    expect(role.tasks[0]!.at).toEqual({ file, line: 5, column: 16 });
    expect(role.tasks.map((t) => t.id)).toEqual([`${file}:5:tasks[0]`, `${file}:5:tasks[1]`]);
    expect(role.handlers.map((h) => h.name)).toEqual(['greeting changed']);
  });

  it('loads a YAML role with its defaults, handlers and folders', async () => {
    const role = await loader().load('motd');
    expect(role).toMatchObject({
      name: 'motd',
      kind: 'yaml',
      defaults: { motd_text: 'Welcome to a Bosun host' },
      templatesDir: join(ROLES, 'motd', 'templates'),
      filesDir: join(ROLES, 'motd', 'files'),
    });
    expect(role.schema).toBeUndefined();
    expect(role.tasks.map((t) => t.id)).toEqual([
      'test/fixtures/roles/motd/tasks/main.yml:1',
      'test/fixtures/roles/motd/tasks/main.yml:9',
    ]);
    expect(role.handlers[0]!.name).toBe('motd changed');
  });

  it('loads a role in plain JavaScript', async () => {
    const role = await loader().load('plainjs');
    expect(role).toMatchObject({ kind: 'typescript', defaults: { who: 'js' } });
  });

  it('loads each role once', async () => {
    const roles = loader();
    expect(await roles.load('motd')).toBe(await roles.load('motd'));
  });

  it('lists the roles it can find', () => {
    expect(loader().available()).toEqual(['greeting', 'motd', 'plainjs']);
  });

  it('says which folders it searched for a missing role', async () => {
    await expect(loader().load('motdd')).rejects.toThrow(
      `role "motdd" not found; did you mean "motd"? (searched: test/fixtures/roles)`,
    );
  });

  describe('refuses a malformed role', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-roles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const make = (files: Record<string, string>) => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
    };
    const load = (name: string) =>
      new RoleLoader({ searchPath: [dir], catalog: registryCatalog, cwd: dir }).load(name);

    it('with nothing to run', async () => {
      make({ 'empty/README.md': 'nothing' });
      await expect(load('empty')).rejects.toThrow(
        'empty: role "empty" has neither index.ts nor tasks/main.yml',
      );
    });

    it('with role vars, not supported', async () => {
      make({ 'withvars/tasks/main.yml': '- command: a\n', 'withvars/vars/main.yml': 'a: 1\n' });
      await expect(load('withvars')).rejects.toThrow(
        'withvars/vars/main.yml: role vars (vars/main.yml) are not supported yet',
      );
    });

    it('with defaults that are not a mapping, or badly named', async () => {
      make({ 'baddefaults/tasks/main.yml': '[]\n', 'baddefaults/defaults/main.yml': '- a\n' });
      await expect(load('baddefaults')).rejects.toThrow(
        'baddefaults/defaults/main.yml:1:1: defaults must be a mapping of variables, got a list',
      );
      make({ 'badname/tasks/main.yml': '[]\n', 'badname/defaults/main.yml': 'my-var: 1\n' });
      await expect(load('badname')).rejects.toThrow(
        'badname/defaults/main.yml:1:1: my-var: "my-var" is not a valid variable name',
      );
    });

    it('whose code does not export a role', async () => {
      make({ 'notarole/index.js': 'export default 42;\n' });
      await expect(load('notarole')).rejects.toThrow(
        'notarole/index.js: role "notarole" must default-export defineRole({ name, schema, tasks, ... })',
      );
    });

    it('whose code fails to load', async () => {
      make({ 'throws/index.js': 'throw new Error("boom");\n' });
      await expect(load('throws')).rejects.toThrow('throws/index.js: cannot load role "throws": boom');
    });
  });
});

describe('checkRoleParams', () => {
  it('accepts params that fill the schema with the defaults', async () => {
    const role = await loader().load('greeting');
    expect(() => checkRoleParams(role, ref('params: { who: world }'))).not.toThrow();
  });

  it('accepts templated values, checked once rendered', async () => {
    const role = await loader().load('greeting');
    expect(() => checkRoleParams(role, ref('params: { who: "{{ me }}", times: "{{ n }}" }'))).not.toThrow();
  });

  it('checks the defaults too (a required param without default)', async () => {
    const role = await loader().load('greeting');
    expect(() => checkRoleParams(role, ref('params: {}'))).toThrow(
      'playbook.yml:1:9: params: missing required parameter "who" of role "greeting"',
    );
    expect(() => checkRoleParams(role, ref('params: { who: x, times: 0 }'))).toThrow(
      'playbook.yml:1:26: params.times: must be >= 1',
    );
  });

  it('accepts any params for a YAML role', async () => {
    const role = await loader().load('motd');
    expect(() => checkRoleParams(role, ref('params: { anything: [1, 2] }'))).not.toThrow();
  });
});

describe('defineRole', () => {
  it('brands the definition and records where it was made', () => {
    const role = defineRole({ name: 'x', tasks: [] });
    expect(isRoleDefinition(role)).toBe(true);
    expect(isRoleDefinition({ name: 'x', tasks: [] })).toBe(false);
    expect(role.definedAt?.file).toBe(resolve('test/unit/model/role-loader.test.ts'));
  });
});
