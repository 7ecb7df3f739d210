/**
 * Secrets over real SSH, through the bastion, with sudo asking for its password: known secret
 * strings are put in a vault file, a `!vault` value of the inventory's group_vars, the become password, a no_log task's output, a templated
 * task name, a loop item, a file's content (--diff), a failure, a command's environment and
 * its script. Every output stream of `bosun run` (plain, --json, --check --diff) is searched
 * for them, and so are `ps` samples taken on the host and on this machine (the controller)
 * while the run's commands run, and sudo's own log of the commands it ran.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptVault } from '../../src/vars/vault.js';
import { stringify } from '../../src/vendor/yaml.js';
import { budget } from '../support/budget.js';
import { STG_PASSWORD_FILE } from '../support/stg-vault.js';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import { runCli } from './support/harness.js';

const fleet = useFleet({
  hosts: 1,
  // sudo writes each command it runs to a log of its own (the containers have no syslog).
  setup: (started) =>
    mustRun(started, started.hosts[0]!, "echo 'Defaults logfile=/var/log/sudo.log' > /etc/sudoers.d/zz-log"),
});

const VAULT_PASSWORD = 'integration vault password';
const DB = 'Db-Ssh-Secret-4410';
const NOLOG = 'NoLog-Ssh-Out-7312';
const TOKEN = 'Group-Vars-Token-5178';
const SECRETS = () => [DB, NOLOG, TOKEN, fleet().password];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-secrets-'));
  const inventory = fleet().inventory() as {
    all: { vars: Record<string, unknown>; children: { lab: { hosts: Record<string, unknown> } } };
  };
  // The bastion as the fleet's user; the host as the user whose sudo asks for a password.
  inventory.all.vars.bosun_bastions = (inventory.all.vars.bosun_bastions as object[]).map((hop) => ({
    ...hop,
    user: 'bosun',
  }));
  inventory.all.children.lab.hosts.host1 = {
    bosun_user: 'pwuser',
    bosun_password: fleet().password,
    bosun_become_password: fleet().password,
  };
  await writeFile(join(dir, 'inventory.yml'), stringify(inventory, { version: '1.1' }));
  await writeFile(join(dir, 'pw'), `${VAULT_PASSWORD}\n`);
  await writeFile(join(dir, 'secrets.yml'), encryptVault(`db_password: ${DB}\n`, VAULT_PASSWORD, 'STG'));
  // An encrypted value in the inventory's group_vars, under a vault id of its own (INV): the
  // default password (--vault-password-file) opens it.
  await mkdir(join(dir, 'group_vars'));
  const token = encryptVault(TOKEN, VAULT_PASSWORD, 'INV').trimEnd().replace(/^/gm, '  ');
  await writeFile(join(dir, 'group_vars', 'all.yml'), `app_token: !vault |\n${token}\n`);
  const tasks = [
    {
      name: 'credentials for {{ db_password }}',
      copy: {
        dest: '/etc/app-db.conf',
        content: 'password={{ db_password }}\ntoken={{ app_token }}\n',
        mode: '0600',
      },
    },
    { name: 'token {{ app_token }}', debug: { msg: 'the token is {{ app_token }}' } },
    { name: 'become says', debug: { msg: 'sudo with {{ bosun_become_password }}' } },
    { name: 'items', debug: { msg: 'item' }, loop: ['{{ db_password }}'] },
    { name: 'hidden', shell: `printf ${NOLOG}`, no_log: true, register: 'hidden', check_mode: false },
    { name: 'shown', debug: { var: 'hidden.stdout' } },
    {
      name: 'slow with the secret',
      shell: 'sleep 2; test "$DB_PASSWORD" = "{{ db_password }}"',
      environment: { DB_PASSWORD: '{{ db_password }}' },
      check_mode: false,
    },
    { name: 'fails', shell: 'echo "{{ db_password }}" >&2; exit 4', ignore_errors: true, check_mode: false },
  ];
  await writeFile(
    join(dir, 'play.yml'),
    stringify([{ hosts: 'all', become: true, tasks }], { version: '1.1' }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await runCli(argv, dir);
  return { code, output: `${stdout}${stderr}` };
}

/** `ps` on the host and on this machine every 200 ms while `work` runs. */
async function sampled<T>(
  work: () => Promise<T>,
): Promise<{ result: T; host: string[]; controller: string[] }> {
  const host: string[] = [];
  const controller: string[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const seen = await fleet().exec(fleet().hosts[0]!, ['ps', '-eo', 'args']);
      host.push(...seen.output.split('\n'));
      controller.push(...execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n'));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    return { result: await work(), host, controller };
  } finally {
    done = true;
    await sampler;
  }
}

const leaking = (lines: string[]) =>
  lines.filter((line) => SECRETS().some((secret) => line.includes(secret)));

describe('secrets over SSH', () => {
  for (const mode of [[], ['--json'], ['--check', '--diff']]) {
    it(
      `bosun run ${mode.join(' ') || '(plain)'}: no secret in the output, in ps or in sudo's log`,
      async () => {
        const started = Date.now();
        const { result, host, controller } = await sampled(() =>
          cli([
            'run',
            'play.yml',
            '-i',
            'inventory.yml',
            '-e',
            '@secrets.yml',
            '--vault-password-file',
            'pw',
            ...mode,
          ]),
        );
        expect(result.code, result.output).toBe(0);
        expect(leaking(result.output.split('\n'))).toEqual([]);
        expect(result.output).toContain('credentials for [redacted]');
        expect(result.output).toContain('token [redacted]');
        // The commands ran while sampled (the slow one's sleep), and with the secret in place.
        expect(host.some((line) => line.includes('sleep 2'))).toBe(true);
        expect(leaking(host)).toEqual([]);
        expect(leaking(controller)).toEqual([]);
        const sudoLog = await mustRun(fleet(), fleet().hosts[0]!, 'cat /var/log/sudo.log');
        expect(sudoLog).toContain('COMMAND=');
        expect(leaking(sudoLog.split('\n'))).toEqual([]);
        if (!mode.includes('--check')) {
          expect(
            await mustRun(fleet(), fleet().hosts[0]!, 'stat -c %a /etc/app-db.conf; cat /etc/app-db.conf'),
          ).toBe(`600\npassword=${DB}\ntoken=${TOKEN}\n`);
        }
        console.log(
          `secrets ${mode.join(' ') || 'plain'}: ${Date.now() - started} ms, ${host.length} ps lines on the host`,
        );
        // Measured 12 to 22 s per run (plain host behind the bastion, sudo with a password).
      },
      budget(22),
    );
  }

  it(
    'the users role takes the password hashes from the encrypted vars/STG/secrets.yml',
    async () => {
      await writeFile(join(dir, 'users.yml'), stringify([{ hosts: 'all', become: true, roles: ['users'] }]));
      const project = (path: string) => join(process.cwd(), path);
      const { code, output } = await cli([
        'run',
        'users.yml',
        '-i',
        'inventory.yml',
        ...['vars/users.yml', 'vars/STG/vars.yml', 'vars/STG/secrets.yml'].flatMap((file) => [
          '-e',
          `@${project(file)}`,
        ]),
        '--vault-id',
        `STG@${STG_PASSWORD_FILE}`,
        // The group_vars value (vault id INV).
        '--vault-password-file',
        'pw',
        '--diff',
      ]);
      expect(code, output).toBe(0);
      const shadow = await mustRun(
        fleet(),
        fleet().hosts[0]!,
        'getent shadow appadmin nborromeo | cut -d: -f1,2',
      );
      const hashes = shadow
        .trim()
        .split('\n')
        .map((line) => line.slice(line.indexOf(':') + 1));
      expect(shadow).toMatch(/^appadmin:\$6\$stgappadm\$.+\nnborromeo:\$6\$stgnborro\$.+\n$/);
      // The loop labels of the role print each account, hash included: redacted.
      for (const hash of hashes) expect(output).not.toContain(hash);
      expect(output).toContain('[redacted]');
      // Measured 25 to 41 s (the role's 12 tasks on a fresh plain host).
    },
    budget(41),
  );
});
