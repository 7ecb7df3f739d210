import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from '../../src/lab/docker-cli.js';
import { type Fleet, startFleet } from '../../src/lab/fleet.js';
import { utils } from '../../src/vendor/ssh2.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The system OpenSSH client, non-interactive, with the fleet's own config and known_hosts. */
function ssh(configPath: string, host: string, command: string, extra: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      ['-F', configPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...extra, host, command],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 255) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function inspect(container: string): Promise<{
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
    Networks: Record<string, unknown>;
  };
}> {
  const result = await dockerCli(['inspect', container]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout)[0];
}

async function leftovers(fleetName: string): Promise<string[]> {
  const containers = await dockerCli(['ps', '-a', '--format', '{{.Names}}']);
  const networks = await dockerCli(['network', 'ls', '--format', '{{.Name}}']);
  return `${containers.stdout}\n${networks.stdout}`
    .split('\n')
    .filter((name) => name.startsWith(`${fleetName}-`));
}

describe('a plain fleet behind one bastion', () => {
  let fleet: Fleet;
  let startMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    fleet = await startFleet({ hosts: 3 });
    startMs = Date.now() - t0;
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('starts 1 bastion and 3 hosts', () => {
    // How long is the machine's business: the hook's budget bounds it.
    console.info(`plain fleet (1 bastion + 3 hosts) started in ${startMs} ms`);
    expect(fleet.bastions.map((node) => node.name)).toEqual(['bastion1']);
    expect(fleet.hosts.map((node) => node.name)).toEqual(['host1', 'host2', 'host3']);
  });

  it('lets bosun log in to every node through the bastion with the system ssh, keys checked strictly', async () => {
    for (const node of [...fleet.bastions, ...fleet.hosts]) {
      const result = await ssh(fleet.sshConfigPath, node.name, 'hostname; id -un', [
        '-o',
        'StrictHostKeyChecking=yes',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${node.name}\nbosun\n`);
    }
  });

  it('fails host key checking when known_hosts holds another node key (the check is real)', async () => {
    const swapped = join(fleet.workdir, 'known_hosts.swapped');
    const lines = (await readFile(fleet.knownHostsPath, 'utf8')).split('\n');
    const host2Keys = lines
      .filter((line) => line.startsWith('host2 '))
      .map((line) => line.replace(/^host2 /, 'host1 '));
    await writeFile(
      swapped,
      [...lines.filter((line) => !line.startsWith('host1 ')), ...host2Keys, ''].join('\n'),
    );
    const result = await ssh(fleet.sshConfigPath, 'host1', 'true', [
      '-o',
      `UserKnownHostsFile=${swapped}`,
      '-o',
      'StrictHostKeyChecking=yes',
    ]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('gives every node its own host keys, as recorded in known_hosts', async () => {
    const keys = [...fleet.bastions, ...fleet.hosts].map((node) =>
      node.hostKeys.find((key) => key.startsWith('ssh-ed25519')),
    );
    expect(keys.every(Boolean)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    for (const node of fleet.hosts) {
      expect(node.hostKeys.map((key) => key.split(' ')[0]).sort()).toEqual([
        'ecdsa-sha2-nistp256',
        'ssh-ed25519',
        'ssh-rsa',
      ]);
    }
    const knownHosts = await readFile(fleet.knownHostsPath, 'utf8');
    expect(knownHosts).toContain(`[127.0.0.1]:${fleet.bastions[0]!.port} ${keys[0]}`);
    expect(knownHosts).toContain(`host3 ${keys[3]}`);
  });

  it('gives bosun passwordless sudo', async () => {
    const result = await ssh(fleet.sshConfigPath, 'host2', 'sudo -n id -u');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('0');
  });

  it('authorises the passphrase key, which opens only with fleet.keyPassphrase', async () => {
    const pem = await readFile(fleet.passphraseKeyPath);
    expect(utils.parseKey(pem, 'wrong passphrase')).toBeInstanceOf(Error);
    const key = utils.parseKey(pem, fleet.keyPassphrase);
    if (key instanceof Error) throw key;
    const parsed = Array.isArray(key) ? key[0]! : key;
    const publicLine = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
    const authorized = await fleet.exec(fleet.hosts[0]!, ['cat', '/home/bosun/.ssh/authorized_keys']);
    expect(authorized.output).toContain(publicLine);
  });

  it("makes pwuser's sudo ask for pwuser's password", async () => {
    const container = fleet.hosts[0]!.containerId;
    const noPassword = await dockerCli(['exec', '--user', 'pwuser', container, 'sudo', '-n', 'true']);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toMatch(/password is required/);
    const sudoS = ['exec', '-i', '--user', 'pwuser', container, 'sudo', '-S', '-k', '-p', '', 'id', '-u'];
    const wrong = await dockerCli(sudoS, { stdin: 'not-the-password\n' });
    expect(wrong.code).toBe(1);
    const right = await dockerCli(sudoS, { stdin: `${fleet.password}\n` });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout.trim()).toBe('0');
  });

  it('publishes only bastion1, on 127.0.0.1; hosts sit on the private network alone', async () => {
    const bastion = await inspect(fleet.bastions[0]!.containerId);
    expect(bastion.NetworkSettings.Ports['22/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(fleet.bastions[0]!.port) },
    ]);
    for (const host of fleet.hosts) {
      const info = await inspect(host.containerId);
      const bindings = Object.values(info.NetworkSettings.Ports).filter((value) => value !== null);
      expect(bindings).toEqual([]);
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual(fleet.networks);
    }
  });

  it('runs commands in a node with exec and describes itself as an inventory', async () => {
    const result = await fleet.exec(fleet.hosts[2]!, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, output: 'out\nerr\n' });
    expect(fleet.inventory()).toEqual({
      all: {
        vars: {
          bosun_user: 'bosun',
          bosun_private_key_file: fleet.privateKeyPath,
          bosun_known_hosts_file: fleet.knownHostsPath,
          bosun_bastions: [{ host: '127.0.0.1', port: fleet.bastions[0]!.port }],
        },
        children: { lab: { hosts: { host1: {}, host2: {}, host3: {} } } },
      },
    });
  });
});

describe('a systemd fleet behind two bastions', () => {
  let fleet: Fleet;
  let startMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    fleet = await startFleet({ hosts: 2, systemd: true, hops: 2 });
    startMs = Date.now() - t0;
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('boots systemd to running on the hosts', async () => {
    console.info(`systemd fleet (2 bastions + 2 hosts) started in ${startMs} ms`);
    for (const host of fleet.hosts) {
      const result = await fleet.exec(host, ['systemctl', 'is-system-running']);
      expect(result.output.trim()).toMatch(/^(running|degraded)$/);
      const pid1 = await fleet.exec(host, ['cat', '/proc/1/comm']);
      expect(pid1.output.trim()).toBe('systemd');
    }
  });

  it('reaches the hosts only through bastion1 then bastion2', async () => {
    const result = await ssh(fleet.sshConfigPath, 'host2', 'hostname; sudo -n systemctl is-active ssh');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('host2\nactive\n');
    // bastion1 is not on the inner network: it cannot even resolve the hosts.
    const fromBastion1 = await fleet.exec(fleet.bastions[0]!, ['getent', 'hosts', 'host1']);
    expect(fromBastion1.exitCode).not.toBe(0);
    const fromBastion2 = await fleet.exec(fleet.bastions[1]!, ['getent', 'hosts', 'host1']);
    expect(fromBastion2.exitCode).toBe(0);
    expect(fleet.inventory().all.vars?.bosun_bastions).toEqual([
      { host: '127.0.0.1', port: fleet.bastions[0]!.port },
      { host: 'bastion2' },
    ]);
  });
});

describe('fleet removal', () => {
  it('stop() leaves no container or network, and may be called twice', async () => {
    const fleet = await startFleet({ hosts: 1 });
    expect((await leftovers(fleet.name)).length).toBe(3); // bastion1, host1, network
    await fleet.stop();
    expect(await leftovers(fleet.name)).toEqual([]);
    await fleet.stop();
  });

  it('removes what it created when a node fails to start, and nothing it did not create', async () => {
    const name = `${process.env.BOSUN_FLEET_PREFIX ?? 'bosun-fleet-'}clash`;
    // A container already holding host2's name makes that node fail after the others started.
    const squatter = `${name}-host2`;
    const created = await dockerCli(['create', '--name', squatter, process.env.BOSUN_SSHD_IMAGE ?? '']);
    expect(created.code, created.stderr).toBe(0);
    try {
      await expect(startFleet({ name, hosts: 3 })).rejects.toMatchObject({ code: 'BOSUN_LAB' });
      expect(await leftovers(name)).toEqual([squatter]);
    } finally {
      await dockerCli(['rm', '-f', '-v', squatter]);
    }
  });
});
