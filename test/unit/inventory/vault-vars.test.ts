/**
 * Encrypted values in an inventory (group_vars/, host_vars/, inline vars) and in a play's
 * `vars:` are opened as vars files' are: decrypted with the run's vault passwords, added to
 * its secrets, and a missing or wrong password is an error naming the file and the key before
 * any host is touched. Every view of them (`bosun inventory host|graph`, `bosun vars`, a run)
 * redacts them by value.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { loadInventory } from '../../../src/inventory/loader.js';
import { Secrets } from '../../../src/vars/secrets.js';
import { encryptVault } from '../../../src/vars/vault.js';
import { runInProcess } from '../../support/in-process-cli.js';
import { STG_PASSWORD_FILE, STG_TEST_PASSWORD } from '../../support/stg-vault.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-inventory-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GROUP_SECRET = 'Group-Vars-Pw-6620';
const HOST_SECRET = 'Host-File-Pw-1187';
const INLINE_SECRET = 'Inline-Token-3054';
const PLAY_SECRET = 'Play-Vars-Key-9902';
const SECRETS = [GROUP_SECRET, HOST_SECRET, INLINE_SECRET, PLAY_SECRET];
const VAULT = ['--vault-id', `STG@${STG_PASSWORD_FILE}`];

/** `NAME: !vault |` with `plain` encrypted under the STG test password. */
function vaultValue(name: string, plain: string): string {
  const text = encryptVault(plain, STG_TEST_PASSWORD, 'STG').trimEnd().replace(/^/gm, '  ');
  return `${name}: !vault |\n${text}\n`;
}

const out = join(dir, 'out');
mkdirSync(join(dir, 'group_vars'));
mkdirSync(join(dir, 'host_vars'));
writeFileSync(
  join(dir, 'inventory.yml'),
  `all:\n  hosts:\n    here:\n      bosun_connection: local\n      ${vaultValue('api_token', INLINE_SECRET).replace(/\n(?=.)/g, '\n      ')}`,
);
const groupVars = `region: eu-west-1\n${vaultValue('db_password', GROUP_SECRET)}db_url: "postgres://app:{{ db_password }}@db"\n`;
writeFileSync(join(dir, 'group_vars', 'all.yml'), groupVars);
writeFileSync(
  join(dir, 'host_vars', 'here.yml'),
  encryptVault(`host_key: ${HOST_SECRET}\n`, STG_TEST_PASSWORD, 'STG'),
);
writeFileSync(
  join(dir, 'play.yml'),
  `- hosts: all\n  vars:\n    ${vaultValue('play_key', PLAY_SECRET).replace(/\n(?=.)/g, '\n    ')}  tasks:\n${[
    `    - file: { path: ${out}, state: directory }`,
    `    - copy: { dest: ${out}/app.conf, content: "{{ db_password }} {{ host_key }} {{ api_token }} {{ play_key }}", mode: "0600" }`,
    '    - debug: { msg: "db {{ db_password }}, host {{ host_key }}, token {{ api_token }}, play {{ play_key }}" }',
  ].join('\n')}\n`,
);

const leaks = (text: string) => SECRETS.filter((secret) => text.includes(secret));

