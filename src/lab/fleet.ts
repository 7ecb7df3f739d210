import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BosunError, messageOf } from '../errors.js';
import {
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from '../vendor/testcontainers.js';
import { dockerCli, removeContainersAndNetworks } from './docker-cli.js';
import { type FleetState, type FleetStateNode, fleetFiles } from './fleet-state.js';
import { ensureImages } from './images.js';
import { fleetInventory, type InventoryDocument } from './inventory.js';
import { writeFleetKeys } from './keys.js';
import { nodeSetupScript, parseHostKeys } from './node-setup.js';

export type { FleetState } from './fleet-state.js';

export interface FleetOptions {
  /** Prefix for container/network names; default `$BOSUN_FLEET_PREFIX` or 'bosun-fleet-', plus a random part. */
  name?: string;
  /** Number of target hosts (default 3). */
  hosts?: number;
  /** Hosts boot systemd (bastions are always plain sshd); default false. */
  systemd?: boolean;
  /** 2 = bastion1 (published on 127.0.0.1) -> bastion2 -> hosts; default 1. */
  hops?: 1 | 2;
  /** Where keys, known_hosts, ssh_config and state.json are written; default a new temp dir. */
  workdir?: string;
  /** Lab: containers outlive the process (otherwise they are removed when the process exits). */
  keepOnExit?: boolean;
  /**
   * Hosts may run a Docker engine of their own (a docker role): systemd hosts with NET_ADMIN,
   * no seccomp filter and an anonymous volume for /var/lib/docker (overlayfs cannot stack on
   * the container's own); the volume goes with the container. Default false.
   */
  dockerInDocker?: boolean;
}

export interface FleetNode {
  /** e.g. 'host1', 'bastion1': also its DNS alias on the fleet networks. */
  name: string;
  containerId: string;
  containerName: string;
  /** How the previous hop dials it: '127.0.0.1' for bastion1, the alias otherwise. */
  address: string;
  /** Published port for bastion1, 22 otherwise. */
  port: number;
  /** Public host key lines ("ssh-ed25519 AAAA..."), read from the container. */
  hostKeys: string[];
}

export interface Fleet {
  name: string;
  workdir: string;
  bastions: FleetNode[];
  hosts: FleetNode[];
  networks: string[];
  user: 'bosun';
  privateKeyPath: string;
  publicKey: string;
  passphraseKeyPath: string;
  keyPassphrase: string;
  passwordUser: 'pwuser';
  password: string;
  knownHostsPath: string;
  /** `ssh -F <sshConfigPath> host1` reaches a host by hand. */
  sshConfigPath: string;
  exec(node: FleetNode, command: string[]): Promise<{ exitCode: number; output: string }>;
  inventory(): InventoryDocument;
  /** What attachFleet needs to find this fleet again from another process. */
  state(): FleetState;
  stop(): Promise<void>;
}

export const DEFAULT_FLEET_PREFIX = 'bosun-fleet-';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** How long a node may take to boot (systemd included) on a busy machine. */
export const STARTUP_TIMEOUT_MS = 90_000;
const SSHD_LISTENS = "ss -ltn | grep -q ':22 '";
// is-system-running exits non-zero for "degraded", which still means boot has finished.
const SYSTEMD_BOOTED =
  'state=$(systemctl is-system-running 2>/dev/null || true); [ "$state" = running ] || [ "$state" = degraded ]';

interface NodeSpec {
  name: string;
  role: 'bastion' | 'host';
  image: string;
  systemd: boolean;
  dockerInDocker: boolean;
  /** Networks in order; the first is joined at creation, the others before start. */
  networks: string[];
  publish: boolean;
}

/**
 * A lab container: joins its networks under its node name only (no default bridge, so a host
 * cannot be dialled from here except through a bastion), optionally boots systemd with the
 * options that work on this Docker (no --privileged), and reports its id as soon as it exists
 * so a failed start can clean it up.
 */
class FleetContainer extends GenericContainer {
  private readonly extraNetworks: string[];
  private readonly alias: string;

  constructor(
    spec: NodeSpec,
    fleetName: string,
    private readonly onCreated: (id: string) => void,
  ) {
    super(spec.image);
    const [first, ...others] = spec.networks;
    this.extraNetworks = others;
    this.alias = spec.name;
    this.withName(`${fleetName}-${spec.name}`)
      .withHostname(spec.name)
      .withLabels({ 'bosun.fleet': fleetName, 'bosun.node': spec.name })
      .withNetworkMode(first!)
      .withPullPolicy({ shouldPull: () => false })
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .withWaitStrategy(
        Wait.forSuccessfulCommand(spec.systemd ? `${SSHD_LISTENS} && ${SYSTEMD_BOOTED}` : SSHD_LISTENS),
      );
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [first!]: { Aliases: [spec.name] } } };
    if (spec.publish) {
      this.withExposedPorts(22);
      // Loopback only: a lab must not be reachable from the network this machine is on.
      this.hostConfig.PortBindings = { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] };
    }
    if (spec.systemd) {
      // testcontainers has no option for it and dockerode's types lack the field.
      Object.assign(this.hostConfig, { CgroupnsMode: 'host' });
      this.withAddedCapabilities('SYS_ADMIN')
        .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'rw' }])
        .withTmpFs({ '/run': 'rw', '/run/lock': 'rw' })
        .withCommand(['/sbin/init']);
    }
    if (spec.dockerInDocker) {
      this.withAddedCapabilities('NET_ADMIN');
      Object.assign(this.hostConfig, { SecurityOpt: ['seccomp=unconfined'] });
      Object.assign(this.createOpts, { Volumes: { '/var/lib/docker': {} } });
    }
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.onCreated(containerId);
    if (this.extraNetworks.length === 0) return;
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(containerId);
    for (const network of this.extraNetworks) {
      await client.container.connectToNetwork(container, client.network.getById(network), [this.alias]);
    }
  }
}

