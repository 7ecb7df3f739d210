/**
 * apt and apt_repository on fleet containers over real SSH. host1 serves, with python's
 * http.server, .debs and a signed flat repository built on this machine (dpkg-deb, gpg with a
 * throwaway key); host2 installs from them. Debian's mirror is reached through NAT.
 * Needs on this machine: dpkg-deb and gpg (package gnupg).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mustRun, serveFolder, useFleet } from './support/fleet-hooks.js';
import { expectProtocol, type FleetNode, hostRun, runTasks, total } from './support/harness.js';

const run = promisify(execFile);

// A folder name full of shell syntax, in the URL of the .deb ("%20" is its space).
const DEB_DIR = "it's $(touch pwned)";
const DEB_URL = `http://host1:8000/debs/it's%20$(touch%20pwned)/bosun-hello_1.0_all.deb`;
const REPO = 'deb http://host1:8000/repo ./';

let host1: FleetNode;
let host2: FleetNode;
let work: string;
let repoKey: string;
let otherKey: string;

/** A .deb holding one file, built with dpkg-deb. */
async function buildDeb(out: string, name: string, version: string): Promise<void> {
  const root = await mkdtemp(join(work, 'pkg-'));
  await mkdir(join(root, 'DEBIAN'));
  await mkdir(join(root, 'usr', 'share', name), { recursive: true });
  await writeFile(join(root, 'usr', 'share', name, 'version'), `${name} ${version}\n`);
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: Bosun tests <tests@bosun.invalid>\nDescription: test package for the apt module\n`,
  );
  await run('dpkg-deb', ['--build', '--root-owner-group', root, out]);
}

/** A key made in a throwaway gpg home (removed after), optionally clearsigning a file; the armored public key. */
async function throwawayKey(name: string, sign?: { file: string; out: string }): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'bosun-gpg-'));
  const gpg = (...args: string[]) =>
    run('gpg', [
      '--batch',
      '--quiet',
      '--homedir',
      home,
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ]);
  try {
    await gpg('--quick-gen-key', `${name} <${name}@bosun.invalid>`, 'ed25519', 'sign', 'never');
    if (sign) await gpg('--clearsign', '--output', sign.out, sign.file);
    return (await gpg('--armor', '--export')).stdout;
  } finally {
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}

/** A flat repository: Packages and an InRelease signed with a throwaway key. */
async function buildRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await buildDeb(join(dir, 'bosun-repo-pkg_2.0_all.deb'), 'bosun-repo-pkg', '2.0');
  const stanzas: string[] = [];
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.deb'))) {
    const bytes = await readFile(join(dir, file));
    const { stdout } = await run('dpkg-deb', ['--field', join(dir, file)]);
    stanzas.push(
      `${stdout.trimEnd()}\nFilename: ./${file}\nSize: ${bytes.length}\nSHA256: ${createHash('sha256').update(bytes).digest('hex')}\n`,
    );
  }
  const packages = stanzas.join('\n');
  await writeFile(join(dir, 'Packages'), packages);
  const release = [
    'Origin: bosun-tests',
    'Label: bosun-tests',
    `Date: ${new Date().toUTCString().replace('GMT', 'UTC')}`,
    'SHA256:',
    ` ${createHash('sha256').update(packages).digest('hex')} ${Buffer.byteLength(packages)} Packages`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'Release'), release);
  const key = await throwawayKey('repo', { file: join(dir, 'Release'), out: join(dir, 'InRelease') });
  await writeFile(join(dir, 'key.asc'), key);
  return key;
}

const sh = (node: FleetNode, command: string) => mustRun(fleet(), node, command);

/** dpkg's status and version of a package on the node ("" when dpkg does not know it). */
async function dpkg(node: FleetNode, pkg: string): Promise<{ status: string; version: string }> {
  const r = await hostRun(fleet(), node, `dpkg-query -W -f='\${db:Status-Status} \${Version}' ${pkg}`);
  const [status = '', version = ''] = r.exitCode === 0 ? r.output.split(' ') : [];
  return { status, version };
}

/** The .debs and the signed repository host1 serves, built while the fleet starts. */
async function buildWww(): Promise<void> {
  work = await mkdtemp(join(tmpdir(), 'bosun-packages-'));
  const www = join(work, 'www');
  await mkdir(join(www, 'debs', DEB_DIR), { recursive: true });
  await buildDeb(join(www, 'debs', DEB_DIR, 'bosun-hello_1.0_all.deb'), 'bosun-hello', '1.0');
  repoKey = await buildRepo(join(www, 'repo'));
  otherKey = await throwawayKey('other');
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const fleet = useFleet({
  hosts: 2,
  timeout: 180_000,
  alongside: buildWww,
  setup: async (started) => {
    [host1, host2] = started.hosts as [FleetNode, FleetNode];
    for (const node of started.hosts) {
      // Only to save time: translations are not needed by any test.
      await sh(node, `echo 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/99bosun-tests`);
    }
    await serveFolder(started, join(work, 'www'), host1, host2);
  },
});

const stamp = 'stat -c %Y /var/lib/apt/periodic/update-success-stamp';

describe('apt', () => {
  it('refreshes the package lists once within cache_valid_time', async () => {
    const tasks = [{ name: 'refresh', apt: { update_cache: true, cache_valid_time: 3600 } }];
    await expectProtocol(
      fleet(),
      tasks,
      async (node) => {
        await sh(node, 'ls /var/lib/apt/lists | grep -q _Packages');
      },
      { hosts: ['host1'], changes: 1 },
    );
    const before = await sh(host1, stamp);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await runTasks(fleet(), tasks, { hosts: ['host1'] });
    expect(again.results.map((r) => r.status)).toEqual(['ok']);
    expect(await sh(host1, stamp)).toBe(before);
  });

  it('installs a package with its dependency, then purges both', async () => {
    await expectProtocol(
      fleet(),
      [{ apt: { name: 'rsync', state: 'present', install_recommends: false } }],
      async (node) => {
        expect((await dpkg(node, 'rsync')).status).toBe('installed');
        expect((await dpkg(node, 'libpopt0')).status).toBe('installed');
        expect(await sh(node, 'rsync --version')).toMatch(/^rsync +version/);
        await sh(node, 'test -f /etc/default/rsync');
      },
      { hosts: ['host1'], changes: 1 },
    );
    await expectProtocol(
      fleet(),
      [{ package: { name: 'rsync', state: 'absent', purge: true, autoremove: true } }],
      async (node) => {
        // Purged: dpkg keeps no record of the configuration files either.
        expect((await dpkg(node, 'rsync')).status).not.toMatch(/installed|config-files/);
        expect((await dpkg(node, 'libpopt0')).status).not.toBe('installed');
        expect((await hostRun(fleet(), node, 'test -e /etc/default/rsync')).exitCode).not.toBe(0);
      },
      { hosts: ['host1'], changes: 1 },
    );
  });

  it('brings a package to the candidate version with state latest', async () => {
    await expectProtocol(
      fleet(),
      [{ apt: { name: ['less'], state: 'latest' } }],
      async (node) => {
        const candidate = await sh(node, "apt-cache policy less | sed -n 's/^  Candidate: //p'");
        expect((await dpkg(node, 'less')).version).toBe(candidate.trim());
      },
      { hosts: ['host1'], changes: 1 },
    );
  });

  it('installs a .deb served by another host, from a URL full of shell syntax', async () => {
    await expectProtocol(
      fleet(),
      [{ apt: { deb: DEB_URL } }],
      async (node) => {
        expect(await sh(node, 'cat /usr/share/bosun-hello/version')).toBe('bosun-hello 1.0\n');
        expect(await dpkg(node, 'bosun-hello')).toEqual({ status: 'installed', version: '1.0' });
      },
      { hosts: ['host2'], changes: 1 },
    );
    expect(await sh(host2, 'find / -xdev -name pwned | wc -l')).toBe('0\n');
  });

  it('refuses names that are not package names before touching the host', async () => {
    const outcome = await runTasks(fleet(), [{ apt: { name: 'tree; touch /tmp/pwned' } }], {
      hosts: ['host1'],
    });
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.output).toContain('invalid package "tree; touch /tmp/pwned"');
    expect((await hostRun(fleet(), host1, 'test -e /tmp/pwned')).exitCode).not.toBe(0);
  });
});

describe('apt_repository', () => {
  it('adds a signed repository with its own keyring and installs from it', async () => {
    await expectProtocol(
      fleet(),
      [
        { name: 'repository', apt_repository: { repo: REPO, key_url: 'http://host1:8000/repo/key.asc' } },
        { name: 'package', apt: { name: 'bosun-repo-pkg', cache_valid_time: 3600 } },
      ],
      async (node) => {
        expect(await sh(node, 'cat /etc/apt/sources.list.d/host1_8000_repo.sources')).toBe(
          'Types: deb\nURIs: http://host1:8000/repo\nSuites: ./\nSigned-By: /etc/apt/keyrings/host1_8000_repo.asc\n',
        );
        expect(await sh(node, 'cat /etc/apt/keyrings/host1_8000_repo.asc')).toBe(repoKey);
        expect(await sh(node, 'cat /usr/share/bosun-repo-pkg/version')).toBe('bosun-repo-pkg 2.0\n');
        // Trusted through Signed-By only: apt's global keyrings hold Debian's keys and nothing else.
        expect(await sh(node, "ls /etc/apt/trusted.gpg.d | grep -vc '^debian-archive-' || true")).toBe('0\n');
        expect((await hostRun(fleet(), node, 'test -e /etc/apt/trusted.gpg')).exitCode).not.toBe(0);
      },
      // A package from a repository the run adds: apt on the host cannot see it before the
      // real run, so check mode says unknown (needs the change made by task "repository").
      { hosts: ['host2'], changes: 1, unknown: ['package'] },
    );
  });

  it('switches to a one-line source with the key given inline, then removes it', async () => {
    const oneLine = [{ apt_repository: { repo: REPO, key: repoKey, format: 'one_line' } }];
    const first = await runTasks(fleet(), oneLine, { hosts: ['host2'] });
    expect(first.exitCode, first.output).toBe(0);
    expect(total(first, 'changed')).toBe(1);
    expect(await sh(host2, 'ls /etc/apt/sources.list.d')).toBe('host1_8000_repo.list\n');
    expect(await sh(host2, 'cat /etc/apt/sources.list.d/host1_8000_repo.list')).toBe(
      'deb [signed-by=/etc/apt/keyrings/host1_8000_repo.asc] http://host1:8000/repo ./\n',
    );
    const again = await runTasks(fleet(), oneLine, { hosts: ['host2'] });
    expect(total(again, 'changed')).toBe(0);

    const absent = [{ apt_repository: { repo: REPO, state: 'absent', update_cache: false } }];
    const removed = await runTasks(fleet(), absent, { hosts: ['host2'] });
    expect(removed.exitCode, removed.output).toBe(0);
    expect(total(removed, 'changed')).toBe(1);
    expect(await sh(host2, 'ls /etc/apt/sources.list.d /etc/apt/keyrings | grep -c host1 || true')).toBe(
      '0\n',
    );
    expect(total(await runTasks(fleet(), absent, { hosts: ['host2'] }), 'changed')).toBe(0);
  });

  it("fails with apt's reason when the key does not sign the repository", async () => {
    const outcome = await runTasks(
      fleet(),
      [{ apt_repository: { repo: REPO, key: otherKey, filename: 'wrong-key' } }],
      { hosts: ['host2'] },
    );
    expect(outcome.exitCode).not.toBe(0);
    const failure = outcome.results.find((r) => r.status === 'failed');
    expect(failure?.msg).toMatch(/refresh the package lists \(apt-get update\) failed: .*NO_PUBKEY/s);
    const cleanup = await runTasks(
      fleet(),
      [{ apt_repository: { repo: REPO, filename: 'wrong-key', state: 'absent', update_cache: false } }],
      { hosts: ['host2'] },
    );
    expect(cleanup.exitCode, cleanup.output).toBe(0);
  });
});
