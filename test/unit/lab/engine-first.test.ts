import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// Loaded once here (collection time: about 8 s on a busy machine) so that the fresh imports
// each verb gets below reuse the transformed modules (1 to 2 s each).
import { main as loadedMain } from '../../../src/cli/main.js';
import { type FleetState, serializeFleetState } from '../../../src/lab/fleet-state.js';
import { type InProcessRun, runInProcess } from '../../support/in-process-cli.js';

// Every `bosun lab` verb must make sure a Docker engine runs before it asks Docker anything.
//
// How this is proven without touching this machine's dockerd (other work shares it): the lab's
// docker calls go to a fake `docker` CLI first on PATH, whose "engine" is down until a fake
// `dockerd` has run. The real src/lab/images/ensure-docker.sh is what runs that `dockerd`, the
// way it would start the real one on a fresh machine; so a verb that lists containers before the
// ensure step gets "Cannot connect to the Docker daemon" and fails, exactly as the operator saw.
// Every call is appended to one log, so the order is checked, not just the outcome. A second
// engine on a DOCKER_HOST socket was the other way, but a second dockerd fights the first over
// iptables and the docker0 bridge: not something to do on a shared machine.
// The lab itself is a state file in a temp folder with a bastion "sshd" that is a loopback
// server answering with an SSH banner, so `lab up` finds it healthy and never starts containers.

let fake: string;
let project: string;
let banner: Server;
const savedEnv = { PATH: process.env.PATH, FAKE: process.env.BOSUN_FAKE_ENGINE };

