import { connect } from 'node:net';
import { BosunError } from '../errors.js';
import { dockerCli } from './docker-cli.js';
import type { FleetState, FleetStateNode } from './fleet-state.js';

/**
 * Whether a lab's nodes are healthy: the one check behind both `bosun lab status` and the repair
 * decision of `bosun lab up`, so the two can never disagree. A node is healthy when its container
 * runs, Docker still publishes sshd where the lab files say (bastion1), and sshd answers there.
 */

export type ContainerState =
  | 'running'
  | 'exited'
  | 'created'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'dead'
  | 'missing';

export interface LabNodeStatus {
  name: string;
  role: 'bastion' | 'host';
  containerName: string;
  containerId: string;
  state: ContainerState;
  /** For the node published on 127.0.0.1: the port Docker publishes its sshd on now. */
  publishedPort?: number;
  /** sshd answered with an SSH banner: on 127.0.0.1:port for bastion1, inside the container otherwise. */
  sshd: boolean;
  /** What is wrong with the node, absent when it is healthy; `problem` says it in words. */
  issue?: LabNodeIssue;
  problem?: string;
}

export type LabNodeIssue = 'not-running' | 'port-moved' | 'no-port' | 'sshd-down';

interface ContainerFacts {
  state: ContainerState;
  publishedPort?: number;
}

interface InspectDocument {
  State?: { Status?: string };
  NetworkSettings?: { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> };
}

/** The state and published sshd port of a container, from `docker inspect` output. */
export function containerFacts(inspectJson: string): ContainerFacts {
  const [document] = JSON.parse(inspectJson) as InspectDocument[];
  const state = (document?.State?.Status ?? 'missing') as ContainerState;
  const port = Number(document?.NetworkSettings?.Ports?.['22/tcp']?.[0]?.HostPort);
  return Number.isInteger(port) && port > 0 ? { state, publishedPort: port } : { state };
}

async function inspectContainer(id: string): Promise<ContainerFacts> {
  const result = await dockerCli(['inspect', '--type', 'container', id]);
  if (result.code !== 0) {
    if (/no such/i.test(result.stderr)) return { state: 'missing' };
    throw new BosunError('BOSUN_DOCKER', `docker inspect ${id.slice(0, 12)} failed: ${result.stderr.trim()}`);
  }
  return containerFacts(result.stdout);
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

async function sshdAnswers(node: FleetStateNode): Promise<boolean> {
  if (isPublished(node)) return bannerOnLoopback(node.port);
  const result = await dockerCli(['exec', node.containerId, 'bash', '-c', BANNER_INSIDE]);
  return result.code === 0 && result.stdout.startsWith('SSH-2.0');
}

/** bastion1: the node dialled from this machine, on a port Docker chose. */
function isPublished(node: FleetStateNode): boolean {
  return node.address === '127.0.0.1';
}

async function nodeStatus(node: FleetStateNode): Promise<LabNodeStatus> {
  const facts = await inspectContainer(node.containerId);
  const status: LabNodeStatus = {
    name: node.name,
    role: node.role,
    containerName: node.containerName,
    containerId: node.containerId,
    state: facts.state,
    sshd: false,
  };
  if (facts.publishedPort !== undefined && isPublished(node)) status.publishedPort = facts.publishedPort;
  const problem = (issue: LabNodeIssue, words: string) => Object.assign(status, { issue, problem: words });
  if (facts.state !== 'running') return problem('not-running', `the container is ${facts.state}`);
  if (isPublished(node) && facts.publishedPort === undefined) {
    return problem('no-port', 'Docker publishes no port for its sshd');
  }
  if (isPublished(node) && facts.publishedPort !== node.port) {
    // Another container may hold the old port by now: its banner would prove nothing.
    return problem(
      'port-moved',
      `Docker publishes its sshd on port ${facts.publishedPort}, the lab files say ${node.port}`,
    );
  }
  status.sshd = await sshdAnswers(node);
  return status.sshd ? status : problem('sshd-down', 'sshd does not answer');
}

/** Every node's status, in the order of the state file. */
export function checkLabNodes(state: FleetState): Promise<LabNodeStatus[]> {
  return Promise.all(state.nodes.map(nodeStatus));
}

export function isHealthy(nodes: LabNodeStatus[]): boolean {
  return nodes.every((node) => node.issue === undefined);
}
