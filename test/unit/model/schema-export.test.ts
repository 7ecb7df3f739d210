import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { exportSchemas } from '../../../src/model/schema-export.js';
import { loadYamlFile } from '../../../src/model/yaml-source.js';

const ajv = new Ajv({ strict: false, allErrors: true });

let fixtureValidator: Promise<ValidateFunction> | undefined;

/** The playbook schema with the fixture roles, compiled once: compiling it costs about a CPU second. */
function playbookValidator(): Promise<ValidateFunction> {
  fixtureValidator ??= exportSchemas({ rolesDir: resolve('test/fixtures/roles') }).then((schemas) =>
    ajv.compile(schemas['playbook.schema.json']!),
  );
  return fixtureValidator;
}

async function data(file: string): Promise<unknown> {
  return (await loadYamlFile(file)).data;
}

describe('exportSchemas', () => {
  it('writes the playbook, inventory (static and aws_ec2) and vars schemas, and one per TypeScript role', async () => {
    const schemas = await exportSchemas({ rolesDir: resolve('test/fixtures/roles') });
    expect(Object.keys(schemas).sort()).toEqual([
      'aws-ec2-inventory.schema.json',
      'inventory.schema.json',
      'playbook.schema.json',
      'role-greeting.schema.json',
      'vars.schema.json',
    ]);
    expect(schemas['role-greeting.schema.json']).toMatchObject({
      title: 'Parameters of Bosun role "greeting"',
      required: ['who'],
      properties: { who: { type: 'string' }, times: { type: 'integer', default: 1 } },
    });
  });

  it('accepts the example playbooks, templates included', async () => {
    const validate = await playbookValidator();
    for (const file of ['site.yml', 'twice.yml', 'templated.yml']) {
      const ok = validate(await data(`test/fixtures/playbooks/${file}`));
      expect(ok, `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('refuses what the loader refuses, so editors flag it', async () => {
    const validate = await playbookValidator();
    const refused = [
      [{ tasks: [] }],
      [{ hosts: 'all', task: [] }],
      [{ hosts: 'all', tasks: [{ debug: { msg: 'x' }, nmae: 'x' }] }],
      [{ hosts: 'all', tasks: [{ copy: { content: 'x', dst: '/x' } }] }],
      [{ hosts: 'all', tasks: [{ file: { path: '/x', state: 'folder' } }] }],
      [{ hosts: 'all', serial: 0 }],
      [{ hosts: 'all', roles: [{ role: 'greeting', params: { who: 'x', times: 'two' } }] }],
      [{ hosts: 'all', roles: [{ role: 'greeting', params: { who: 'x', tmes: 2 } }] }],
    ];
    for (const playbook of refused) expect(validate(playbook), JSON.stringify(playbook)).toBe(false);
  });

  it('types the vars file names', async () => {
    const schemas = await exportSchemas();
    const validate = ajv.compile(schemas['vars.schema.json']!);
    expect(validate({ app_name: 'x' })).toBe(true);
    expect(validate({ 'app-name': 'x' })).toBe(false);
    expect(validate(null)).toBe(true);
  });

  it('has the inventory schema of the inventory loader', async () => {
    const schemas = await exportSchemas();
    const validate = ajv.compile(schemas['inventory.schema.json']!);
    expect(
      validate({ all: { hosts: { web1: { bosun_port: 22 } }, children: { db: { hosts: { db1: null } } } } }),
    ).toBe(true);
    expect(validate({ all: { host: {} } })).toBe(false);
  });
});
