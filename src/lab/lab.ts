import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { BosunError, messageOf } from '../errors.js';
import { stringify } from '../vendor/yaml.js';
import { dockerCli, removeContainersAndNetworks } from './docker-cli.js';
import { attachFleet, type Fleet, startFleet } from './fleet.js';
import { type FleetState, parseFleetState } from './fleet-state.js';
import type { InventoryDocument } from './inventory.js';

/**
 * `bosun lab up|status|down`: a fleet that outlives the command, found again through
 * `<dir>/.bosun/lab/state.json`, with its inventory in `<dir>/inventory/lab.yml`.
 * These functions print nothing; the CLI reports what they return.
 */

export interface LabPaths {
  dir: string;
  /** Keys, known_hosts, ssh_config and state.json. */
  labDir: string;
  statePath: string;
  inventoryPath: string;
}

export function labPaths(dir: string): LabPaths {
  const root = resolve(dir);
  const labDir = join(root, '.bosun', 'lab');
  return {
    dir: root,
    labDir,
    statePath: join(labDir, 'state.json'),
    inventoryPath: join(root, 'inventory', 'lab.yml'),
  };
}

/** One lab per project folder: its containers are named after a hash of the folder's path. */
export function defaultLabName(dir: string): string {
  return `bosun-lab-${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 8)}`;
}

export const LAB_INVENTORY_HEADER = 'Written by `bosun lab up`; removed by `bosun lab down`. Do not edit.';

/** inventory/lab.yml text: the fleet's inventory with a header saying where it comes from. */
export function labInventoryYaml(
  inventory: InventoryDocument,
  state: Pick<FleetState, 'name' | 'sshConfigPath'>,
): string {
  const header = [
    `# ${LAB_INVENTORY_HEADER}`,
    `# Lab ${state.name}. By hand: ssh -F ${state.sshConfigPath} host1`,
  ];
  return `${header.join('\n')}\n${stringify(inventory)}`;
}

export interface LabUpOptions {
  dir: string;
  /** Default 3. */
  hosts?: number;
  /** Hosts boot systemd; default true. */
  systemd?: boolean;
  /** Default 1. */
  hops?: 1 | 2;
  /** Remove an existing lab of this folder first, even if it runs. */
  forceRecreate?: boolean;
  /** Container/network name prefix; default defaultLabName(dir). */
  name?: string;
}

export interface LabUpResult {
  /** 'created': started now; 'existing': was already up and running, left as is;
   *  'recreated': an earlier lab was broken (or forceRecreate) and was replaced. */
  outcome: 'created' | 'existing' | 'recreated';
  fleet: Fleet;
  paths: LabPaths;
  /** Wall time of the fleet start; 0 for 'existing'. */
  startMs: number;
}

async function readState(paths: LabPaths): Promise<FleetState | undefined> {
  if (!existsSync(paths.statePath)) return undefined;
  return parseFleetState(await readFile(paths.statePath, 'utf8'), paths.statePath);
}

async function writeLabInventory(fleet: Fleet, paths: LabPaths): Promise<void> {
  await mkdir(join(paths.dir, 'inventory'), { recursive: true });
  await writeFile(paths.inventoryPath, labInventoryYaml(fleet.inventory(), fleet.state()), { mode: 0o644 });
}

