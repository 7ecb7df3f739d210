import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from '../../src/lab/docker-cli.js';
import { LAB_INVENTORY_HEADER, labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { parseDocument } from '../../src/vendor/yaml.js';

const name = `${process.env.BOSUN_FLEET_PREFIX ?? 'bosun-fleet-'}lab`;

async function dockerNames(): Promise<string[]> {
  const containers = await dockerCli(['ps', '-a', '--format', '{{.Names}}']);
  const networks = await dockerCli(['network', 'ls', '--format', '{{.Name}}']);
  return `${containers.stdout}\n${networks.stdout}`.split('\n').filter((line) => line.startsWith(`${name}-`));
}

function sshHostname(configPath: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ssh',
      ['-F', configPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', host, 'hostname'],
      { timeout: 30_000 },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout.trim())),
    );
  });
}

describe('bosun lab up / status / down', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-lab-test-'));
  });
  afterAll(async () => {
    await labDown({ dir, name }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a folder without a lab as not up', async () => {
    const status = await labStatus({ dir });
    expect(status).toMatchObject({ up: false, healthy: false, nodes: [] });
  });

  it('starts a systemd lab and writes its inventory and state', async () => {
    const result = await labUp({ dir, hosts: 2, name });
    console.info(`lab up (1 bastion + 2 systemd hosts) took ${result.startMs} ms`);
    expect(result.outcome).toBe('created');
    expect(result.fleet.hosts.map((host) => host.name)).toEqual(['host1', 'host2']);

    const text = await readFile(join(dir, 'inventory', 'lab.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe(`# ${LAB_INVENTORY_HEADER}`);
    const labDir = join(dir, '.bosun', 'lab');
    expect(parseDocument(text).toJS()).toEqual({
      all: {
        vars: {
          bosun_user: 'bosun',
          bosun_private_key_file: join(labDir, 'id_ed25519'),
          bosun_known_hosts_file: join(labDir, 'known_hosts'),
          bosun_bastions: [{ host: '127.0.0.1', port: result.fleet.bastions[0]!.port }],
        },
        children: { lab: { hosts: { host1: {}, host2: {} } } },
      },
    });
    expect((await stat(join(labDir, 'state.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(labDir, 'id_ed25519'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, '.bosun', '.gitignore'), 'utf8')).toBe('*\n');
    expect(await sshHostname(join(labDir, 'ssh_config'), 'host2')).toBe('host2');
  });

  it('is idempotent: a second up finds the running lab and keeps it', async () => {
    const before = JSON.parse(await readFile(join(dir, '.bosun', 'lab', 'state.json'), 'utf8'));
    await rm(join(dir, 'inventory', 'lab.yml'));
    const again = await labUp({ dir, name });
    expect(again.outcome).toBe('existing');
    expect(again.fleet.hosts.map((host) => host.containerId)).toEqual(
      before.nodes
        .filter((node: { role: string }) => node.role === 'host')
        .map((node: { containerId: string }) => node.containerId),
    );
    expect(existsSync(join(dir, 'inventory', 'lab.yml'))).toBe(true);
  });

  it('refuses to silently reuse a running lab of another shape', async () => {
    await expect(labUp({ dir, name, hosts: 5 })).rejects.toMatchObject({
      code: 'BOSUN_LAB',
      message: expect.stringMatching(/2 hosts, not 5.*--force-recreate/),
    });
  });

  it('reports every node running with sshd answering', async () => {
    const status = await labStatus({ dir });
    expect(status.up).toBe(true);
    expect(status.healthy).toBe(true);
    expect(status.name).toBe(name);
    expect(status.nodes.map((node) => [node.name, node.state, node.sshd])).toEqual([
      ['bastion1', 'running', true],
      ['host1', 'running', true],
      ['host2', 'running', true],
    ]);
  });

  it('notices a stopped node, and up replaces the broken lab', async () => {
    const host2 = (await labStatus({ dir })).nodes.find((node) => node.name === 'host2')!;
    expect((await dockerCli(['kill', host2.containerId])).code).toBe(0);
    const broken = await labStatus({ dir });
    expect(broken.healthy).toBe(false);
    expect(broken.nodes.find((node) => node.name === 'host2')).toMatchObject({
      state: 'exited',
      sshd: false,
    });

    const replaced = await labUp({ dir, name, hosts: 2 });
    expect(replaced.outcome).toBe('recreated');
    expect(replaced.fleet.hosts[1]!.containerId).not.toBe(host2.containerId);
    expect((await labStatus({ dir })).healthy).toBe(true);
  });

  it('down removes containers, networks, state and the inventory, and can be repeated', async () => {
    const down = await labDown({ dir });
    expect(down.wasUp).toBe(true);
    expect(down.containers.sort()).toEqual([`${name}-bastion1`, `${name}-host1`, `${name}-host2`]);
    expect(down.networks).toEqual([`${name}-net`]);
    expect(await dockerNames()).toEqual([]);
    expect(existsSync(join(dir, '.bosun', 'lab'))).toBe(false);
    expect(existsSync(join(dir, 'inventory', 'lab.yml'))).toBe(false);
    expect((await labStatus({ dir })).up).toBe(false);

    const again = await labDown({ dir });
    expect(again.wasUp).toBe(false);
  });

  it('down keeps an inventory/lab.yml it did not write', async () => {
    await writeFile(join(dir, 'inventory', 'lab.yml'), 'all: {}\n');
    const down = await labDown({ dir });
    expect(down.keptInventory).toBe(join(dir, 'inventory', 'lab.yml'));
    expect(existsSync(join(dir, 'inventory', 'lab.yml'))).toBe(true);
  });
});
