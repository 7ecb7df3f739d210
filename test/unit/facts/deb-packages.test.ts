import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debPackagesScript, parseDebPackages } from '../../../src/facts/deb-packages.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { describeRecorded } from './recorded.js';

describeRecorded('deb-packages', 'parseDebPackages on recorded output', (result) => parseDebPackages(result));

// This machine runs Debian (the lab images are built with debootstrap on it): the script runs
// here for real, read-only, on a .deb whose path is full of shell syntax.
const hasDpkg = spawnSync('sh', ['-c', 'command -v dpkg-query && command -v dpkg-deb']).status === 0;

describe.runIf(hasDpkg)('debPackagesScript on this machine', () => {
  const t = new LocalTransport();
  const root = mkdtempSync(join(tmpdir(), 'bosun-deb-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const nasty = `it's "q" $(touch pwned) \`touch pwned2\` * ?`;
  const dir = join(root, nasty);
  const build = join(root, 'build');
  mkdirSync(join(build, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(build, 'DEBIAN', 'control'),
    'Package: bosun-probe\nVersion: 1.2-3\nArchitecture: all\nMaintainer: Bosun <bosun@example.invalid>\nDescription: probe\n',
  );
  mkdirSync(dir);
  const deb = join(dir, 'probe $(x).deb');
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', build, deb], { stdio: 'ignore' });

  it('reads dpkg records, the cache age and the package inside a .deb', async () => {
    const script = debPackagesScript({ names: ['dpkg', 'no-such-package-bosun'], deb: { path: deb } });
    const facts = parseDebPackages(await t.exec(script));
    expect(facts.deb).toEqual({ package: 'bosun-probe', version: '1.2-3', architecture: 'all' });
    const dpkg = facts.entries.find((entry) => entry.name === 'dpkg');
    expect(dpkg).toMatchObject({ status: 'installed', arch: facts.arch });
    expect(facts.entries.some((entry) => entry.name === 'no-such-package-bosun')).toBe(false);
    expect(facts.now).toBeGreaterThan(1_600_000_000);
  });

  it('finds the provider of a virtual package', async () => {
    // Every Debian system has an awk, and awk is always a virtual package.
    const facts = parseDebPackages(await t.exec(debPackagesScript({ names: ['awk'], provides: ['awk'] })));
    expect(facts.provides?.awk?.length).toBeGreaterThan(0);
  });

  it("fails with dpkg-deb's message for a missing .deb", async () => {
    const result = await t.exec(debPackagesScript({ names: [], deb: { path: join(dir, 'missing.deb') } }));
    expect(() => parseDebPackages(result)).toThrow(
      /cannot read the \.deb: dpkg-deb: error: failed to read archive/,
    );
  });

  it('expanded nothing', () => {
    expect(existsSync('pwned') || existsSync('pwned2') || existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
