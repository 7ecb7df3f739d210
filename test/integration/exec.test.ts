import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintSha256 } from '../../src/transport/ssh/index.js';
import { buildCli, type CliRun, bosun as runCli } from './run-helpers.js';
import { useCliFleet } from './support/fleet-hooks.js';

// The built CLI (`node bin/bosun.js`, as a user runs it) against a real fleet: a bastion
// published on 127.0.0.1 and three hosts reachable only through it.

const lab = useCliFleet({ hosts: 3, scratchPrefix: 'bosun-exec-', alongside: buildCli });

/** The built CLI, run in the scratch folder with an empty HOME and no agent. */
function bosun(args: string[], env?: Record<string, string>): Promise<CliRun> {
  return runCli(args, { cwd: lab.scratch, home: lab.home, ...(env ? { env } : {}) });
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

describe('bosun exec through a bastion', () => {
  it('runs uname -a on every host', async () => {
    const run = await bosun(['exec', 'all', '-i', lab.inventory, '--', 'uname', '-a']);
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
    const run = await bosun(['exec', 'lab', '-i', lab.inventory, '--', 'hostname']);
    expect(run.code).toBe(0);
    expect(blocks(run.stdout)).toEqual({
      host1: 'host1 | CHANGED | rc=0 >>\nhost1\n',
      host2: 'host2 | CHANGED | rc=0 >>\nhost2\n',
      host3: 'host3 | CHANGED | rc=0 >>\nhost3\n',
    });
  });

  it('selects hosts with a pattern', async () => {
    const run = await bosun(['exec', 'lab:!host2', '-i', lab.inventory, '--', 'hostname']);
    expect(run.code).toBe(0);
    expect(Object.keys(blocks(run.stdout)).sort()).toEqual(['host1', 'host3']);
    expect(run.stdout.endsWith('2 ok, 0 failed, 0 unreachable\n')).toBe(true);
  });

  it('exits 2 and shows rc when the command fails on one host', async () => {
    const run = await bosun([
      'exec',
      'all',
      '-i',
      lab.inventory,
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
    const ghost = await lab.writeInventory('ghost.yml', {
      all: { children: { ghosts: { hosts: { ghost: { bosun_host: '127.0.0.1', bosun_port: 1 } } } } },
    });
    const run = await bosun(['exec', 'all', '-i', lab.inventory, '-i', ghost, '--', 'hostname']);
    expect(run.code).toBe(3);
    const byHost = blocks(run.stdout);
    expect(byHost.host1).toBe('host1 | CHANGED | rc=0 >>\nhost1\n');
    expect(byHost.host2).toBe('host2 | CHANGED | rc=0 >>\nhost2\n');
    expect(byHost.host3).toBe('host3 | CHANGED | rc=0 >>\nhost3\n');
    expect(byHost.ghost).toMatch(/^ghost \| UNREACHABLE! => BOSUN_UNREACHABLE: .*127\.0\.0\.1:1/);
    expect(run.stdout.endsWith('3 ok, 0 failed, 1 unreachable\n')).toBe(true);
  });

  it('runs as root with --become, as another user with --become-user', async () => {
    const plain = await bosun(['exec', 'host1', '-i', lab.inventory, '--', 'id -un']);
    expect(plain.stdout).toBe('host1 | CHANGED | rc=0 >>\nbosun\n1 ok, 0 failed, 0 unreachable\n');
    const root = await bosun(['exec', 'lab', '-i', lab.inventory, '--become', '--', 'id -u; id -un']);
    expect(root.code).toBe(0);
    for (const block of Object.values(blocks(root.stdout))) expect(block).toMatch(/>>\n0\nroot\n$/);
    const nobody = await bosun([
      'exec',
      'host1',
      '-i',
      lab.inventory,
      '--become-user',
      'nobody',
      '--',
      'id -un',
    ]);
    expect(nobody.stdout).toBe('host1 | CHANGED | rc=0 >>\nnobody\n1 ok, 0 failed, 0 unreachable\n');
  });

  it('asks sudo for a password with -K (from BOSUN_BECOME_PASSWORD), never printing it', async () => {
    const pw = await lab.passwordUserInventory();
    const ok = await bosun(['exec', 'all', '-i', pw, '-b', '-K', '--', 'id -un'], {
      BOSUN_BECOME_PASSWORD: lab.fleet.password,
    });
    expect(ok).toEqual({
      code: 0,
      stdout: 'host1 | CHANGED | rc=0 >>\nroot\n1 ok, 0 failed, 0 unreachable\n',
      stderr: '',
      ms: expect.any(Number),
    });
    const wrong = await bosun(['exec', 'all', '-i', pw, '-b', '-K', '--', 'id -un'], {
      BOSUN_BECOME_PASSWORD: 'not-the-password',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/^host1 \| FAILED! => BOSUN_BECOME_FAILED: /);
    for (const run of [ok, wrong]) {
      expect(run.stdout + run.stderr).not.toContain(lab.fleet.password);
      expect(run.stdout + run.stderr).not.toContain('not-the-password');
    }
  });

  it('prints one JSON object per host with --json', async () => {
    const run = await bosun(['exec', 'all', '-i', lab.inventory, '--json', '--', 'hostname; echo note >&2']);
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
    const knownHosts = join(lab.scratch, 'fresh_known_hosts');
    await writeFile(knownHosts, '');
    const document = lab.fleet.inventory();
    document.all.vars = { ...document.all.vars, bosun_known_hosts_file: knownHosts };
    const fresh = await lab.writeInventory('fresh.yml', document);

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
    const bastion = lab.fleet.bastions[0]!;
    const expectedNames = [`[127.0.0.1]:${bastion.port}`, 'host1', 'host2', 'host3'];
    expect(accepted).toHaveLength(4);
    for (const [name, node] of expectedNames.map(
      (n, i) => [n, i === 0 ? bastion : lab.fleet.hosts[i - 1]!] as const,
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
