/**
 * `bosun vault`: the verbs on real files in a scratch folder, passwords from a file, a program
 * and the environment, and `edit` with fake editors (scripts) that save, fail, get killed, or
 * are still open when the command is interrupted: the 0600 temp file is gone every time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { Secrets } from '../../../src/vars/secrets.js';
import { readVarsFile } from '../../../src/vars/vars-file.js';
import { runInProcess } from '../../support/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-vault-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAIN = 'db_password: Db-Pw-31337\n';
writeFileSync(join(dir, 'pw'), 'first password\n');
writeFileSync(join(dir, 'pw2'), 'second password\n');
writeFileSync(join(dir, 'pw-program'), '#!/bin/sh\necho "first password"\n', { mode: 0o755 });

/** A fake editor: records the file it got and that file's mode, then runs `then`. */
function editor(name: string, then: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\necho "$1" > ${dir}/${name}.got\nstat -c %a "$1" >> ${dir}/${name}.got\n${then}\n`,
    {
      mode: 0o755,
    },
  );
  return path;
}

function got(name: string): { file: string; mode: string } {
  const [file, mode] = readFileSync(join(dir, `${name}.got`), 'utf8')
    .trim()
    .split('\n');
  return { file: file!, mode: mode! };
}

const vault = (args: string[], env: Record<string, string> = {}) =>
  runInProcess(['vault', ...args], { cwd: dir, env });

describe('bosun vault', () => {
  it('encrypts in place, views, decrypts, with the password from a file, a program or the environment', async () => {
    writeFileSync(join(dir, 'a.yml'), PLAIN);
    expect((await vault(['encrypt', 'a.yml', '--vault-id', 'STG@pw'])).code).toBe(0);
    const encrypted = readFileSync(join(dir, 'a.yml'), 'utf8');
    expect(encrypted.startsWith('$BOSUN_VAULT;1;AES256-GCM;SCRYPT;STG\n')).toBe(true);
    expect(encrypted).not.toContain('Db-Pw');
    expect((await vault(['view', 'a.yml', '--vault-password-file', 'pw-program'])).stdout).toBe(PLAIN);
    expect((await vault(['view', 'a.yml'], { BOSUN_VAULT_PASSWORD: 'first password' })).stdout).toBe(PLAIN);
    expect((await vault(['decrypt', 'a.yml', '--vault-id', 'STG@pw'])).code).toBe(0);
    expect(readFileSync(join(dir, 'a.yml'), 'utf8')).toBe(PLAIN);
  });

  it('refuses a wrong password with an error naming the file', async () => {
    writeFileSync(join(dir, 'b.yml'), PLAIN);
    await vault(['encrypt', 'b.yml', '--vault-password-file', 'pw']);
    const { code, stderr } = await vault(['view', 'b.yml', '--vault-password-file', 'pw2']);
    expect(code).toBe(4);
    expect(stderr).toBe(
      'bosun: error[BOSUN_VAULT]: b.yml: cannot decrypt with the password of vault id "default": wrong password, or the file was changed\n',
    );
  });

  it('rekeys under a new password', async () => {
    writeFileSync(join(dir, 'c.yml'), PLAIN);
    await vault(['encrypt', 'c.yml', '--vault-password-file', 'pw']);
    expect(
      (await vault(['rekey', 'c.yml', '--vault-password-file', 'pw', '--new-vault-password-file', 'pw2']))
        .code,
    ).toBe(0);
    expect((await vault(['view', 'c.yml', '--vault-password-file', 'pw'])).code).toBe(4);
    expect((await vault(['view', 'c.yml', '--vault-password-file', 'pw2'])).stdout).toBe(PLAIN);
  });

  it('edit: a 0600 temp file, re-encrypted when saved, removed after', async () => {
    writeFileSync(join(dir, 'd.yml'), PLAIN);
    await vault(['encrypt', 'd.yml', '--vault-password-file', 'pw']);
    const saves = editor('saves', 'echo "api_key: Api-77" >> "$1"');
    const { code, stderr } = await vault(['edit', 'd.yml', '--vault-password-file', 'pw'], { EDITOR: saves });
    expect(code, stderr).toBe(0);
    const { file, mode } = got('saves');
    expect(mode).toBe('600');
    expect(existsSync(file)).toBe(false);
    expect((await vault(['view', 'd.yml', '--vault-password-file', 'pw'])).stdout).toBe(
      `${PLAIN}api_key: Api-77\n`,
    );
    expect(readFileSync(join(dir, 'd.yml'), 'utf8')).not.toContain('Api-77');
  });

  it('edit: an editor that fails or is killed leaves the file as it was and no temp file', async () => {
    writeFileSync(join(dir, 'e.yml'), PLAIN);
    await vault(['encrypt', 'e.yml', '--vault-password-file', 'pw']);
    const before = readFileSync(join(dir, 'e.yml'), 'utf8');
    for (const [name, then] of [
      ['fails', 'echo junk >> "$1"; exit 3'],
      ['killed', 'echo junk >> "$1"; kill -9 $$'],
    ] as const) {
      const { code, stderr } = await vault(['edit', 'e.yml', '--vault-password-file', 'pw'], {
        EDITOR: editor(name, then),
      });
      expect(code).toBe(4);
      expect(stderr).toMatch(
        name === 'fails' ? /exited with 3: e.yml left as it was/ : /was killed \(SIGKILL\)/,
      );
      expect(existsSync(got(name).file)).toBe(false);
      expect(readFileSync(join(dir, 'e.yml'), 'utf8')).toBe(before);
    }
  });

  it('edit: Ctrl-C while the editor is open ends it and removes the temp file', async () => {
    writeFileSync(join(dir, 'f.yml'), PLAIN);
    await vault(['encrypt', 'f.yml', '--vault-password-file', 'pw']);
    const before = readFileSync(join(dir, 'f.yml'), 'utf8');
    const hangs = editor('hangs', 'echo junk >> "$1"; exec sleep 30');
    const controller = new AbortController();
    let stderr = '';
    const io: CliIO = {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: Readable.from([]),
      env: { EDITOR: hangs },
      cwd: dir,
      signal: controller.signal,
    };
    const running = main(['vault', 'edit', 'f.yml', '--vault-password-file', 'pw'], io);
    while (!existsSync(join(dir, 'hangs.got')) || got('hangs').mode === undefined)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(got('hangs').file)).toBe(true);
    const started = Date.now();
    controller.abort();
    expect(await running).toBe(130);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stderr).toContain('interrupted: f.yml left as it was');
    expect(existsSync(got('hangs').file)).toBe(false);
    expect(readFileSync(join(dir, 'f.yml'), 'utf8')).toBe(before);
  });

  it('encrypt-string prints a !vault value that a plain vars file decrypts', async () => {
    let stdout = '';
    const io: CliIO = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      stdin: Readable.from([Buffer.from('Token-5150\n')]),
      env: {},
      cwd: dir,
    };
    expect(await main(['vault', 'encrypt-string', 'token', '--vault-id', 'STG@pw'], io)).toBe(0);
    expect(stdout).toMatch(/^token: !vault \|\n {2}\$BOSUN_VAULT;1;AES256-GCM;SCRYPT;STG\n/);
    writeFileSync(join(dir, 'g.yml'), `region: eu-west-1\n${stdout}`);
    const secrets = new Secrets();
    const { values } = await readVarsFile(join(dir, 'g.yml'), {
      vault: { passwords: async () => 'first password', secrets },
    });
    expect(values).toEqual({ region: 'eu-west-1', token: 'Token-5150' });
    expect(secrets.redact('t=Token-5150')).toBe('t=[redacted]');
    expect(statSync(join(dir, 'g.yml')).isFile()).toBe(true);
  });
});
