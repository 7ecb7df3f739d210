/**
 * Secret lookups against a local stand-in for SSM and Secrets Manager (test/support), with the
 * real SDK clients pointed at it: signing, sending and parsing all run. Then through a whole
 * `bosun run` (local connection): values reach the host, are fetched once per run, never show
 * in the output, and a failure names the parameter and the AWS error code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lookups } from '../../../src/vars/lookups.js';
import { Secrets } from '../../../src/vars/secrets.js';
import { AwsCallError, getSecretValue, getSsmParameter } from '../../../src/vendor/aws-secrets.js';
import { stringify } from '../../../src/vendor/yaml.js';
import {
  type FakeAwsSecrets,
  fakeAwsEnvironment,
  startFakeAwsSecrets,
} from '../../support/fake-aws-secrets.js';
import { runInProcess } from '../../support/in-process-cli.js';

const DB = 'Ssm-Db-Pw-6617';
const TOKEN = 'Sm-Token-90210';
let fake: FakeAwsSecrets;
let restore: () => void;
const dir = mkdtempSync(join(tmpdir(), 'bosun-lookups-'));

beforeAll(async () => {
  restore = fakeAwsEnvironment();
  fake = await startFakeAwsSecrets({
    parameters: { '/stg/crm/db_password': DB },
    secrets: { 'stg/crm/api': JSON.stringify({ token: TOKEN, user: 'crm' }) },
  });
});
afterAll(async () => {
  await fake.close();
  restore();
  rmSync(dir, { recursive: true, force: true });
});

describe('the AWS clients against the local endpoint', () => {
  it('reads a SecureString decrypted and a secret, with signed requests', async () => {
    expect(await getSsmParameter('/stg/crm/db_password', { endpoint: fake.url })).toBe(DB);
    expect(JSON.parse(await getSecretValue('stg/crm/api', { endpoint: fake.url }))).toEqual({
      token: TOKEN,
      user: 'crm',
    });
    const [ssm, sm] = fake.requests.slice(-2);
    expect(ssm).toEqual({
      target: 'AmazonSSM.GetParameter',
      body: { Name: '/stg/crm/db_password', WithDecryption: true },
      signed: true,
    });
    expect(sm).toMatchObject({ target: 'secretsmanager.GetSecretValue', body: { SecretId: 'stg/crm/api' } });
  });

  it("keeps the service's error code", async () => {
    const error = await getSsmParameter('/nope', { endpoint: fake.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).code).toBe('ParameterNotFound');
  });
});

describe('Lookups', () => {
  it('fetches each value once, even for renders racing on several hosts', async () => {
    let calls = 0;
    const lookups = new Lookups(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'value-1234';
    }, new Secrets());
    const call = { service: 'ssm' as const, name: '/x' };
    const values = await Promise.all([1, 2, 3].map(() => lookups.retrying(() => lookups.value(call))));
    expect(values).toEqual(['value-1234', 'value-1234', 'value-1234']);
    expect(calls).toBe(1);
  });
});

describe('lookups in a run', () => {
  const out = join(dir, 'out');
  beforeAll(() => {
    writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    here: { bosun_connection: local }\n');
    writeFileSync(join(dir, 'vars.yml'), stringify({ db_password: '{{ ssm "/stg/crm/db_password" }}', out }));
    const tasks = [
      { name: 'folder', file: { path: out, state: 'directory' } },
      {
        name: 'credentials for {{ db_password }}',
        copy: {
          dest: `${out}/db.conf`,
          content: 'password={{ db_password }}\ntoken={{ aws_secret "stg/crm/api" key="token" }}\n',
          mode: '0600',
        },
      },
      {
        name: 'say',
        debug: { msg: 'db {{ db_password }} token {{ aws_secret "stg/crm/api" key="token" }}' },
      },
      { name: 'said', debug: { var: 'db_password' } },
    ];
    writeFileSync(join(dir, 'play.yml'), stringify([{ hosts: 'all', vars_files: ['vars.yml'], tasks }]));
    writeFileSync(
      join(dir, 'missing.yml'),
      stringify([
        { hosts: 'all', tasks: [{ name: 'missing', debug: { msg: '{{ ssm "/stg/crm/nope" }}' } }] },
      ]),
    );
  });

  it('writes the values, fetches each once, and prints none of them', async () => {
    const before = fake.requests.length;
    for (const mode of [[], ['--json']]) {
      const { code, stdout, stderr } = await runInProcess(
        ['run', 'play.yml', '-i', 'inventory.yml', ...mode],
        {
          cwd: dir,
          env: { CI: 'true', BOSUN_AWS_ENDPOINT_URL: fake.url },
        },
      );
      expect(code, stdout + stderr).toBe(0);
      expect(stdout + stderr).not.toContain(DB);
      expect(stdout + stderr).not.toContain(TOKEN);
      expect(stdout).toContain('credentials for [redacted]');
    }
    expect(readFileSync(join(out, 'db.conf'), 'utf8')).toBe(`password=${DB}\ntoken=${TOKEN}\n`);
    // Two runs, two values each, fetched once per run.
    expect(fake.requests.length - before).toBe(4);
  });

  it('a failure names the parameter and the AWS error code', async () => {
    const { code, stdout } = await runInProcess(['run', 'missing.yml', '-i', 'inventory.yml'], {
      cwd: dir,
      env: { CI: 'true', BOSUN_AWS_ENDPOINT_URL: fake.url },
    });
    expect(code).toBe(2);
    expect(stdout).toContain('SSM parameter "/stg/crm/nope": ParameterNotFound');
  });
});