async function script(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

const FAKE_DOCKER = `#!/bin/bash
log="$BOSUN_FAKE_ENGINE/calls.log"
if [ ! -e "$BOSUN_FAKE_ENGINE/engine-up" ]; then
  echo "refused docker $*" >> "$log"
  echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
  exit 1
fi
echo "docker $*" >> "$log"
case "$1" in
  inspect)
    printf '[{"State":{"Status":"running"},"NetworkSettings":{"Ports":{"22/tcp":[{"HostIp":"127.0.0.1","HostPort":"%s"}]}}}]\\n' \\
      "$(cat "$BOSUN_FAKE_ENGINE/port")" ;;
  exec) printf 'SSH-2.0-' ;;
esac
exit 0
`;

const FAKE_DOCKERD = `#!/bin/bash
echo dockerd >> "$BOSUN_FAKE_ENGINE/calls.log"
touch "$BOSUN_FAKE_ENGINE/engine-up"
`;

function labState(dir: string, port: number): FleetState {
  const labDir = join(dir, '.bosun', 'lab');
  const node = (name: string, role: 'bastion' | 'host') => ({
    name,
    role,
    containerId: `id-${name}`,
    containerName: `bosun-lab-fake-${name}`,
    address: role === 'bastion' ? '127.0.0.1' : name,
    port: role === 'bastion' ? port : 22,
    hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake'],
    systemd: false,
  });
  return {
    version: 1,
    name: 'bosun-lab-fake',
    workdir: labDir,
    hops: 1,
    systemd: false,
    networks: ['bosun-lab-fake-net'],
    bastionPort: port,
    user: 'bosun',
    passwordUser: 'pwuser',
    privateKeyPath: join(labDir, 'id_ed25519'),
    publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey bosun@lab',
    passphraseKeyPath: join(labDir, 'id_ed25519_passphrase'),
    keyPassphrase: 'pass',
    password: 'pw',
    knownHostsPath: join(labDir, 'known_hosts'),
    sshConfigPath: join(labDir, 'ssh_config'),
    nodes: [node('bastion1', 'bastion'), node('host1', 'host')],
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

/** The CLI in-process with fresh modules, so nothing a previous verb ensured is remembered. */
async function bosun(argv: string[], fresh = true): Promise<InProcessRun> {
  let main = loadedMain;
  if (fresh) {
    vi.resetModules();
    main = (await import('../../../src/cli/main.js')).main;
  }
  return runInProcess(argv, { cwd: project, main });
}

beforeAll(async () => {
  fake = await mkdtemp(join(tmpdir(), 'bosun-fake-engine-'));
  project = await mkdtemp(join(tmpdir(), 'bosun-engine-first-'));
  await mkdir(join(fake, 'bin'));
  await script(join(fake, 'bin', 'docker'), FAKE_DOCKER);
  await script(join(fake, 'bin', 'dockerd'), FAKE_DOCKERD);
  // Present, so the ensure step has nothing to install (its install path has its own tests).
  await script(join(fake, 'bin', 'debootstrap'), '#!/bin/sh\nexit 0\n');
  // The script starts dockerd only as root; the fake engine needs no privilege.
  await script(join(fake, 'bin', 'id'), '#!/bin/sh\necho 0\n');
  banner = createServer((socket) => socket.end('SSH-2.0-OpenSSH_fake\r\n'));
  await new Promise<void>((resolve) => banner.listen(0, '127.0.0.1', resolve));
  const port = (banner.address() as { port: number }).port;
  await writeFile(join(fake, 'port'), String(port));
  await mkdir(join(project, '.bosun', 'lab'), { recursive: true });
  await writeFile(join(project, '.bosun', 'lab', 'state.json'), serializeFleetState(labState(project, port)));
  process.env.PATH = `${join(fake, 'bin')}:${savedEnv.PATH}`;
  process.env.BOSUN_FAKE_ENGINE = fake;
  process.env.BOSUN_DOCKERD_LOG = join(fake, 'dockerd.log');
});

afterAll(async () => {
  process.env.PATH = savedEnv.PATH;
  if (savedEnv.FAKE === undefined) delete process.env.BOSUN_FAKE_ENGINE;
  delete process.env.BOSUN_DOCKERD_LOG;
  await new Promise((resolve) => banner.close(resolve));
  await rm(fake, { recursive: true, force: true });
  await rm(project, { recursive: true, force: true });
});

describe('every bosun lab verb ensures the Docker engine before it looks at lab objects', () => {
  it('has at least the verbs up, status and down', async () => {
    expect(await labVerbs()).toEqual(expect.arrayContaining(['up', 'status', 'down']));
  });

  it('runs each verb against an engine that is down: the ensure step starts it first', async () => {
    // down goes last: it removes the lab the other verbs look at.
    const verbs = (await labVerbs()).sort((a, b) => Number(a === 'down') - Number(b === 'down'));
    for (const verb of verbs) {
      await rm(join(fake, 'engine-up'), { force: true });
      await writeFile(join(fake, 'calls.log'), '');
      const run = await bosun(['lab', verb]);
      const calls = (await readFile(join(fake, 'calls.log'), 'utf8')).trim().split('\n');
      expect.soft(run.stderr, verb).not.toMatch(/error/);
      expect.soft(run.code, `${verb}: ${run.stdout}${run.stderr}`).toBe(0);
      // Only the ensure step's own probes (docker info) may meet the engine down; it starts
      // dockerd, and every docker call about the lab comes after that and finds it up.
      const context = `${verb}: ${calls.join(' | ')}`;
      const refused = calls.filter((call) => call.startsWith('refused'));
      expect.soft(refused.length, context).toBeGreaterThan(0);
      expect
        .soft(
          refused.every((call) => call === 'refused docker info'),
          context,
        )
        .toBe(true);
      const started = calls.indexOf('dockerd');
      const firstLabCall = calls.findIndex((call) => /^docker (?!info)/.test(call));
      expect.soft(started, context).toBeGreaterThan(0);
      expect.soft(firstLabCall, `${verb} asked Docker nothing about the lab`).toBeGreaterThan(started);
    }
    // Measured with the machine's load at 16: 3.5 to 4.5 s a verb (a fresh import of the CLI,
    // then the ensure script with its 1 s poll); 1.5 s when idle.
  }, 60_000);
});

/** The verbs `bosun lab --help` lists, so a verb added later is covered without editing this. */
async function labVerbs(): Promise<string[]> {
  const help = await bosun(['lab', '--help'], false);
  const commands = help.stdout.split(/^Commands:$/m)[1] ?? '';
  return [...commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
    .map((match) => match[1]!)
    .filter((verb) => verb !== 'help');
}
