import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerParams } from '../../../roles/docker/params.js';
import { COMPOSE_SCRIPT, VALIDATE_SCRIPT } from '../../../roles/docker/scripts.js';
import { packageRolesDir } from '../../../src/model/role-loader.js';
import { VarScope } from '../../../src/vars/scope.js';
import { renderTemplateFile } from '../../../src/vars/template.js';
import { loadWithParams, paramsError } from './role-params.js';

const DEFAULTS = Value.Default(DockerParams, {}) as Record<string, unknown>;

function daemonJson(values: Record<string, unknown> = {}): unknown {
  const file = join(packageRolesDir(), 'docker', 'templates', 'daemon.json.hbs');
  const scope = VarScope.from([
    { layer: 'role defaults', source: 'docker defaults', values: DEFAULTS },
    { layer: 'facts', source: 'test', values },
  ]);
  return JSON.parse(renderTemplateFile(readFileSync(file, 'utf8'), scope, file));
}

describe('role docker: daemon.json', () => {
  it('has the defaults: json-file with size limits, live-restore, the usual data root', () => {
    expect(daemonJson()).toEqual({
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
      'data-root': '/var/lib/docker',
      'live-restore': true,
    });
  });

  it('writes mirrors, address pools and another driver; size limits only for drivers that take them', () => {
    expect(
      daemonJson({
        docker_log_driver: 'journald',
        docker_registry_mirrors: ['https://mirror.example.com'],
        docker_default_address_pools: [{ base: '10.200.0.0/16', size: 24 }],
        docker_data_root: '/srv/docker',
        docker_live_restore: false,
      }),
    ).toEqual({
      'registry-mirrors': ['https://mirror.example.com'],
      'default-address-pools': [{ base: '10.200.0.0/16', size: 24 }],
      'log-driver': 'journald',
      'data-root': '/srv/docker',
      'live-restore': false,
    });
  });
});

describe('role docker: parameters', () => {
  it('accepts projects from a template or a file, with env files', async () => {
    const params = [
      'docker_users: [deploy]',
      'docker_default_address_pools: [{base: 10.200.0.0/16, size: 24}]',
      'docker_compose_projects:',
      '  - {name: app, template: compose/app.yml.hbs, env_files: [{name: .env, vars: {TAG: "1.2"}}, {name: db.env, src: db.env.hbs}]}',
      '  - {name: tools, file: compose/tools.yml, folder: /srv/tools, state: restarted, wait_timeout: 0}',
      '  - {name: old, state: absent}',
    ].join('\n');
    await expect(loadWithParams('docker', params)).resolves.toBeDefined();
  });

  it.each([
    [
      'two projects with one name',
      'docker_compose_projects: [{name: a, file: a.yml}, {name: a, file: b.yml}]',
      'docker_compose_projects[1].name: "a" is already docker_compose_projects[0]',
    ],
    [
      'a project without its compose file',
      'docker_compose_projects: [{name: a}]',
      'docker_compose_projects[0]: give the compose file as template or as file (one of them)',
    ],
    [
      'a project with both',
      'docker_compose_projects: [{name: a, file: a.yml, template: a.yml.hbs}]',
      'give the compose file as template or as file (one of them)',
    ],
    [
      'an env file with neither src nor vars',
      'docker_compose_projects: [{name: a, file: a.yml, env_files: [{name: .env}]}]',
      'docker_compose_projects[0].env_files[0]: give src or vars (one of them)',
    ],
    [
      'two env files with one name',
      'docker_compose_projects: [{name: a, file: a.yml, env_files: [{name: .env, src: x}, {name: .env, src: y}]}]',
      'docker_compose_projects[0].env_files[1].name: ".env" is already env_files[0]',
    ],
    [
      'a project name with a space',
      'docker_compose_projects: [{name: "a b", file: a.yml}]',
      'must be lower-case letters',
    ],
    [
      'an address pool that is not a network',
      'docker_default_address_pools: [{base: 10.200.0.0, size: 24}]',
      'must be an IPv4 network',
    ],
    ['an unknown source', 'docker_source: snap', 'docker_source'],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('docker', params)).toContain(message);
  });
});

describe('role docker: scripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-docker-role-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are valid sh and hold no "{{" for the task templating to take', () => {
    for (const script of [COMPOSE_SCRIPT, VALIDATE_SCRIPT]) {
      expect(script).not.toContain('{{');
      const file = join(dir, 'script.sh');
      writeFileSync(file, script);
      execFileSync('sh', ['-n', file]);
    }
  });

  it('in check mode, predicts an up for a project whose files change, and a removal for an absent one', () => {
    const folder = join(dir, 'gone');
    execFileSync('mkdir', ['-p', folder]);
    const out = (() => {
      try {
        execFileSync('sh', ['-c', COMPOSE_SCRIPT], {
          env: {
            PATH: '/usr/bin:/bin',
            BOSUN_CHECK: 'true',
            PROJECTS: `app /opt/compose/app present 120\ngone ${folder} absent 120\n`,
            CHANGED: 'app ',
          },
        });
        return { status: 0, stdout: '' };
      } catch (error) {
        const e = error as { status: number; stdout: Buffer };
        return { status: e.status, stdout: e.stdout.toString() };
      }
    })();
    expect(out).toEqual({
      status: 10,
      stdout: `would up -d compose project app (its files change)\nwould remove compose project gone\n`,
    });
  });
});
