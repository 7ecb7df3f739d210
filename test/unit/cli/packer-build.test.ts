import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packerBuildNotice } from '../../../src/cli/packer-build.js';
import { runInProcess } from '../../support/in-process-cli.js';

// `--connection` and the Packer notice, through the CLI in-process: the hosts of the inventory
// are SSH hosts on a closed loopback port, so only --connection local can reach them (a real
// /bin/sh on this machine), as Bosun runs inside a Packer build.

const dir = mkdtempSync(join(tmpdir(), 'bosun-packer-cli-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const inventory = write(
  'inventory.yml',
  `all:
  hosts:
    image:
      bosun_host: 127.0.0.1
      bosun_port: 1
      bosun_connection: ssh
`,
);
const playbook = write(
  'build.yml',
  `- name: bake
  hosts: all
  tasks:
    - name: where am I
      command: echo inside-the-build
`,
);
const PACKER = { PACKER_BUILD_NAME: 'docker.common', PACKER_BUILDER_TYPE: 'docker' };

describe('packerBuildNotice', () => {
  it('names the build and the builder Packer exports to its provisioners', () => {
    expect(packerBuildNotice(PACKER)).toBe(
      'bosun: running inside a Packer build (build "docker.common", builder docker)\n',
    );
    expect(packerBuildNotice({ PACKER_BUILDER_TYPE: 'null' })).toBe(
      'bosun: running inside a Packer build (builder null)\n',
    );
    expect(packerBuildNotice({})).toBeUndefined();
    expect(packerBuildNotice({ PACKER_BUILD_NAME: '' })).toBeUndefined();
  });
});

describe('--connection', () => {
  it('reaches every host this way, over what bosun_connection says', async () => {
    const ssh = await runInProcess(['exec', 'all', '-i', inventory, '-T', '5', '--', 'echo', 'hi'], {
      cwd: dir,
    });
    expect(ssh.code).toBe(3);
    const local = await runInProcess(['exec', 'all', '-i', inventory, '-c', 'local', '--', 'echo', 'hi'], {
      cwd: dir,
    });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain('hi');
  });

  it('refuses a kind it does not know, before anything runs', async () => {
    const bad = await runInProcess(['run', playbook, '-i', inventory, '--connection', 'winrm'], { cwd: dir });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('must be one of ssh, local, docker');
  });
});

describe('bosun run inside a Packer build', () => {
  it('says so above its plain output, and runs the play', async () => {
    const run = await runInProcess(['run', playbook, '-i', inventory, '-c', 'local'], {
      cwd: dir,
      env: PACKER,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      'bosun: running inside a Packer build (build "docker.common", builder docker)',
    );
    expect(run.stdout).toMatch(/image\s+: ok=1\s+changed=1/);
  });

  it('keeps --json output JSON: the notice goes to stderr', async () => {
    const run = await runInProcess(['run', playbook, '-i', inventory, '-c', 'local', '--json'], {
      cwd: dir,
      env: PACKER,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('bosun: running inside a Packer build');
    for (const line of run.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('says nothing of Packer outside a build', async () => {
    const run = await runInProcess(['run', playbook, '-i', inventory, '-c', 'local'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain('Packer');
  });
});