function nodeSpecs(
  hosts: number,
  hops: 1 | 2,
  systemd: boolean,
  dockerInDocker: boolean,
  images: { sshd: string; systemd: string },
  networks: string[],
): NodeSpec[] {
  const outer = networks[0]!;
  const inner = networks.at(-1)!;
  const specs: NodeSpec[] = [
    {
      name: 'bastion1',
      role: 'bastion',
      image: images.sshd,
      systemd: false,
      dockerInDocker: false,
      networks: [outer],
      publish: true,
    },
  ];
  if (hops === 2) {
    specs.push({
      name: 'bastion2',
      role: 'bastion',
      image: images.sshd,
      systemd: false,
      dockerInDocker: false,
      networks: [outer, inner],
      publish: false,
    });
  }
  for (let i = 1; i <= hosts; i++) {
    specs.push({
      name: `host${i}`,
      role: 'host',
      image: systemd ? images.systemd : images.sshd,
      systemd,
      dockerInDocker,
      networks: [inner],
      publish: false,
    });
  }
  return specs;
}

// Fleets not kept on exit are removed when the process exits, even if a test forgot stop() or
// crashed: one listener for all of them (an 'exit' handler must be synchronous).
const liveFleets = new Map<string, { containers: string[]; networks: string[] }>();
let exitHookInstalled = false;

function removeOnExit(name: string, containers: string[], networks: string[]): void {
  liveFleets.set(name, { containers, networks });
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const fleet of liveFleets.values()) {
      if (fleet.containers.length > 0)
        spawnSync('docker', ['rm', '-f', '-v', ...fleet.containers], { stdio: 'ignore' });
      if (fleet.networks.length > 0)
        spawnSync('docker', ['network', 'rm', ...fleet.networks], { stdio: 'ignore' });
    }
  });
}

async function assertImagesLocal(images: string[]): Promise<void> {
  const client = await getContainerRuntimeClient();
  for (const image of new Set(images)) {
    if (!(await client.image.exists(ImageName.fromString(image)))) {
      // Never pull: there is no registry, and a pull of "bosun-sshd" would ask Docker Hub.
      throw new BosunError(
        'BOSUN_LAB',
        `lab image ${image} is not present locally; run \`bosun lab up\` or src/lab/images/build.sh to build it`,
      );
    }
  }
}