export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  const paths = labPaths(options.dir);
  let existing: FleetState | undefined;
  try {
    existing = await readState(paths);
  } catch (error) {
    if (!options.forceRecreate) {
      throw new BosunError(
        'BOSUN_LAB',
        `${messageOf(error)}; run \`bosun lab down\` or \`bosun lab up --force-recreate\``,
        {
          cause: error,
        },
      );
    }
  }
  const name = options.name ?? existing?.name ?? defaultLabName(paths.dir);
  if (existing && !options.forceRecreate) {
    const states = await nodeStates(existing);
    if (states.every((node) => node.state === 'running')) {
      assertSameShape(existing, options);
      const fleet = attachFleet(existing);
      if (!existsSync(paths.inventoryPath)) await writeLabInventory(fleet, paths);
      return { outcome: 'existing', fleet, paths, startMs: 0 };
    }
  }
  // Whatever is left of an earlier lab here (stopped containers, a state file deleted by hand
  // while its containers still hold the names) goes first.
  const previous = await labDown({ dir: paths.dir, name });

  await mkdir(paths.labDir, { recursive: true, mode: 0o700 });
  // Private keys live here: keep the folder out of version control.
  await writeFile(join(paths.dir, '.bosun', '.gitignore'), '*\n');
  const t0 = Date.now();
  const fleet = await startFleet({
    name,
    hosts: options.hosts ?? 3,
    systemd: options.systemd ?? true,
    hops: options.hops ?? 1,
    workdir: paths.labDir,
    keepOnExit: true,
  });
  const startMs = Date.now() - t0;
  try {
    await writeLabInventory(fleet, paths);
  } catch (error) {
    await fleet.stop().catch(() => {});
    throw new BosunError('BOSUN_LAB', `cannot write ${paths.inventoryPath}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { outcome: previous.wasUp ? 'recreated' : 'created', fleet, paths, startMs };
}

function assertSameShape(state: FleetState, options: LabUpOptions): void {
  const hosts = state.nodes.filter((node) => node.role === 'host').length;
  const hops = state.nodes.filter((node) => node.role === 'bastion').length;
  const differences: string[] = [];
  if (options.hosts !== undefined && options.hosts !== hosts)
    differences.push(`${hosts} hosts, not ${options.hosts}`);
  if (options.systemd !== undefined && options.systemd !== state.systemd) {
    differences.push(state.systemd ? 'systemd hosts' : 'plain (non-systemd) hosts');
  }
  if (options.hops !== undefined && options.hops !== hops)
    differences.push(`${hops} bastion hop(s), not ${options.hops}`);
  if (differences.length > 0) {
    throw new BosunError(
      'BOSUN_LAB',
      `a lab is already up in ${state.workdir} with ${differences.join(', ')}; run \`bosun lab up --force-recreate\` to replace it`,
    );
  }
}

export type ContainerState = 'running' | 'exited' | 'created' | 'paused' | 'restarting' | 'dead' | 'missing';

export interface LabNodeStatus {
  name: string;
  role: 'bastion' | 'host';
  containerName: string;
  containerId: string;
  state: ContainerState;
  /** sshd answered with an SSH banner: on 127.0.0.1:port for bastion1, inside the container otherwise. */
  sshd: boolean;
}

export interface LabStatus {
  /** A state file exists for this folder. */
  up: boolean;
  /** Up, every container runs and every sshd answers. */
  healthy: boolean;
  paths: LabPaths;
  name?: string;
  bastionPort?: number;
  systemd?: boolean;
  createdAt?: string;
  nodes: LabNodeStatus[];
}

async function containerState(id: string): Promise<ContainerState> {
  const result = await dockerCli(['inspect', '--format', '{{.State.Status}}', id]);
  if (result.code !== 0) {
    if (/no such/i.test(result.stderr)) return 'missing';
    throw new BosunError('BOSUN_DOCKER', `docker inspect ${id.slice(0, 12)} failed: ${result.stderr.trim()}`);
  }
  return result.stdout.trim() as ContainerState;
}

async function nodeStates(state: FleetState): Promise<{ id: string; state: ContainerState }[]> {
  return Promise.all(
    state.nodes.map(async (node) => ({
      id: node.containerId,
      state: await containerState(node.containerId),
    })),
  );
}

/** Read the SSH identification line from 127.0.0.1:port. */
function bannerOnLoopback(port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('SSH-2.0-'));
    });
    socket.on('end', () => done(data.startsWith('SSH-2.0-')));
  });
}

const BANNER_INSIDE = 'exec 3<>/dev/tcp/127.0.0.1/22 && timeout 3 head -c 8 <&3';

async function sshdAnswers(node: FleetState['nodes'][number], state: FleetState): Promise<boolean> {
  if (node.address === '127.0.0.1') return bannerOnLoopback(state.bastionPort);
  const result = await dockerCli(['exec', node.containerId, 'bash', '-c', BANNER_INSIDE]);
  return result.code === 0 && result.stdout.startsWith('SSH-2.0');
}

