/**
 * Packer with Bosun as its provisioner (Debian's packer 1.6.6, installed by the global setup):
 * every template of packer/ validates with no network at all (so nothing asks AWS); the
 * shell-local path of packer/aws/images.pkr.hcl runs, as written there, with a `null` builder
 * against a fleet host behind its bastion, and a failing task fails the build with Bosun's
 * recap in Packer's log; packer/docker/ bakes an image from the local systemd image
 * with the bundle inside it, which is then booted and checked.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from '../../src/lab/docker-cli.js';
import { budget } from '../support/budget.js';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import type { FleetNode } from './support/harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PACKER_DIR = join(ROOT, 'packer');
/** Lean settings on top of vars/LAB/vars.yml: the same roles, fewer packages to download. */
const LEAN_VARS = 'test/fixtures/packer/lean.yml';
// No call home (checkpoint.hashicorp.com): tests talk to 127.0.0.1 and their containers only.
const PACKER_ENV = { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1' };

interface Run {
  code: number;
  output: string;
  seconds: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  const begun = Date.now();
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...PACKER_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, output: `${stdout}${stderr}`, seconds: (Date.now() - begun) / 1000 });
      },
    );
  });
}

/** The shell-local provisioner of aws/images.pkr.hcl, between its markers, as the operators get it. */
async function commonProvisioner(): Promise<string> {
  const text = await readFile(join(PACKER_DIR, 'aws', 'images.pkr.hcl'), 'utf8');
  const match = /# bosun-provisioner:start[^\n]*\n([\s\S]*?)\n\s*# bosun-provisioner:end/.exec(text);
  if (!match) throw new Error('packer/aws/images.pkr.hcl has no bosun-provisioner markers');
  return match[1]!;
}

/** A null builder reaching `host` through the fleet's bastion, with images.pkr.hcl's provisioner. */
function nullTemplate(provisioner: string): string {
  const strings = ['host', 'user', 'ssh_private_key_file', 'bastion_host', 'bastion_user', 'project_dir'];
  return [
    ...strings.map((name) => `variable "${name}" {\n  type = string\n}`),
    'variable "bastion_port" {\n  type = number\n}',
    'variable "bastion_private_key_file" {\n  type    = string\n  default = ""\n}',
    'variable "vars_files" {\n  type = list(string)\n}',
    // The layer's: the provisioner reads them for sources other than "common".
    'variable "playbook" {\n  type    = string\n  default = ""\n}',
    'variable "groups" {\n  type    = list(string)\n  default = []\n}',
    `locals {
  project     = var.project_dir
  bastion_key = var.ssh_private_key_file
  extra_vars  = join(" ", [for file in var.vars_files : "-e '@\${local.project}/\${file}'"])
}`,
    `source "null" "common" {
  communicator                 = "ssh"
  ssh_host                     = var.host
  ssh_username                 = var.user
  ssh_private_key_file         = var.ssh_private_key_file
  ssh_bastion_host             = var.bastion_host
  ssh_bastion_port             = var.bastion_port
  ssh_bastion_username         = var.bastion_user
  ssh_bastion_private_key_file = var.ssh_private_key_file
}`,
    `build {\n  sources = ["source.null.common"]\n${provisioner}\n}`,
    '',
  ].join('\n\n');
}

