/**
 * Secrets never leave a run: known secret strings are put in every place output can come
 * from (a vault file, a `!vault` value, the become password, a no_log task's output, a
 * templated task name, a loop item, a diff, a failure, the command's environment and script)
 * and every output stream of `bosun run` (plain, --json, --check --diff) and `bosun vars` is
 * searched for them; `ps` is sampled on this machine while the run's commands run. The run
 * uses the local connection (the controller is the host) in a scratch folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { encryptVault } from '../../../src/vars/vault.js';
import { stringify } from '../../../src/vendor/yaml.js';
import { runInProcess } from '../../support/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-redaction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VAULT_PASSWORD = 'test vault password';
const DB = 'Db-S3cret-7781';
const API = 'Api-Key-55410';
const BECOME = 'Become-Pw-4821';
const NOLOG = 'NoLog-Out-9931';
const SECRETS = [DB, API, BECOME, NOLOG];

writeFileSync(join(dir, 'pw'), `${VAULT_PASSWORD}\n`);
writeFileSync(
  join(dir, 'inventory.yml'),
  `all:\n  hosts:\n    here: { bosun_connection: local, bosun_become_password: ${BECOME} }\n`,
);
writeFileSync(join(dir, 'secrets.yml'), encryptVault(`db_password: ${DB}\n`, VAULT_PASSWORD, 'STG'));
const apiVault = encryptVault(API, VAULT_PASSWORD, 'STG')
  .trimEnd()
  .split('\n')
  .map((line) => `  ${line}`)
  .join('\n');
writeFileSync(join(dir, 'plain.yml'), `region: eu-west-1\napi_key: !vault |\n${apiVault}\n`);

const out = join(dir, 'out');
writeFileSync(
  join(dir, 'play.yml'),
  stringify(
    [
      {
        name: 'secrets',
        hosts: 'all',
        tasks: [
          { name: 'folder', file: { path: out, state: 'directory' } },
          { name: 'db says', debug: { msg: 'the db password is {{ db_password }}' } },
          { name: 'become says', debug: { msg: '{{ bosun_become_password }}' } },
          {
            name: 'store {{ api_key }}',
            copy: { dest: `${out}/api.conf`, content: 'key={{ api_key }}\n', mode: '0600' },
          },
          { name: 'items', debug: { msg: 'item' }, loop: ['{{ api_key }}', 'plain'] },
          {
            name: 'secret output',
            // The secret is made by the command, never written whole in its argv: a command's
            // own argv shows in `ps` while it runs, as it does for any program.
            command: `printf ${NOLOG.slice(0, -4)}%s ${NOLOG.slice(-4)}`,
            no_log: true,
            register: 'hidden',
            check_mode: false,
          },
          { name: 'print it', debug: { var: 'hidden.stdout' } },
          {
            name: 'in the environment and the script',
            shell: 'sleep 1.5; echo "{{ db_password }}" >/dev/null; printf %s "$TOKEN" >/dev/null',
            environment: { TOKEN: '{{ db_password }}' },
            check_mode: false,
          },
          {
            name: 'fails',
            shell: 'echo "no {{ db_password }}" >&2; exit 3',
            ignore_errors: true,
            check_mode: false,
          },
        ],
      },
    ],
    { version: '1.1' },
  ),
);

const varsArgs = ['-e', '@secrets.yml', '-e', '@plain.yml', '--vault-password-file', 'pw'];

/** `ps` on this machine every 100 ms while `work` runs: every command line seen. */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      lines.push(...execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return { result: await work(), lines };
  } finally {
    done = true;
    await sampler;
  }
}

function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret));
}

