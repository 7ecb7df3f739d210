import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDrush, INSTALL_SCRIPT } from '../../../roles/drush/index.js';
import { loadRunInput } from '../../../src/engine/input.js';
import { loadPlaybook } from '../../../src/model/playbook.js';
import { CHANGED_RC } from '../../../src/model/role-scripts.js';
import { STG_TEST_PASSWORD } from '../../support/stg-vault.js';
import { loadWithParams, paramsError } from './role-params.js';

describe('role drush: parameters', () => {
  it("installs Drush 12 (PHP 8.2's last) globally from Packagist by default", async () => {
    const playbook = await loadWithParams('drush', '{}');
    expect(playbook.plays[0]!.roles[0]!.role.defaults).toEqual({
      drush_version: '12.5.3',
      drush_install: 'global',
      drush_dir: '/opt/drush',
      drush_owner: 'root',
      drush_bin: '/usr/local/bin/drush',
      drush_composer_repository: 'https://repo.packagist.org',
      drush_php_packages: [],
      drush_aliases: [],
      drush_cron: [],
    });
  });

  it('accepts a site project, local and remote aliases, and cron entries', async () => {
    const params = [
      'drush_install: project',
      'drush_dir: /var/www/crm',
      'drush_owner: www-data',
      'drush_php_packages: [php-mysql, php-gd]',
      'drush_aliases:',
      '  - name: crm',
      '    environments:',
      '      stg: {root: /var/www/crm/web, uri: "https://crm.stg.example.com"}',
      '      prod: {host: crm.example.com, user: deploy, root: /var/www/crm/web, ssh: {options: "-p 2222"}, paths: {drush-script: /var/www/crm/vendor/bin/drush}}',
      '  - {name: old, environments: {x: {root: /srv/old}}, state: absent}',
      'drush_cron:',
      '  - {alias: crm.stg, minute: "*/15"}',
      '  - {alias: crm.prod, special_time: hourly, user: deploy}',
      '  - {alias: old.x, state: absent}',
    ].join('\n');
    await expect(loadWithParams('drush', params)).resolves.toBeDefined();
  });

  it.each([
    [
      'a version range instead of a pin',
      'drush_version: "^12"',
      'playbook.yml:5:24: [0].roles[0].params.drush_version: must be an exact version such as "12.5.3"',
    ],
    [
      'a repository over plain http',
      'drush_composer_repository: "http://mirror.example.com"',
      'playbook.yml:5:36: [0].roles[0].params.drush_composer_repository: must be an https:// or file:// URL',
    ],
    [
      'two alias files for one site',
      'drush_aliases: [{name: a, environments: {x: {root: /a}}}, {name: a, environments: {y: {root: /b}}}]',
      'playbook.yml:5:74: [0].roles[0].params.drush_aliases[1].name: "a" is already drush_aliases[0]',
    ],
    [
      'an environment name with a dot',
      'drush_aliases: [{name: a, environments: {x.y: {root: /a}}}]',
      'playbook.yml:5:50: [0].roles[0].params.drush_aliases[0].environments["x.y"]: "x.y" is not an environment name (lower-case letters, digits, "_" and "-", starting with a letter or digit)',
    ],
    [
      'an alias key Drush does not have',
      'drush_aliases: [{name: a, environments: {x: {root: /a, docroot: /b}}}]',
      'playbook.yml:5:64: [0].roles[0].params.drush_aliases[0].environments.x.docroot: unknown key; expected one of: root, uri, host, user, ssh, paths',
    ],
    [
      'cron for a site no alias names',
      'drush_cron: [{alias: crm.stg}]',
      'playbook.yml:5:30: [0].roles[0].params.drush_cron[0].alias: "crm.stg" is not a site.environment of drush_aliases',
    ],
    [
      'a special time and a minute',
      'drush_aliases: [{name: a, environments: {x: {root: /a}}}]\ndrush_cron: [{alias: a.x, special_time: daily, minute: "5"}]',
      'playbook.yml:6:64: [0].roles[0].params.drush_cron[0].minute: give special_time or minute, not both',
    ],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('drush', params)).toBe(message);
  });

  it('tells cron entries of different users apart, and counts drush_owner as the default user', () => {
    const drush_aliases = [{ name: 'a', environments: { x: { root: '/a' } } }];
    expect(
      checkDrush({ drush_aliases, drush_cron: [{ alias: 'a.x' }, { alias: 'a.x', user: 'deploy' }] }),
    ).toEqual([]);
    expect(
      checkDrush({
        drush_owner: 'deploy',
        drush_aliases,
        drush_cron: [{ alias: 'a.x' }, { alias: 'a.x', user: 'deploy' }],
      }),
    ).toEqual([
      {
        path: ['drush_cron', 1, 'alias'],
        message: '"a.x" already has an entry for user deploy: drush_cron[0]',
      },
    ]);
  });
});

