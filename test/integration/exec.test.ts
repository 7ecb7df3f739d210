import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../src/lab/fleet.js';
import { fingerprintSha256 } from '../../src/transport/ssh/index.js';
import { stringify } from '../../src/vendor/yaml.js';

// The built CLI (`node bin/bosun.js`, as a user runs it) against a real fleet: a bastion
// published on 127.0.0.1 and three hosts reachable only through it.

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/bosun.js');

let fleet: Fleet;
let scratch: string;
let home: string;
let inventory: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI with an empty HOME (no ~/.ssh/config or known_hosts of this machine) and no agent. */
function bosun(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1', ...env };
    delete childEnv.SSH_AUTH_SOCK;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: scratch,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Output blocks by host: `host | ... >>` and the lines up to the next block or the recap. */
function blocks(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of stdout.split(/(?=^\S+ \| )/m)) {
    const host = /^(\S+) \| /.exec(block)?.[1];
    if (host) out[host] = block.replace(/^\d+ ok, \d+ failed, \d+ unreachable\n$/m, '');
  }
  return out;
}

async function writeInventory(name: string, document: unknown): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, stringify(document));
  return path;
}

beforeAll(async () => {
  // Build first: the test runs what `npm install` would have built.
  await promisify(execFile)('npm', ['run', 'build'], { cwd: root }).catch((error: { stdout?: string }) => {
    throw new Error(`npm run build failed:\n${error.stdout ?? String(error)}`);
  });
  expect(existsSync(join(root, 'dist/src/cli/main.js'))).toBe(true);
  scratch = await mkdtemp(join(tmpdir(), 'bosun-exec-'));
  home = join(scratch, 'home');
  fleet = await startFleet({ hosts: 3 });
  inventory = await writeInventory('inventory.yml', fleet.inventory());
});