describe('redaction', () => {
  for (const mode of [[], ['--json'], ['--check', '--diff'], ['--diff', '--json']]) {
    it(`bosun run ${mode.join(' ') || '(plain)'} prints no secret`, async () => {
      const { result, lines } = await sampled(() =>
        runInProcess(['run', 'play.yml', '-i', 'inventory.yml', ...varsArgs, ...mode], {
          cwd: dir,
          env: { CI: 'true' },
        }),
      );
      const all = `${result.stdout}\n${result.stderr}`;
      expect(result.code, all).toBe(0);
      expect(leaks(all)).toEqual([]);
      expect(all).toContain('[redacted]');
      // The task ran with the secret: only its printing was redacted.
      if (!mode.includes('--check')) expect(readFileSync(join(out, 'api.conf'), 'utf8')).toBe(`key=${API}\n`);
      // Neither the script nor the environment of a command shows in the process list.
      expect(lines.some((line) => line.includes('sleep 1.5'))).toBe(true);
      expect(lines.filter((line) => leaks(line).length > 0)).toEqual([]);
    }, 60_000);
  }

  it('bosun vars shows vault values and passwords as [redacted]', async () => {
    for (const json of [[], ['--json']]) {
      const { code, stdout, stderr } = await runInProcess(
        ['vars', 'here', '-i', 'inventory.yml', ...varsArgs, '--playbook', 'play.yml', ...json],
        { cwd: dir },
      );
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('db_password');
      expect(leaks(stdout + stderr)).toEqual([]);
    }
  });

  it('a wrong vault password is an error naming the file, and nothing runs', async () => {
    writeFileSync(join(dir, 'wrong'), 'not it\n');
    rmSync(out, { recursive: true, force: true });
    const { code, stderr } = await runInProcess(
      ['run', 'play.yml', '-i', 'inventory.yml', '-e', '@secrets.yml', '--vault-password-file', 'wrong'],
      { cwd: dir, env: { CI: 'true' } },
    );
    expect(code).toBe(4);
    expect(stderr).toContain('error[BOSUN_VAULT]: secrets.yml: cannot decrypt');
    expect(existsSync(out)).toBe(false);
  });

  it('without a password an encrypted value is an error naming the file and key', async () => {
    const { code, stderr } = await runInProcess(
      ['run', 'play.yml', '-i', 'inventory.yml', '-e', '@plain.yml'],
      {
        cwd: dir,
        env: { CI: 'true' },
      },
    );
    expect(code).toBe(4);
    expect(stderr).toContain('plain.yml: api_key: it is encrypted (vault id "STG")');
  });
});

describe('secret role parameters', () => {
  it("the users role's password hashes are secrets of the run", async () => {
    const hash = '$6$rounds=5000$saltsalt$ZyxWvuTsrQponMLKjihgfEDCBA0123456789';
    writeFileSync(
      join(dir, 'users.yml'),
      stringify({
        users: {
          ann: {
            name: 'Ann',
            uid: 1300,
            groups: ['devs'],
            password: hash,
            ssh_keys: ['ssh-ed25519 AAAAC3Nz ann@x'],
          },
        },
        users_state: { ann: 'present' },
      }),
    );
    writeFileSync(join(dir, 'site.yml'), stringify([{ hosts: 'all', roles: ['users'] }]));
    const input = await loadRunInput({
      playbook: join(dir, 'site.yml'),
      inventory: [join(dir, 'inventory.yml')],
      extraVars: ['@users.yml'],
      cwd: dir,
    });
    const label = JSON.stringify([{ key: 'ann', value: { password: hash } }, 'devs']);
    expect(input.secrets.redact(label)).not.toContain(hash);
    expect(input.secrets.redact(label)).toContain('[redacted]');
  });
});

describe('secrets without a playbook, and derived by helpers', () => {
  it("bosun vars without --playbook redacts the roles' secret fields (the users role's password hashes)", async () => {
    const hash = '$6$rounds=5000$vrsnoplay$QwErTyUiOpAsDfGhJkLzXcVbNm0123456789';
    writeFileSync(
      join(dir, 'users-noplay.yml'),
      stringify({ users: { bob: { name: 'Bob', uid: 1301, groups: [], password: hash, ssh_keys: [] } } }),
    );
    for (const json of [[], ['--json']]) {
      const { code, stdout, stderr } = await runInProcess(
        ['vars', 'here', '-i', 'inventory.yml', '-e', '@users-noplay.yml', ...json],
        { cwd: dir },
      );
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('users');
      expect(stdout + stderr).not.toContain(hash);
      expect(stdout).toContain('[redacted]');
    }
  });

  it('a value a helper makes from a secret (to_yaml folding a long one) is redacted in a run', async () => {
    const long = `${'alpha-'.repeat(10)} ${'omega-'.repeat(10)}`;
    writeFileSync(join(dir, 'long.yml'), encryptVault(`long_pass: "${long}"\n`, VAULT_PASSWORD, 'STG'));
    writeFileSync(
      join(dir, 'derived.yml'),
      stringify([
        {
          hosts: 'all',
          vars: { conf: { user: 'app-user', key: '{{ long_pass }}' } },
          tasks: [{ name: 'as yaml', debug: { msg: '{{ to_yaml conf }}' } }],
        },
      ]),
    );
    for (const mode of [[], ['--json']]) {
      const { code, stdout, stderr } = await runInProcess(
        [
          'run',
          'derived.yml',
          '-i',
          'inventory.yml',
          '-e',
          '@long.yml',
          '--vault-password-file',
          'pw',
          ...mode,
        ],
        { cwd: dir, env: { CI: 'true' } },
      );
      const all = `${stdout}\n${stderr}`;
      expect(code, all).toBe(0);
      expect(all).toContain('as yaml');
      expect(all).not.toContain('alpha-alpha');
      expect(all).not.toContain('omega-omega');
    }
  });
});
