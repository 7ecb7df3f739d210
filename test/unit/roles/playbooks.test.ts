/**
 * The playbooks, vars and inventory examples shipped with Bosun load as `bosun run` loads them.
 */
import { describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { loadPlaybook } from '../../../src/model/playbook.js';

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
  it.each(
    ['playbooks/crm.yml', 'playbooks/site.yml'].flatMap((playbook) =>
      ['vars/STG/vars.yml', 'vars/QA/vars.yml', 'vars/LAB/vars.yml'].map((vars) => [playbook, vars]),
    ),
  )('%s runs on the staging inventory with -e @%s', async (playbook, vars) => {
    const input = await loadRunInput({
      playbook,
      inventory: ['inventory/staging.yml'],
      extraVars: [`@${vars}`],
    });
    expect(input.plays[0]!.hosts).toEqual(['stg-crm-web-1']);
    // Through the bastion, as the operators reach the private subnet.
    expect(input.connections.get('stg-crm-web-1')!.transport).toMatchObject({
      kind: 'ssh',
      host: '10.0.1.10',
      user: 'ubuntu',
      bastions: [{ host: 'bastion.stg.crm.example.com', user: 'ubuntu' }],
    });
    expect(Object.keys(input.extraVars.values)).toContain('users_state');
  });
});
