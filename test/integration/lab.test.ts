import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from '../../src/lab/docker-cli.js';
import { LAB_INVENTORY_HEADER, labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { parseDocument } from '../../src/vendor/yaml.js';
import { type InProcessRun, runInProcess } from '../support/in-process-cli.js';

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
    // Only the missing file: the others already matched the running lab.
    expect(again.rewritten).toEqual([join(dir, 'inventory', 'lab.yml')]);
    expect(again.fleet.hosts.map((host) => host.containerId)).toEqual(
      before.nodes
        .filter((node: { role: string }) => node.role === 'host')
        .map((node: { containerId: string }) => node.containerId),
    );
    expect(existsSync(join(dir, 'inventory', 'lab.yml'))).toBe(true);
    // Only the missing file: the others already matched the running lab.
    expect(again.rewritten).toEqual([join(dir, 'inventory', 'lab.yml')]);
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

  it('notices a stopped systemd host, and up boots it again in place', async () => {
    const host2 = (await labStatus({ dir })).nodes.find((node) => node.name === 'host2')!;
    expect((await dockerCli(['kill', host2.containerId])).code).toBe(0);
    const broken = await labStatus({ dir });
    expect(broken.healthy).toBe(false);
    expect(broken.nodes.find((node) => node.name === 'host2')).toMatchObject({
      state: 'exited',
      sshd: false,
    });

    const repaired = await labUp({ dir, name, hosts: 2 });
    console.info(`lab up repaired a killed systemd host in ${repaired.startMs} ms`);
    expect(repaired.outcome).toBe('repaired');
    expect(repaired.repairs).toEqual(['host2: was exited; started']);
    expect(repaired.fleet.hosts[1]!.containerId).toBe(host2.containerId);
    expect((await labStatus({ dir })).healthy).toBe(true);
    expect(await sshHostname(join(dir, '.bosun', 'lab', 'ssh_config'), 'host2')).toBe('host2');
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

/** `bosun ...` in-process in `cwd`, as a user runs it there (no ssh-agent). */
function cli(argv: string[], cwd: string): Promise<InProcessRun> {
  return runInProcess(argv, { cwd, env: { NO_COLOR: '1' } });
}

async function docker(...args: string[]): Promise<string> {
  const result = await dockerCli(args);
  expect(result.code, `docker ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

/** The host port Docker publishes the container's sshd on now. */
async function publishedPort(containerId: string): Promise<number> {
  return Number((await docker('port', containerId, '22/tcp')).split('\n')[0]!.split(':').pop());
}

/** `bosun exec all -i inventory/lab.yml -- true` reaches every host through the bastion. */
async function expectEveryHostAnswers(dir: string, hosts: string[]): Promise<void> {
  const run = await cli(['exec', 'all', '-i', 'inventory/lab.yml', '--', 'true'], dir);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  for (const host of hosts) expect(run.stdout).toContain(`${host} | CHANGED | rc=0`);
  expect(run.stdout).toContain(`${hosts.length} ok, 0 failed, 0 unreachable`);
}

describe('bosun lab up repairs a lab whose containers were restarted or stopped', () => {
  // Plain hosts: they start in about a second each, and what is repaired is the same.
  const repairName = `${process.env.BOSUN_FLEET_PREFIX ?? 'bosun-fleet-'}lab-repair`;
  let dir: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-lab-repair-'));
    const up = await labUp({ dir, hosts: 2, systemd: false, name: repairName });
    expect(up.outcome).toBe('created');
    ids = Object.fromEntries(up.fleet.state().nodes.map((node) => [node.name, node.containerId]));
  });
  afterAll(async () => {
    const down = await cli(['lab', 'down'], dir);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('after the bastion restarts on a new port, status says unhealthy and up rewrites the files', async () => {
    const oldPort = await publishedPort(ids.bastion1!);
    await docker('restart', ids.bastion1!);
    const newPort = await publishedPort(ids.bastion1!);
    expect(newPort).not.toBe(oldPort);

    const status = await cli(['lab', 'status'], dir);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/NOT healthy/);
    expect((await labStatus({ dir })).healthy).toBe(false);

    const up = await cli(['lab', 'up'], dir);
    console.info(up.stdout.split('\n')[0]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/ repaired in /);
    expect(up.stdout).toContain(`bastion1: published port moved from ${oldPort} to ${newPort}`);
    expect(up.stdout).toMatch(/rewrote: .*inventory\/lab\.yml/);

    const inventory = parseDocument(await readFile(join(dir, 'inventory', 'lab.yml'), 'utf8')).toJS();
    expect(inventory.all.vars.bosun_bastions).toEqual([{ host: '127.0.0.1', port: newPort }]);
    const labDir = join(dir, '.bosun', 'lab');
    expect(await readFile(join(labDir, 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${newPort} `);
    expect(await readFile(join(labDir, 'known_hosts'), 'utf8')).not.toContain(`[127.0.0.1]:${oldPort} `);
    expect(await readFile(join(labDir, 'ssh_config'), 'utf8')).toContain(`Port ${newPort}\n`);
    expect(await sshHostname(join(labDir, 'ssh_config'), 'host1')).toBe('host1');
    expect((await cli(['lab', 'status'], dir)).code).toBe(0);
    await expectEveryHostAnswers(dir, ['host1', 'host2']);
  });

  it('starts stopped containers (bastion and host) in place and keeps what is on them', async () => {
    await docker('exec', ids.host1!, 'sh', '-c', 'echo kept > /root/bosun-marker');
    await docker('stop', '-t', '1', ids.bastion1!, ids.host1!);
    await docker('restart', '-t', '1', ids.host2!);
    const status = await labStatus({ dir });
    expect(status.nodes.map((node) => [node.name, node.state])).toEqual([
      ['bastion1', 'exited'],
      ['host1', 'exited'],
      ['host2', 'running'],
    ]);

    const up = await cli(['lab', 'up'], dir);
    console.info(up.stdout.split('\n')[0]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/ repaired in /);
    expect(up.stdout).toContain('bastion1: was exited; started');
    expect(up.stdout).toContain('host1: was exited; started');
    // host2 was restarted, not stopped: it comes back by itself (at most sshd is waited for).
    expect(up.stdout).not.toContain('host2: was');
    const after = await labStatus({ dir });
    expect(after.healthy).toBe(true);
    expect(Object.fromEntries(after.nodes.map((node) => [node.name, node.containerId]))).toEqual(ids);
    expect(await docker('exec', ids.host1!, 'cat', '/root/bosun-marker')).toBe('kept');
    const inventory = parseDocument(await readFile(join(dir, 'inventory', 'lab.yml'), 'utf8')).toJS();
    expect(inventory.all.vars.bosun_bastions).toEqual([
      { host: '127.0.0.1', port: await publishedPort(ids.bastion1!) },
    ]);
    await expectEveryHostAnswers(dir, ['host1', 'host2']);
  });

  it('recreates the lab when a container is gone, and says why', async () => {
    await docker('rm', '-f', '-v', ids.host2!);
    const up = await cli(['lab', 'up'], dir);
    console.info(up.stdout.split('\n')[0]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/ recreated in .*\(host2: the container is missing\)/);
    const after = await labStatus({ dir });
    expect(after.healthy).toBe(true);
    expect(after.nodes.find((node) => node.name === 'host2')!.containerId).not.toBe(ids.host2);
    await expectEveryHostAnswers(dir, ['host1', 'host2']);
  });

  it('with a healthy lab, up changes nothing and says it is already up', async () => {
    const up = await cli(['lab', 'up'], dir);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/ already up\n/);
    expect(up.stdout).not.toMatch(/repaired|rewrote/);
  });
});