export async function labStatus(options: { dir: string }): Promise<LabStatus> {
  const paths = labPaths(options.dir);
  const state = await readState(paths);
  if (!state) return { up: false, healthy: false, paths, nodes: [] };
  const nodes = await Promise.all(
    state.nodes.map(async (node): Promise<LabNodeStatus> => {
      const containerStatus = await containerState(node.containerId);
      return {
        name: node.name,
        role: node.role,
        containerName: node.containerName,
        containerId: node.containerId,
        state: containerStatus,
        sshd: containerStatus === 'running' ? await sshdAnswers(node, state) : false,
      };
    }),
  );
  return {
    up: true,
    healthy: nodes.every((node) => node.state === 'running' && node.sshd),
    paths,
    name: state.name,
    bastionPort: state.bastionPort,
    systemd: state.systemd,
    createdAt: state.createdAt,
    nodes,
  };
}

export interface LabDownResult {
  /** There was something to remove (state, containers or networks). */
  wasUp: boolean;
  name: string;
  containers: string[];
  networks: string[];
  /** Files and folders removed. */
  files: string[];
  /** inventory/lab.yml was kept because it does not carry the lab header (edited or not ours). */
  keptInventory?: string;
}

/** Names of this lab's containers and networks that exist now, found by label and name prefix. */
async function labResources(name: string): Promise<{ containers: string[]; networks: string[] }> {
  const containers = await dockerCli([
    'ps',
    '-a',
    '--filter',
    `label=bosun.fleet=${name}`,
    '--format',
    '{{.Names}}',
  ]);
  const networks = await dockerCli(['network', 'ls', '--format', '{{.Name}}']);
  for (const result of [containers, networks]) {
    if (result.code !== 0)
      throw new BosunError('BOSUN_DOCKER', `cannot list Docker objects: ${result.stderr.trim()}`);
  }
  const lines = (text: string) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  return {
    containers: lines(containers.stdout),
    networks: lines(networks.stdout).filter((network) => network.startsWith(`${name}-`)),
  };
}

export async function labDown(options: { dir: string; name?: string }): Promise<LabDownResult> {
  const paths = labPaths(options.dir);
  let state: FleetState | undefined;
  let name = options.name ?? defaultLabName(paths.dir);
  try {
    state = await readState(paths);
  } catch {
    // An unreadable state file must not keep a lab from being taken down: fall back to its name.
    const text = await readFile(paths.statePath, 'utf8').catch(() => '');
    name = /"name"\s*:\s*"([A-Za-z0-9_.-]+)"/.exec(text)?.[1] ?? name;
  }
  if (state) name = state.name;

  const found = await labResources(name);
  const containers = [
    ...new Set([...(state?.nodes.map((node) => node.containerName) ?? []), ...found.containers]),
  ];
  const networks = [...new Set([...(state?.networks ?? []), ...found.networks])];
  const problems = await removeContainersAndNetworks(containers, networks);
  if (problems.length > 0) {
    throw new BosunError('BOSUN_LAB', `lab ${name} was not fully removed: ${problems.join('; ')}`);
  }

  const files: string[] = [];
  if (existsSync(paths.labDir)) {
    await rm(paths.labDir, { recursive: true, force: true });
    files.push(paths.labDir);
  }
  let keptInventory: string | undefined;
  if (existsSync(paths.inventoryPath)) {
    const text = await readFile(paths.inventoryPath, 'utf8');
    if (text.includes(LAB_INVENTORY_HEADER)) {
      await rm(paths.inventoryPath, { force: true });
      files.push(paths.inventoryPath);
    } else {
      keptInventory = paths.inventoryPath;
    }
  }
  const result: LabDownResult = {
    wasUp:
      state !== undefined || found.containers.length > 0 || found.networks.length > 0 || files.length > 0,
    name,
    containers: found.containers,
    networks: found.networks,
    files,
  };
  if (keptInventory) result.keptInventory = keptInventory;
  return result;
}