afterAll(async () => {
  await fleet?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('bosun exec through a bastion', () => {
  it('runs uname -a on every host', async () => {
    const run = await bosun(['exec', 'all', '-i', inventory, '--', 'uname', '-a']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const byHost = blocks(run.stdout);
    expect(Object.keys(byHost).sort()).toEqual(['host1', 'host2', 'host3']);
    for (const host of ['host1', 'host2', 'host3']) {
      expect(byHost[host]).toMatch(
        new RegExp(`^${host} \\| CHANGED \\| rc=0 >>\\nLinux ${host} .*GNU/Linux\\n$`),
      );
    }
    expect(run.stdout.endsWith('3 ok, 0 failed, 0 unreachable\n')).toBe(true);
  });

  it('runs hostname on every host, each answering with its own name', async () => {
    const run = await bosun(['exec', 'lab', '-i', inventory, '--', 'hostname']);
    expect(run.code).toBe(0);
    expect(blocks(run.stdout)).toEqual({
      host1: 'host1 | CHANGED | rc=0 >>\nhost1\n',
      host2: 'host2 | CHANGED | rc=0 >>\nhost2\n',
      host3: 'host3 | CHANGED | rc=0 >>\nhost3\n',
    });
  });

  it('selects hosts with a pattern', async () => {
    const run = await bosun(['exec', 'lab:!host2', '-i', inventory, '--', 'hostname']);
    expect(run.code).toBe(0);
    expect(Object.keys(blocks(run.stdout)).sort()).toEqual(['host1', 'host3']);
    expect(run.stdout.endsWith('2 ok, 0 failed, 0 unreachable\n')).toBe(true);
  });

  it('exits 2 and shows rc when the command fails on one host', async () => {
    const run = await bosun([
      'exec',
      'all',
      '-i',
      inventory,
      '--',
      'if [ "$(hostname)" = host2 ]; then echo broken >&2; exit 5; fi; echo fine',
    ]);
    expect(run.code).toBe(2);
    expect(blocks(run.stdout)).toEqual({
      host1: 'host1 | CHANGED | rc=0 >>\nfine\n',
      host2: 'host2 | FAILED | rc=5 >>\nbroken\n',
      host3: 'host3 | CHANGED | rc=0 >>\nfine\n',
    });
    expect(run.stdout.endsWith('2 ok, 1 failed, 0 unreachable\n')).toBe(true);
  });

  it('exits 3 when one host is unreachable behind the bastion; the others succeed', async () => {
    // A second inventory adds `ghost`, which the bastion dials on its own loopback, closed port 1
    // (traffic stays inside the containers of this test). It inherits the bastion settings.
    const ghost = await writeInventory('ghost.yml', {
      all: { children: { ghosts: { hosts: { ghost: { bosun_host: '127.0.0.1', bosun_port: 1 } } } } },
    });
    const run = await bosun(['exec', 'all', '-i', inventory, '-i', ghost, '--', 'hostname']);
    expect(run.code).toBe(3);
    const byHost = blocks(run.stdout);
    expect(byHost.host1).toBe('host1 | CHANGED | rc=0 >>\nhost1\n');
    expect(byHost.host2).toBe('host2 | CHANGED | rc=0 >>\nhost2\n');
    expect(byHost.host3).toBe('host3 | CHANGED | rc=0 >>\nhost3\n');
    expect(byHost.ghost).toMatch(/^ghost \| UNREACHABLE! => BOSUN_UNREACHABLE: .*127\.0\.0\.1:1/);
    expect(run.stdout.endsWith('3 ok, 0 failed, 1 unreachable\n')).toBe(true);
  });

  it('runs as root with --become, as another user with --become-user', async () => {
    const plain = await bosun(['exec', 'host1', '-i', inventory, '--', 'id -un']);
    expect(plain.stdout).toBe('host1 | CHANGED | rc=0 >>\nbosun\n1 ok, 0 failed, 0 unreachable\n');
    const root = await bosun(['exec', 'lab', '-i', inventory, '--become', '--', 'id -u; id -un']);
    expect(root.code).toBe(0);
    for (const block of Object.values(blocks(root.stdout))) expect(block).toMatch(/>>\n0\nroot\n$/);
    const nobody = await bosun(['exec', 'host1', '-i', inventory, '--become-user', 'nobody', '--', 'id -un']);
    expect(nobody.stdout).toBe('host1 | CHANGED | rc=0 >>\nnobody\n1 ok, 0 failed, 0 unreachable\n');
  });

  it('asks sudo for a password with -K (from BOSUN_BECOME_PASSWORD), never printing it', async () => {
    const hop = fleet.bastions[0]!;
    const pw = await writeInventory('pwuser.yml', {
      all: {
        vars: {
          bosun_user: fleet.passwordUser,
          bosun_password: fleet.password,
          bosun_known_hosts_file: fleet.knownHostsPath,
          bosun_bastions: [
            { host: hop.address, port: hop.port, user: fleet.user, private_key_file: fleet.privateKeyPath },
          ],
        },
        hosts: { host1: null },
      },
    });
    const ok = await bosun(['exec', 'all', '-i', pw, '-b', '-K', '--', 'id -un'], {
      BOSUN_BECOME_PASSWORD: fleet.password,
    });
    expect(ok).toEqual({
      code: 0,
      stdout: 'host1 | CHANGED | rc=0 >>\nroot\n1 ok, 0 failed, 0 unreachable\n',
      stderr: '',
    });
    const wrong = await bosun(['exec', 'all', '-i', pw, '-b', '-K', '--', 'id -un'], {
      BOSUN_BECOME_PASSWORD: 'not-the-password',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/^host1 \| FAILED! => BOSUN_BECOME_FAILED: /);
    for (const run of [ok, wrong]) {
      expect(run.stdout + run.stderr).not.toContain(fleet.password);
      expect(run.stdout + run.stderr).not.toContain('not-the-password');
    }
  });

  it('prints one JSON object per host with --json', async () => {
    const run = await bosun(['exec', 'all', '-i', inventory, '--json', '--', 'hostname; echo note >&2']);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.host).sort()).toEqual(['host1', 'host2', 'host3']);
    for (const line of lines) {
      expect(line).toEqual({
        host: line.host,
        rc: 0,
        stdout: `${line.host}\n`,
        stderr: 'note\n',
        status: 'ok',
        durationMs: expect.any(Number),
      });
    }
    expect(run.stderr).toBe('3 ok, 0 failed, 0 unreachable\n');
  });
});

describe('host keys', () => {
  it('refuses unknown host keys by default, accepts and records them with --trust-new-host-keys', async () => {
    const knownHosts = join(scratch, 'fresh_known_hosts');
    await writeFile(knownHosts, '');
    const document = fleet.inventory();
    document.all.vars = { ...document.all.vars, bosun_known_hosts_file: knownHosts };
    const fresh = await writeInventory('fresh.yml', document);

    const refused = await bosun(['exec', 'all', '-i', fresh, '--', 'hostname']);
    expect(refused.code).toBe(3);
    const refusedBlocks = blocks(refused.stdout);
    for (const host of ['host1', 'host2', 'host3']) {
      expect(refusedBlocks[host]).toMatch(
        new RegExp(`^${host} \\| UNREACHABLE! => BOSUN_HOST_KEY_UNKNOWN: .*--trust-new-host-keys`),
      );
    }
    expect(refused.stderr).not.toContain('accepted new host key');
    expect(await readFile(knownHosts, 'utf8')).toBe('');

    const trusted = await bosun(['exec', 'all', '-i', fresh, '--trust-new-host-keys', '--', 'hostname']);
    expect(trusted.code).toBe(0);
    expect(Object.keys(blocks(trusted.stdout)).sort()).toEqual(['host1', 'host2', 'host3']);
    // Each node's key is reported once, with the fingerprint of a key that node really has.
    const fingerprints = (node: { hostKeys: string[] }) =>
      node.hostKeys.map((line) => fingerprintSha256(Buffer.from(line.split(' ')[1]!, 'base64')));
    const accepted = trusted.stderr.trim().split('\n');
    const bastion = fleet.bastions[0]!;
    const expectedNames = [`[127.0.0.1]:${bastion.port}`, 'host1', 'host2', 'host3'];
    expect(accepted).toHaveLength(4);
    for (const [name, node] of expectedNames.map(
      (n, i) => [n, i === 0 ? bastion : fleet.hosts[i - 1]!] as const,
    )) {
      const line = accepted.find((l) => l.startsWith(`bosun: accepted new host key for ${name} (`));
      expect(line, name).toBeDefined();
      const match = /\((SHA256:[^)]+)\) into (.+)$/.exec(line!);
      expect(fingerprints(node)).toContain(match?.[1]);
      expect(match?.[2]).toBe(knownHosts);
    }
    const recorded = await readFile(knownHosts, 'utf8');
    expect(recorded.trim().split('\n')).toHaveLength(4);

    // Recorded: the next run needs no flag and accepts nothing new.
    const again = await bosun(['exec', 'all', '-i', fresh, '--', 'hostname']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });
});