describe('encrypted inventory values', () => {
  it('are decrypted in group_vars, host_vars (a whole encrypted file) and inline vars, and are secrets', async () => {
    const secrets = new Secrets();
    const passwords = async (id: string) => (id === 'STG' ? STG_TEST_PASSWORD : undefined);
    const inventory = await loadInventory(['inventory.yml'], { cwd: dir, vault: { passwords, secrets } });
    const vars = inventory.varsOf('here');
    expect(vars.db_password?.value).toBe(GROUP_SECRET);
    expect(vars.host_key?.value).toBe(HOST_SECRET);
    expect(vars.api_token?.value).toBe(INLINE_SECRET);
    expect(vars.region?.value).toBe('eu-west-1');
    for (const secret of [GROUP_SECRET, HOST_SECRET, INLINE_SECRET])
      expect(secrets.redact(`x ${secret} y`)).toBe('x [redacted] y');
    // A plain value of a plain file is not a secret.
    expect(secrets.redact('eu-west-1')).toBe('eu-west-1');
  });

  it('without a password are an error naming the file and the key, never a wrong value', async () => {
    const error = await loadInventory(['inventory.yml'], { cwd: dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BOSUN_VAULT' });
    expect((error as Error).message).toBe(
      'inventory.yml: all.hosts.here.api_token: it is encrypted (vault id "STG") and no password was given: use --vault-password-file FILE, --vault-id STG@FILE or $BOSUN_VAULT_PASSWORD',
    );
    const shown = await runInProcess(['inventory', 'host', 'here', '-i', 'inventory.yml'], { cwd: dir });
    expect(shown.code).toBe(4);
    expect(shown.stderr).toContain(
      'error[BOSUN_VAULT]: inventory.yml: all.hosts.here.api_token: it is encrypted',
    );
  });

  it('with a wrong password or a changed byte: an error naming the file and key, and nothing runs', async () => {
    writeFileSync(join(dir, 'wrong'), 'not the password\n');
    rmSync(out, { recursive: true, force: true });
    const wrong = await runInProcess(['run', 'play.yml', '-i', 'inventory.yml', '--vault-id', 'STG@wrong'], {
      cwd: dir,
      env: { CI: 'true' },
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain(
      'error[BOSUN_VAULT]: inventory.yml: all.hosts.here.api_token: cannot decrypt with the password of vault id "STG"',
    );
    // The group_vars value with one byte of its ciphertext changed.
    const tampered = groupVars.replace(
      /(\$BOSUN_VAULT[^\n]*\n\s+)(.)/,
      (_m, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`,
    );
    const other = join(dir, 'tampered');
    mkdirSync(join(other, 'group_vars'), { recursive: true });
    writeFileSync(join(other, 'hosts.yml'), 'all:\n  hosts:\n    there: { bosun_connection: local }\n');
    writeFileSync(join(other, 'group_vars', 'all.yml'), tampered);
    const changed = await runInProcess(['inventory', 'host', 'there', '-i', 'tampered/hosts.yml', ...VAULT], {
      cwd: dir,
    });
    expect(changed.code).toBe(4);
    expect(changed.stderr).toContain(
      'error[BOSUN_VAULT]: tampered/group_vars/all.yml: db_password: cannot decrypt with the password of vault id "STG": wrong password, or the file was changed',
    );
    expect(leaks(wrong.stdout + wrong.stderr + changed.stdout + changed.stderr)).toEqual([]);
    expect(() => readFileSync(join(out, 'app.conf'))).toThrow();
  });

  it('bosun inventory host and graph --vars show them as [redacted], and values made from them too', async () => {
    for (const argv of [
      ['inventory', 'host', 'here'],
      ['inventory', 'host', 'here', '--json'],
      ['inventory', 'graph', '--vars'],
    ]) {
      const { code, stdout, stderr } = await runInProcess([...argv, '-i', 'inventory.yml', ...VAULT], {
        cwd: dir,
      });
      expect(code, stderr).toBe(0);
      expect(leaks(stdout + stderr)).toEqual([]);
      expect(stdout).not.toContain('BOSUN_VAULT');
      expect(stdout).toContain('[redacted]');
      expect(stdout).toContain('eu-west-1');
    }
    const { stdout } = await runInProcess(['inventory', 'host', 'here', '-i', 'inventory.yml', ...VAULT], {
      cwd: dir,
    });
    expect(stdout).toContain('  db_password = [redacted]\n');
    expect(stdout).toContain('  host_key = [redacted]\n');
    expect(stdout).toContain('  api_token = [redacted]\n');
  });

  it('bosun vars redacts them by value, with and without a playbook', async () => {
    for (const argv of [[], ['--json'], ['--playbook', 'play.yml']]) {
      const { code, stdout, stderr } = await runInProcess(
        ['vars', 'here', '-i', 'inventory.yml', ...VAULT, ...argv],
        { cwd: dir },
      );
      expect(code, stderr).toBe(0);
      expect(leaks(stdout + stderr)).toEqual([]);
      expect(stdout).not.toContain('BOSUN_VAULT');
      expect(stdout).toContain('postgres://app:[redacted]@db');
    }
  });

  it('a whole encrypted vars_files file is opened at the run, not refused by the playbook check', async () => {
    writeFileSync(
      join(dir, 'files.yml'),
      encryptVault(`file_key: ${PLAY_SECRET}\n`, STG_TEST_PASSWORD, 'STG'),
    );
    writeFileSync(join(dir, 'files-play.yml'), '- hosts: all\n  vars_files: [files.yml]\n  tasks: []\n');
    const input = await loadRunInput({
      playbook: 'files-play.yml',
      inventory: ['inventory.yml'],
      cwd: dir,
      vaultPasswords: async () => STG_TEST_PASSWORD,
    });
    const [layer] = input.plays[0]!.varsFiles.get('here')!;
    expect(layer?.definitions?.map((d) => [d.name, d.value])).toEqual([['file_key', PLAY_SECRET]]);
    expect(input.secrets.redact(PLAY_SECRET)).toBe('[redacted]');
  });

  it("a play's vars: !vault value is decrypted, used by the tasks, and never printed", async () => {
    const input = await loadRunInput({
      playbook: 'play.yml',
      inventory: ['inventory.yml'],
      cwd: dir,
      vaultPasswords: async () => STG_TEST_PASSWORD,
    });
    expect(input.plays[0]!.play.vars.play_key).toBe(PLAY_SECRET);
    expect(input.secrets.redact(PLAY_SECRET)).toBe('[redacted]');
    for (const mode of [[], ['--json']]) {
      const { code, stdout, stderr } = await runInProcess(
        ['run', 'play.yml', '-i', 'inventory.yml', ...VAULT, ...mode],
        { cwd: dir, env: { CI: 'true' } },
      );
      expect(code, stdout + stderr).toBe(0);
      expect(leaks(stdout + stderr)).toEqual([]);
      expect(stdout).toContain('db [redacted], host [redacted], token [redacted], play [redacted]');
    }
    expect(readFileSync(join(out, 'app.conf'), 'utf8')).toBe(
      `${GROUP_SECRET} ${HOST_SECRET} ${INLINE_SECRET} ${PLAY_SECRET}`,
    );
  });
});