describe('role drush: the install script', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * The script on a project folder (with a composer.json or not), a `composer` on the PATH that
   * logs its arguments; paths shown as DIR.
   */
  function install(env: Record<string, string>, composerJson: boolean) {
    dir = mkdtempSync(join(tmpdir(), 'bosun-drush-'));
    mkdirSync(join(dir, 'bin'));
    const composer = join(dir, 'bin', 'composer');
    writeFileSync(composer, `#!/bin/sh\necho "superuser=\${COMPOSER_ALLOW_SUPERUSER:-} $*" >> ${dir}/log\n`);
    chmodSync(composer, 0o755);
    if (composerJson) writeFileSync(join(dir, 'composer.json'), '{}');
    const result = spawnSync('sh', ['-c', INSTALL_SCRIPT], {
      encoding: 'utf8',
      env: { PATH: `${dir}/bin:/usr/bin:/bin`, DIR: dir, OWNER: 'root', DRUSH_VERSION: '12.5.3', ...env },
    });
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    const shown = (text: string) => text.replaceAll(dir, 'DIR');
    return {
      status: result.status,
      stdout: shown(result.stdout),
      stderr: shown(result.stderr),
      log: shown(log),
    };
  }

  it('in check mode on a fresh host says what it would install and calls no Composer', () => {
    expect(install({ MODE: 'global', BOSUN_CHECK: 'true' }, false)).toEqual({
      status: CHANGED_RC,
      stdout: 'would install drush/drush 12.5.3 in DIR with Composer (was: none)\n',
      stderr: '',
      log: '',
    });
  });

  it("runs composer update in the role's project, as root with COMPOSER_ALLOW_SUPERUSER", () => {
    expect(install({ MODE: 'global' }, true)).toEqual({
      status: CHANGED_RC,
      stdout: 'install drush/drush 12.5.3 in DIR with Composer (was: none)\n',
      stderr: '',
      log: 'superuser=1 --working-dir=DIR --no-interaction --no-progress update --no-dev\n',
    });
  });

  it("runs composer require in a site's project, and refuses a folder without composer.json", () => {
    expect(install({ MODE: 'project' }, true).log).toBe(
      'superuser=1 --working-dir=DIR --no-interaction --no-progress require drush/drush:12.5.3 --update-with-dependencies\n',
    );
    const missing = install({ MODE: 'project' }, false);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      'no composer.json in DIR: drush_install "project" installs into an existing Composer project\n',
    );
    expect(missing.log).toBe('');
  });
});

describe('playbooks/crm.yml', () => {
  it('applies drush after cron and before hardening, only when crm_drush is true', async () => {
    const playbook = await loadPlaybook('playbooks/crm.yml');
    const roles = playbook.plays[0]!.roles;
    const names = roles.map(({ role }) => role.name);
    expect(names.indexOf('drush')).toBe(names.indexOf('cron') + 1);
    expect(names.indexOf('hardening')).toBe(names.indexOf('drush') + 1);
    expect(roles.find(({ role }) => role.name === 'drush')!.ref.when).toBe('default crm_drush false');
  });

  it('loads on the staging inventory with drush turned on, its aliases and a cron entry', async () => {
    const drush = {
      crm_drush: true,
      drush_aliases: [
        { name: 'crm', environments: { stg: { root: '/var/www/crm/web', uri: 'https://crm' } } },
      ],
      drush_cron: [{ alias: 'crm.stg', minute: '*/15', user: 'www-data' }],
    };
    const input = await loadRunInput({
      playbook: 'playbooks/crm.yml',
      inventory: ['inventory/staging.yml'],
      extraVars: ['@vars/STG/vars.yml', '@vars/STG/secrets.yml', JSON.stringify(drush)],
      vaultPasswords: async () => STG_TEST_PASSWORD,
    });
    expect(input.extraVars.values).toMatchObject(drush);
  });
});
