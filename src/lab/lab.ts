import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BosunError, messageOf } from '../errors.js';
import { stringify } from '../vendor/yaml.js';
import { dockerCli, removeContainersAndNetworks } from './docker-cli.js';
import { attachFleet, type Fleet, STARTUP_TIMEOUT_MS, startFleet } from './fleet.js';
import { type FleetFile, type FleetState, fleetFiles, parseFleetState } from './fleet-state.js';
import { ensureEngine } from './images.js';
import type { InventoryDocument } from './inventory.js';
import { checkLabNodes, isHealthy, type LabNodeStatus } from './lab-health.js';
import { repairLab } from './lab-repair.js';

export type { ContainerState, LabNodeStatus } from './lab-health.js';

/**
 * `bosun lab up|status|down`: a fleet that outlives the command, found again through
 * `<dir>/.bosun/lab/state.json`, with its inventory in `<dir>/inventory/lab.yml`.
 * Each verb first makes sure a Docker engine runs (ensureEngine), and only then asks Docker
 * about the lab. These functions print nothing; the CLI reports what they return.
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
  /** 'created': started now; 'existing': was up and healthy, left as is; 'repaired': was not
   *  healthy and was brought back in place (containers kept); 'recreated': an earlier lab could
   *  not be repaired (or forceRecreate) and was replaced. */
  outcome: 'created' | 'existing' | 'repaired' | 'recreated';
  fleet: Fleet;
  paths: LabPaths;
  /** Wall time of the fleet start or repair; 0 for 'existing'. */
  startMs: number;
  /** What was repaired, one line per fix ('repaired' only). */
  repairs: string[];
  /** Why the lab was recreated ('recreated' only; absent for forceRecreate). */
  recreateReason?: string;
  /** Lab files (inventory/lab.yml, ssh_config, known_hosts, state.json) that were out of date
   *  and were rewritten ('existing' and 'repaired'). */
  rewritten: string[];
}

async function readState(paths: LabPaths): Promise<FleetState | undefined> {
  if (!existsSync(paths.statePath)) return undefined;
  return parseFleetState(await readFile(paths.statePath, 'utf8'), paths.statePath);
}

/**
 * Write the lab's files from its state: the fleet's own (known_hosts, ssh_config, state.json) and
 * inventory/lab.yml. Only files whose content differs are written; their paths are returned.
 */
async function writeLabFiles(state: FleetState, paths: LabPaths): Promise<string[]> {
  const inventory: FleetFile = {
    path: paths.inventoryPath,
    text: labInventoryYaml(attachFleet(state).inventory(), state),
    mode: 0o644,
  };
  const written: string[] = [];
  for (const file of [inventory, ...fleetFiles(state)]) {
    const now = await readFile(file.path, 'utf8').catch(() => undefined);
    if (now === file.text) continue;
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.text, { mode: file.mode });
    written.push(file.path);
  }
  return written;
}

export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  await ensureEngine();
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
  let recreateReason: string | undefined;
  if (existing && !options.forceRecreate) {
    const nodes = await checkLabNodes(existing);
    const differences = shapeDifferences(existing, options);
    if (isHealthy(nodes)) {
      assertSameShape(existing, differences);
      const rewritten = await writeLabFiles(existing, paths);
      return { outcome: 'existing', fleet: attachFleet(existing), paths, startMs: 0, repairs: [], rewritten };
    }
    if (differences.length > 0) {
      recreateReason = `it was not healthy (${firstProblem(nodes)}) and has ${differences.join(', ')}`;
    } else {
      const t0 = Date.now();
      const repair = await repairLab(existing, nodes, STARTUP_TIMEOUT_MS);
      if (repair.repaired) {
        const rewritten = await writeLabFiles(repair.state, paths);
        return {
          outcome: 'repaired',
          fleet: attachFleet(repair.state),
          paths,
          startMs: Date.now() - t0,
          repairs: repair.steps,
          rewritten,
        };
      }
      recreateReason = repair.reason;
    }
  }
  // Whatever is left of an earlier lab here (stopped containers, a state file deleted by hand
  // while its containers still hold the names) goes first.
  const previous = await labDown({ dir: paths.dir, name });

  await mkdir(paths.labDir, { recursive: true, mode: 0o700 });
  // Private keys live here: keep the folder out of version control.
  await writeFile(join(paths.dir, '.bosun', '.gitignore'), '*\n');
  // A lab replaced because it was broken keeps its shape, unless another one is asked for.
  const shape = existing ? labShape(existing) : { hosts: 3, systemd: true, hops: 1 as const };
  const t0 = Date.now();
  const fleet = await startFleet({
    name,
    hosts: options.hosts ?? shape.hosts,
    systemd: options.systemd ?? shape.systemd,
    hops: options.hops ?? shape.hops,
    workdir: paths.labDir,
    keepOnExit: true,
  });
  const startMs = Date.now() - t0;
  try {
    await writeLabFiles(fleet.state(), paths);
  } catch (error) {
    await fleet.stop().catch(() => {});
    throw new BosunError('BOSUN_LAB', `cannot write ${paths.inventoryPath}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const result: LabUpResult = {
    outcome: previous.wasUp ? 'recreated' : 'created',
    fleet,
    paths,
    startMs,
    repairs: [],
    rewritten: [],
  };
  if (recreateReason !== undefined && previous.wasUp) result.recreateReason = recreateReason;
  return result;
}

function firstProblem(nodes: LabNodeStatus[]): string {
  const node = nodes.find((candidate) => candidate.problem !== undefined);
  return node ? `${node.name}: ${node.problem}` : 'healthy';
}

function labShape(state: FleetState): { hosts: number; systemd: boolean; hops: 1 | 2 } {
  const hosts = state.nodes.filter((node) => node.role === 'host').length;
  return { hosts, systemd: state.systemd, hops: state.hops };
}

/** How the running lab differs from the shape asked for (options left out ask for nothing). */
function shapeDifferences(state: FleetState, options: LabUpOptions): string[] {
  const { hosts, hops } = labShape(state);
  const differences: string[] = [];
  if (options.hosts !== undefined && options.hosts !== hosts)
    differences.push(`${hosts} hosts, not ${options.hosts}`);
  if (options.systemd !== undefined && options.systemd !== state.systemd) {
    differences.push(state.systemd ? 'systemd hosts' : 'plain (non-systemd) hosts');
  }
  if (options.hops !== undefined && options.hops !== hops)
    differences.push(`${hops} bastion hop(s), not ${options.hops}`);
  return differences;
}

function assertSameShape(state: FleetState, differences: string[]): void {
  if (differences.length > 0) {
    throw new BosunError(
      'BOSUN_LAB',
      `a lab is already up in ${state.workdir} with ${differences.join(', ')}; run \`bosun lab up --force-recreate\` to replace it`,
    );
  }
}

export interface LabStatus {
  /** A state file exists for this folder. */
  up: boolean;
  /** Up, and every node passes the health check (lab-health.ts) that `lab up` repairs by. */
  healthy: boolean;
  paths: LabPaths;
  name?: string;
  bastionPort?: number;
  systemd?: boolean;
  createdAt?: string;
  nodes: LabNodeStatus[];
}

export async function labStatus(options: { dir: string }): Promise<LabStatus> {
  await ensureEngine();
  const paths = labPaths(options.dir);
  const state = await readState(paths);
  if (!state) return { up: false, healthy: false, paths, nodes: [] };
  const nodes = await checkLabNodes(state);
  return {
    up: true,
    healthy: isHealthy(nodes),
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
  await ensureEngine();
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
