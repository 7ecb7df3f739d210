import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { STG_TEST_PASSWORD } from '../../support/stg-vault.js';

// Role values that come from vars files and -e, not params:, are checked before any host is touched.
const root = resolve(import.meta.dirname, '../../..');

function load(extraVars: string[]) {
  return loadRunInput({
    playbook: join(root, 'playbooks/crm.yml'),
    inventory: [join(root, 'inventory/staging.yml')],
    extraVars: [...extraVars, '@vars/STG/secrets.yml'],
    cwd: root,
    vaultPasswords: async () => STG_TEST_PASSWORD,
  });
}

describe('role values from vars files', () => {
  it('accepts the staging vars as they are', async () => {
    await expect(load(['@vars/STG/vars.yml'])).resolves.toBeDefined();
  });

  it('refuses a login in users_state that users does not define, naming the file and key path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-role-values-'));
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'users_state:\n  appadmin: present\n  ghost: present\n');
    const error = await load(['@vars/STG/vars.yml', `@${bad}`]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /bad\.yml:3:\d+: users_state\.ghost: user "ghost" is not defined in users \(role "users", host stg-crm-web-1\)$/,
    );
  });
});