async function setupNode(
  container: StartedTestContainer,
  spec: NodeSpec,
  authorizedKeys: string[],
  password: string,
): Promise<string[]> {
  const script = nodeSetupScript({ authorizedKeys, password, bastion: spec.role === 'bastion' });
  const result = await dockerCli(['exec', '-i', container.getId(), '/bin/sh', '-s'], { stdin: script });
  if (result.code !== 0) {
    throw new BosunError(
      'BOSUN_LAB',
      `setting up ${spec.name} failed (exit ${result.code}): ${result.stderr.trim()}`,
      {
        host: spec.name,
      },
    );
  }
  const hostKeys = parseHostKeys(result.stdout);
  if (hostKeys.length === 0) {
    throw new BosunError('BOSUN_LAB', `${spec.name} has no SSH host keys after sshd started`, {
      host: spec.name,
    });
  }
  return hostKeys;
}

/**
 * Start a fleet: bastion(s) and hosts, each with its own host keys, user `bosun` (key login,
 * passwordless sudo) and `pwuser` (password login, sudo asks for the password). Nodes start
 * concurrently; if any fails, everything created so far is removed before the error is thrown.
 */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const hostCount = options.hosts ?? 3;
  const hops = options.hops ?? 1;
  const systemd = options.systemd ?? false;
  const dockerInDocker = options.dockerInDocker ?? false;
  if (dockerInDocker && !systemd) {
    throw new BosunError('BOSUN_LAB', 'dockerInDocker needs systemd hosts (the engine runs as a service)');
  }
  if (!Number.isInteger(hostCount) || hostCount < 0 || hostCount > 50) {
    throw new BosunError('BOSUN_LAB', `a fleet has 0 to 50 hosts, not ${hostCount}`);
  }
  if (hops !== 1 && hops !== 2) throw new BosunError('BOSUN_LAB', `hops must be 1 or 2, not ${String(hops)}`);
  const name =
    options.name ??
    `${process.env.BOSUN_FLEET_PREFIX ?? DEFAULT_FLEET_PREFIX}${randomBytes(4).toString('hex')}`;
  if (!NAME_PATTERN.test(name)) {
    throw new BosunError('BOSUN_LAB', `fleet name ${JSON.stringify(name)} is not a valid Docker name`);
  }

  const ownWorkdir = options.workdir === undefined;
  const workdir = ownWorkdir ? await mkdtemp(join(tmpdir(), 'bosun-fleet-')) : resolve(options.workdir!);
  await mkdir(workdir, { recursive: true, mode: 0o700 });

  const images = await ensureImages();
  await assertImagesLocal(systemd ? [images.sshdImage, images.systemdImage] : [images.sshdImage]);
  const keys = await writeFleetKeys(workdir, name);
  const authorizedKeys = [keys.publicKey, keys.passphrasePublicKey];

  const networkNames = hops === 2 ? [`${name}-outer`, `${name}-inner`] : [`${name}-net`];
  const networks: StartedNetwork[] = [];
  const containerIds: string[] = [];
  // By id, not by name: a name clash with another fleet must not remove that fleet's containers.
  const cleanup = async () => {
    const problems = await removeContainersAndNetworks(
      containerIds,
      networks.map((network) => network.getId()),
    );
    if (ownWorkdir) await rm(workdir, { recursive: true, force: true });
    return problems;
  };

  try {
    for (const networkName of networkNames) {
      networks.push(await new Network({ nextUuid: () => networkName }).start());
    }
    const specs = nodeSpecs(
      hostCount,
      hops,
      systemd,
      dockerInDocker,
      { sshd: images.sshdImage, systemd: images.systemdImage },
      networkNames,
    );
    const started = await Promise.allSettled(
      specs.map(async (spec): Promise<FleetStateNode> => {
        const container = await new FleetContainer(spec, name, (id) => containerIds.push(id)).start();
        const hostKeys = await setupNode(container, spec, authorizedKeys, keys.password);
        return {
          name: spec.name,
          role: spec.role,
          containerId: container.getId(),
          containerName: `${name}-${spec.name}`,
          address: spec.publish ? '127.0.0.1' : spec.name,
          port: spec.publish ? container.getMappedPort(22) : 22,
          hostKeys,
          systemd: spec.systemd,
        };
      }),
    );
    const failures = started.filter((result) => result.status === 'rejected');
    if (failures.length > 0) throw failures[0]!.reason;
    const nodes = started.map((result) => (result as PromiseFulfilledResult<FleetStateNode>).value);

    const state: FleetState = {
      version: 1,
      name,
      workdir,
      hops,
      systemd,
      networks: networkNames,
      bastionPort: nodes[0]!.port,
      user: 'bosun',
      passwordUser: 'pwuser',
      privateKeyPath: keys.privateKeyPath,
      publicKey: keys.publicKey,
      passphraseKeyPath: keys.passphraseKeyPath,
      keyPassphrase: keys.keyPassphrase,
      password: keys.password,
      knownHostsPath: join(workdir, 'known_hosts'),
      sshConfigPath: join(workdir, 'ssh_config'),
      nodes,
      createdAt: new Date().toISOString(),
    };
    for (const file of fleetFiles(state)) await writeFile(file.path, file.text, { mode: file.mode });
    if (!options.keepOnExit)
      removeOnExit(
        name,
        nodes.map((node) => node.containerId),
        networkNames,
      );
    return fleetFromState(state, { removeWorkdir: ownWorkdir });
  } catch (error) {
    const problems = await cleanup().catch((cleanupError: unknown) => [messageOf(cleanupError)]);
    const leftover = problems.length > 0 ? ` (cleanup also failed: ${problems.join('; ')})` : '';
    if (error instanceof BosunError) {
      if (leftover) error.message += leftover;
      throw error;
    }
    throw new BosunError('BOSUN_LAB', `fleet ${name} did not start: ${messageOf(error)}${leftover}`, {
      cause: error,
    });
  }
}

