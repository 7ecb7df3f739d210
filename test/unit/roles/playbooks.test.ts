/**
 * The playbooks, vars and inventory examples shipped with Bosun load as `bosun run` loads them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { loadPlaybook } from '../../../src/model/playbook.js';
import { STG_TEST_PASSWORD } from '../../support/stg-vault.js';

describe('playbooks', () => {
  it.each([
    ['playbooks/site.yml', 'all'],
    ['playbooks/crm.yml', 'crm'],
  ])('%s applies base, users and cron to %s', async (file, hosts) => {
    const playbook = await loadPlaybook(file);
    const [play] = playbook.plays;
    expect(play!.hosts).toBe(hosts);
    expect(play!.roles.map(({ role }) => role.name)).toEqual(
      expect.arrayContaining(['base', 'users', 'cron']),
    );
  });

  // Every template the roles render is checked at load: these must find all their variables.
  // crm.yml is staging's: it takes the database password from the encrypted vars/STG/secrets.yml.
  const cases: [string, string[]][] = [
    ...['vars/STG/vars.yml', 'vars/QA/vars.yml', 'vars/LAB/vars.yml'].map((vars): [string, string[]] => [
      'playbooks/site.yml',
      [vars],
    ]),
    ['playbooks/crm.yml', ['vars/STG/vars.yml', 'vars/STG/secrets.yml']],
  ];
  it.each(cases)('%s runs on the staging inventory with -e %s', async (playbook, vars) => {
    const input = await loadRunInput({
      playbook,
      inventory: ['inventory/staging.yml'],
      extraVars: vars.map((file) => `@${file}`),
      vaultPasswords: async () => STG_TEST_PASSWORD,
    });
    const web =
      playbook === 'playbooks/crm.yml' ? ['stg-crm-web-1'] : ['stg-crm-web-1', 'stg-crm-services-1'];
    expect(input.plays[0]!.hosts).toEqual(web);
    // Through the bastion, as the operators reach the private subnet.
    expect(input.connections.get('stg-crm-web-1')!.transport).toMatchObject({
      kind: 'ssh',
      host: '10.0.1.10',
      user: 'ubuntu',
      bastions: [{ host: 'bastion.stg.crm.example.com', user: 'ubuntu' }],
    });
    expect(Object.keys(input.extraVars.values)).toContain('users_state');
    if (playbook !== 'playbooks/crm.yml') return;
    // The second play: the Docker services host of the crm_services group, through the bastion.
    expect(input.plays[1]!.hosts).toEqual(['stg-crm-services-1']);
    expect(input.connections.get('stg-crm-services-1')!.transport).toMatchObject({
      host: '10.0.1.20',
      bastions: [{ host: 'bastion.stg.crm.example.com' }],
    });
  });

  it('crm.yml adds drush to the CRM host when asked, and docker to the services host', async () => {
    const [web, services] = (await loadPlaybook('playbooks/crm.yml')).plays;
    expect(web!.roles.map(({ role }) => role.name)).toContain('drush');
    expect(services!.hosts).toBe('crm_services');
    expect(services!.roles.map(({ role }) => role.name)).toEqual(['base', 'users', 'docker', 'hardening']);
  });

  it.each(['playbooks/image-base.yml', 'playbooks/image-web.yml'])(
    '%s loads for a build inside the image (packer/local.yml, --connection local)',
    async (playbook) => {
      const input = await loadRunInput({
        playbook,
        inventory: ['packer/local.yml'],
        extraVars: ['@vars/STG/vars.yml'],
        connection: { connection: 'local' },
      });
      expect(input.plays[0]!.hosts).toEqual(['image']);
      expect(input.connections.get('image')!.transport.kind).toBe('local');
    },
  );

  it('image-base.yml applies base (host name left alone), users and hardening, not cron', async () => {
    const [play] = (await loadPlaybook('playbooks/image-base.yml')).plays;
    expect(play!.roles.map(({ role }) => role.name)).toEqual(['base', 'users', 'hardening']);
    expect(play!.roles[0]!.ref.params).toEqual({ base_hostname: '' });
    expect(play!.postTasks.map((task) => task.name).at(-1)).toBe('no SSH host key is baked into the image');
  });

  it('crm.yml takes the users password hashes and the database password from vars/STG/secrets.yml', async () => {
    const input = await loadRunInput({
      playbook: 'playbooks/crm.yml',
      inventory: ['inventory/staging.yml'],
      extraVars: ['@vars/STG/vars.yml', '@vars/STG/secrets.yml'],
      vaultPasswords: async (id) => (id === 'STG' ? STG_TEST_PASSWORD : undefined),
    });
    const secrets = input.extraVars.values as {
      users_password_hashes: Record<string, string>;
      crm_db_password: string;
    };
    expect(Object.keys(secrets.users_password_hashes)).toEqual(['appadmin', 'nborromeo']);
    expect(readFileSync('vars/STG/secrets.yml', 'utf8')).not.toContain(secrets.crm_db_password);
    // Every one of them is redacted from the run's output.
    for (const value of [...Object.values(secrets.users_password_hashes), secrets.crm_db_password])
      expect(input.secrets.redact(`x ${value} x`)).toBe('x [redacted] x');
    // Without the password nothing loads, and the message names the file.
    await expect(
      loadRunInput({
        playbook: 'playbooks/crm.yml',
        inventory: ['inventory/staging.yml'],
        extraVars: ['@vars/STG/vars.yml', '@vars/STG/secrets.yml'],
      }),
    ).rejects.toThrow('vars/STG/secrets.yml: it is encrypted (vault id "STG") and no password was given');
  });
});