describe('packer validate', () => {
  it('passes on every template of packer/ (aws/, docker/), with no network: nothing contacts AWS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bosun-packer-validate-'));
    try {
      // The amazon builder reads the key at validate time: a real one, never used.
      const key = join(dir, 'key');
      const made = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      expect(made.code, made.output).toBe(0);
      const bundle = join(dir, 'bosun-bundle.tar.gz');
      await writeFile(bundle, '');
      const folders = (await readdir(PACKER_DIR, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
      expect(folders).toEqual(['aws', 'docker']);
      const amazon = ['-var', 'ssh_keypair_name=packer', '-var', `ssh_private_key_file=${key}`];
      const bastion = ['-var', 'bastion_host=10.0.0.5', '-var', 'bastion_user=admin'];
      const cases: [string, string[]][] = [
        ['aws', amazon],
        ['aws', ['-only=amazon-ebs.common', ...amazon, '-var', 'distribution=ubuntu-24.04', ...bastion]],
        ['aws', ['-only=amazon-ebs.layer', ...amazon, ...bastion, '-var', 'groups=["web"]']],
        // validate stats the file provisioner's source: a bundle must be there (a clean clone has
        // no dist/bosun-bundle.tar.gz until `npm run bundle`), so it is given, as the build test does.
        ['docker', ['-var', 'image=bosun-systemd:any', '-var', `bundle=${bundle}`]],
      ];
      for (const [folder, vars] of cases) {
        // A new network namespace has only a loopback that is down: any request to AWS fails.
        const result = await run('unshare', ['-n', 'packer', 'validate', ...vars, join(PACKER_DIR, folder)], {
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_PROFILE: '',
        });
        expect(result.code, `${folder} ${vars.join(' ')}\n${result.output}`).toBe(0);
      }
      // validate does check: a key file that is not there is refused.
      const missing = await run('unshare', [
        '-n',
        'packer',
        'validate',
        '-var',
        'ssh_keypair_name=packer',
        '-var',
        `ssh_private_key_file=${join(dir, 'absent')}`,
        join(PACKER_DIR, 'aws'),
      ]);
      expect(missing.code).not.toBe(0);
      expect(missing.output).toContain('ssh_private_key_file is invalid');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shell-local: Bosun from the machine running Packer, over SSH through the bastion', () => {
  const fleet = useFleet({ hosts: 1, systemd: true });
  let host: FleetNode;
  let work: string;
  let template: string;

  beforeAll(async () => {
    host = fleet().hosts[0]!;
    work = await mkdtemp(join(tmpdir(), 'bosun-packer-null-'));
    template = join(work, 'null.pkr.hcl');
    await writeFile(template, nullTemplate(await commonProvisioner()));
    // Bosun's known_hosts starts from ~/.ssh/known_hosts: here the fleet's, so the bastion is
    // checked; the build host's key is taken on first sight.
    await mkdir(join(work, 'home', '.ssh'), { recursive: true });
    await copyFile(fleet().knownHostsPath, join(work, 'home', '.ssh', 'known_hosts'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  function packerBuild(project: string): Promise<Run> {
    const bastion = fleet().bastions[0]!;
    const vars = {
      host: host.name,
      user: fleet().user,
      ssh_private_key_file: fleet().privateKeyPath,
      bastion_host: bastion.address,
      bastion_port: String(bastion.port),
      bastion_user: fleet().user,
      project_dir: project,
    };
    const args = Object.entries(vars).flatMap(([name, value]) => ['-var', `${name}=${value}`]);
    return run(
      'packer',
      ['build', ...args, '-var', `vars_files=["vars/LAB/vars.yml","${LEAN_VARS}"]`, template],
      { HOME: join(work, 'home') },
    );
  }

  // First: the image-base run removes the host's SSH host keys, so no new login reaches it after.
  it(
    "a failed task fails the build, with Bosun's own recap in Packer's log",
    async () => {
      const project = join(work, 'failing');
      await mkdir(join(project, 'playbooks'), { recursive: true });
      await mkdir(join(project, 'vars'), { recursive: true });
      await mkdir(join(project, 'test', 'fixtures', 'packer'), { recursive: true });
      await symlink(PACKER_DIR, join(project, 'packer'));
      await mkdir(join(project, 'vars', 'LAB'));
      await copyFile(join(ROOT, 'vars', 'LAB', 'vars.yml'), join(project, 'vars', 'LAB', 'vars.yml'));
      await copyFile(join(ROOT, LEAN_VARS), join(project, LEAN_VARS));
      await writeFile(
        join(project, 'playbooks', 'image-base.yml'),
        [
          '- name: image that cannot be baked',
          '  hosts: all',
          '  tasks:',
          '    - name: a step that fails',
          '      command: sh -c "echo the build cannot go on >&2; exit 3"',
          '    - name: never reached',
          '      command: "true"',
          '',
        ].join('\n'),
      );
      const build = await packerBuild(project);
      expect(build.code, build.output).not.toBe(0);
      expect(build.output).toContain('bosun: running inside a Packer build');
      expect(build.output).toContain('a step that fails');
      expect(build.output).toContain('the build cannot go on');
      expect(build.output).toMatch(/PLAY RECAP[\s\S]*image\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=1/);
      expect(build.output).not.toContain('never reached');
      expect(build.output).toMatch(/non-zero exit status: 2/);
    },
    budget(30),
  );
  it(
    'applies playbooks/image-base.yml: users present, sshd hardened, no host key left, the first-boot unit enabled',
    async () => {
      const build = await packerBuild(ROOT);
      console.log(`packer null build (shell-local, image-base.yml): ${build.seconds} s`);
      expect(build.code, build.output).toBe(0);
      expect(build.output).toContain('bosun: running inside a Packer build (build "common", builder null)');
      expect(build.output).toMatch(/image\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0/);
      const shell = (command: string) => mustRun(fleet(), host, command);
      await shell('id appadmin && id nborromeo && ! id jdoe');
      const config = await shell('cat /etc/ssh/sshd_config');
      expect(config).toMatch(/^PasswordAuthentication no$/m);
      expect(config).toMatch(/^PermitRootLogin no$/m);
      expect((await shell('ls /etc/ssh | grep -c "^ssh_host_" || true')).trim()).toBe('0');
      expect((await shell('systemctl is-enabled bosun-ssh-host-keys.service')).trim()).toBe('enabled');
      expect((await shell('cat /etc/hostname')).trim()).not.toBe('image');
    },
    budget(240),
  );
});

describe('shell inside the build: the docker builder with the Bosun bundle', () => {
  const tag = randomBytes(3).toString('hex');
  const repository = `${process.env.BOSUN_FLEET_PREFIX ?? 'bosun-test-'}packer-common`;
  const container = `${process.env.BOSUN_FLEET_PREFIX ?? 'bosun-test-'}packer-boot-${tag}`;
  let work: string;

  afterAll(async () => {
    await dockerCli(['rm', '-f', '-v', container]);
    await dockerCli(['rmi', '-f', `${repository}:${tag}`]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    'bakes image-base.yml into a committed image that boots with its own host keys',
    async () => {
      const image = process.env.BOSUN_SYSTEMD_IMAGE;
      if (!image) throw new Error('BOSUN_SYSTEMD_IMAGE is not set: the global setup builds it');
      work = await mkdtemp(join(tmpdir(), 'bosun-packer-docker-'));
      const bundle = join(work, 'bosun-bundle.tar.gz');
      const made = await run(process.execPath, [join(PACKER_DIR, 'make-bundle.mjs'), bundle]);
      expect(made.code, made.output).toBe(0);
      console.log(`bundle: ${made.seconds} s`);

      // The template uploads the project's playbooks/ and vars/: a copy with the lean vars in it.
      const project = join(work, 'project');
      await cp(join(ROOT, 'playbooks'), join(project, 'playbooks'), { recursive: true });
      await cp(join(ROOT, 'vars'), join(project, 'vars'), { recursive: true });
      await cp(join(ROOT, LEAN_VARS), join(project, 'vars', 'lean.yml'));
      await cp(join(PACKER_DIR, 'local.yml'), join(project, 'packer', 'local.yml'));
      const build = await run('packer', [
        'build',
        '-var',
        `project_dir=${project}`,
        '-var',
        `image=${image}`,
        '-var',
        `repository=${repository}`,
        '-var',
        `tag=${tag}`,
        '-var',
        `bundle=${bundle}`,
        '-var',
        'vars_files=["vars/LAB/vars.yml","vars/lean.yml"]',
        join(PACKER_DIR, 'docker'),
      ]);
      console.log(`packer docker build (shell, bundle, image-base.yml): ${build.seconds} s`);
      expect(build.code, build.output).toBe(0);
      expect(build.output).toContain('bosun: running inside a Packer build (build "common", builder docker)');
      expect(build.output).toMatch(/image\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0/);

      const named = `${repository}:${tag}`;
      // Before any boot: no host key in the image, and nothing of the build left in /var/tmp.
      const baked = await dockerCli([
        'run',
        '--rm',
        '--entrypoint',
        '/bin/sh',
        named,
        '-c',
        'ls /etc/ssh | grep -c "^ssh_host_"; ls /var/tmp | grep -c bosun-build',
      ]);
      expect(baked.stdout.trim().split('\n')).toEqual(['0', '0']);

      // First boot, as the lab boots systemd hosts: the image's own command is /sbin/init.
      const started = await dockerCli([
        'run',
        '-d',
        '--name',
        container,
        '--cap-add',
        'SYS_ADMIN',
        '--cgroupns=host',
        '-v',
        '/sys/fs/cgroup:/sys/fs/cgroup:rw',
        '--tmpfs',
        '/run',
        '--tmpfs',
        '/run/lock',
        named,
      ]);
      expect(started.code, started.stderr).toBe(0);
      const exec = async (command: string) => {
        const result = await dockerCli(['exec', container, '/bin/sh', '-c', command]);
        expect(result.code, `${command}\n${result.stdout}${result.stderr}`).toBe(0);
        return result.stdout.trim();
      };
      await exec(
        'for i in $(seq 1 120); do systemctl is-active --quiet ssh && exit 0; sleep 0.5; done; exit 1',
      );
      const keys = await exec('ls /etc/ssh | grep "^ssh_host_" | sort');
      // The lab image's own first-boot keygen (ssh-keygen -A) may add ECDSA; sshd uses these two.
      expect(keys.split('\n')).toEqual(
        expect.arrayContaining([
          'ssh_host_ed25519_key',
          'ssh_host_ed25519_key.pub',
          'ssh_host_rsa_key',
          'ssh_host_rsa_key.pub',
        ]),
      );
      expect(await exec('ssh-keygen -l -f /etc/ssh/ssh_host_rsa_key.pub | cut -d" " -f1')).toBe('4096');
      await exec('id appadmin && id nborromeo && ! id jdoe');
      const sshd = await exec('sshd -T');
      expect(sshd).toMatch(/^passwordauthentication no$/m);
      expect(sshd).toMatch(/^permitrootlogin no$/m);
      expect(sshd).toMatch(/^hostkey \/etc\/ssh\/ssh_host_ed25519_key$/m);
    },
    budget(300),
  );
});
