import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// packer/bosun-ssh.mjs, the shell-local side of the Packer templates, with a stand-in for
// bosun (BOSUN_BIN) that reports the arguments, the inventory and the known_hosts it was given.
// The real thing runs against a fleet host in test/integration/packer.test.ts.

const SCRIPT = resolve(import.meta.dirname, '..', '..', '..', 'packer', 'bosun-ssh.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bosun-ssh-test-'));
const fake = join(dir, 'fake-bosun.mjs');
writeFileSync(
  fake,
  `import { readFileSync } from 'node:fs';
const args = process.argv.slice(2);
const inventory = JSON.parse(readFileSync(args[args.indexOf('-i') + 1], 'utf8'));
const knownHosts = inventory.all.hosts.image.bosun_known_hosts_file;
process.stdout.write(JSON.stringify({ args, inventory, knownHosts: readFileSync(knownHosts, 'utf8') }));
process.exit(Number(process.env.FAKE_EXIT || 0));
`,
);
const home = join(dir, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
writeFileSync(join(home, '.ssh', 'known_hosts'), '[127.0.0.1]:2222 ssh-ed25519 AAAAbastion\n');

const BUILD = {
  BOSUN_PACKER_HOST: '10.0.1.7',
  BOSUN_PACKER_PORT: '22',
  BOSUN_PACKER_USER: 'admin',
  BOSUN_PACKER_KEY_FILE: '/keys/packer',
};

function wrapper(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [SCRIPT, ...args],
      { env: { PATH: process.env.PATH, HOME: home, TMPDIR: dir, BOSUN_BIN: fake, ...env } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('packer/bosun-ssh.mjs', () => {
  it("runs bosun against build.Host, build.Port and build.User with the template's key", async () => {
    const result = await wrapper(['run', 'playbooks/image-base.yml', '-e', '@vars/STG/vars.yml'], BUILD);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    const inventoryFile = seen.args[3];
    expect(seen.args).toEqual([
      'run',
      'playbooks/image-base.yml',
      '-i',
      inventoryFile,
      '--trust-new-host-keys',
      '-e',
      '@vars/STG/vars.yml',
    ]);
    expect(seen.inventory.all.hosts.image).toEqual({
      bosun_host: '10.0.1.7',
      bosun_port: 22,
      bosun_user: 'admin',
      bosun_private_key_file: '/keys/packer',
      bosun_known_hosts_file: expect.stringMatching(/known_hosts$/),
    });
    expect(seen.inventory.all.children).toEqual({});
    // Seeded from ~/.ssh/known_hosts, so a bastion known there is still checked.
    expect(seen.knownHosts).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAAbastion\n');
    // The temporary folder is gone once bosun has ended.
    expect(existsSync(inventoryFile)).toBe(false);
  });

  it('goes through the bastion the template names, and puts the host in the groups given', async () => {
    const result = await wrapper(['run', 'layer.yml'], {
      ...BUILD,
      BOSUN_PACKER_BASTION_HOST: '203.0.113.10',
      BOSUN_PACKER_BASTION_PORT: '',
      BOSUN_PACKER_BASTION_USER: 'ops',
      BOSUN_PACKER_BASTION_KEY_FILE: '',
      BOSUN_PACKER_GROUPS: 'web, crm',
    });
    expect(result.code, result.stderr).toBe(0);
    const { inventory } = JSON.parse(result.stdout);
    expect(inventory.all.hosts.image.bosun_bastions).toEqual([
      { host: '203.0.113.10', port: 22, user: 'ops', private_key_file: '/keys/packer' },
    ]);
    expect(inventory.all.children).toEqual({ web: { hosts: { image: {} } }, crm: { hosts: { image: {} } } });
  });

  it("exits with bosun's code, so a failed task fails the build", async () => {
    const result = await wrapper(['run', 'x.yml'], { ...BUILD, FAKE_EXIT: '2' });
    expect(result.code).toBe(2);
  });

  it('says what the template did not pass, with bad-input exit 4', async () => {
    const result = await wrapper(['run', 'x.yml'], { ...BUILD, BOSUN_PACKER_KEY_FILE: '' });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('BOSUN_PACKER_KEY_FILE is not set');
  });
});
