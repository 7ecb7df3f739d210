import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dockerCli, removeContainersAndNetworks } from '../../src/lab/docker-cli.js';
import { ensureImages } from '../../src/lab/images.js';

/**
 * Build (or find) the lab images once for the whole integration run and hand their names to the
 * test workers through the environment, so no worker runs build.sh. Every fleet of this run is
 * named with one prefix, so teardown can remove whatever a crashed test left behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  execFileSync('bash', [join(import.meta.dirname, '..', 'support', 'ensure-test-tools.sh')], {
    stdio: 'inherit',
  });
  const images = await ensureImages();
  process.env.BOSUN_SSHD_IMAGE = images.sshdImage;
  process.env.BOSUN_SYSTEMD_IMAGE = images.systemdImage;
  const prefix = `bosun-test-${randomBytes(3).toString('hex')}-`;
  process.env.BOSUN_FLEET_PREFIX = prefix;

  return async () => {
    const containers = await names(['ps', '-a', '--format', '{{.Names}}'], prefix);
    const networks = await names(['network', 'ls', '--format', '{{.Name}}'], prefix);
    if (containers.length > 0 || networks.length > 0) {
      console.warn(
        `global teardown: removing leftovers of this run: ${[...containers, ...networks].join(', ')}`,
      );
    }
    const problems = await removeContainersAndNetworks(containers, networks);
    if (problems.length > 0) throw new Error(`leftovers could not be removed: ${problems.join('; ')}`);
  };
}

async function names(args: string[], prefix: string): Promise<string[]> {
  const result = await dockerCli(args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name.startsWith(prefix));
}