/** A Fleet handle for a fleet started earlier (possibly by another process), from its state. */
export function attachFleet(state: FleetState): Fleet {
  return fleetFromState(state, { removeWorkdir: false });
}

function fleetFromState(state: FleetState, { removeWorkdir }: { removeWorkdir: boolean }): Fleet {
  const toNode = (node: FleetStateNode): FleetNode => ({
    name: node.name,
    containerId: node.containerId,
    containerName: node.containerName,
    address: node.address,
    port: node.port,
    hostKeys: [...node.hostKeys],
  });
  const bastions = state.nodes.filter((node) => node.role === 'bastion').map(toNode);
  const hosts = state.nodes.filter((node) => node.role === 'host').map(toNode);
  return {
    name: state.name,
    workdir: state.workdir,
    bastions,
    hosts,
    networks: [...state.networks],
    user: state.user,
    privateKeyPath: state.privateKeyPath,
    publicKey: state.publicKey,
    passphraseKeyPath: state.passphraseKeyPath,
    keyPassphrase: state.keyPassphrase,
    passwordUser: state.passwordUser,
    password: state.password,
    knownHostsPath: state.knownHostsPath,
    sshConfigPath: state.sshConfigPath,
    async exec(node, command) {
      const result = await dockerCli(['exec', node.containerId, ...command]);
      return { exitCode: result.code, output: result.stdout + result.stderr };
    },
    inventory() {
      return fleetInventory({
        user: state.user,
        privateKeyPath: state.privateKeyPath,
        knownHostsPath: state.knownHostsPath,
        bastions: bastions.map((node) => ({ address: node.address, port: node.port })),
        hosts: hosts.map((node) => node.name),
      });
    },
    state: () => structuredClone(state),
    async stop() {
      const problems = await removeContainersAndNetworks(
        state.nodes.map((node) => node.containerId),
        state.networks,
      );
      liveFleets.delete(state.name);
      if (problems.length > 0) {
        throw new BosunError(
          'BOSUN_DOCKER',
          `fleet ${state.name} was not fully removed: ${problems.join('; ')}`,
        );
      }
      if (removeWorkdir) await rm(state.workdir, { recursive: true, force: true });
    },
  };
}
