import { setTimeout as sleep } from 'node:timers/promises';
import { dockerCli } from './docker-cli.js';
import type { FleetState } from './fleet-state.js';
import { checkLabNodes, isHealthy, type LabNodeStatus } from './lab-health.js';

/**
 * `bosun lab up` on a lab that is not healthy: repair it in place when its containers still
 * exist (a restart of the machine or of dockerd stops them; a restart of a container moves its
 * published port), so what was provisioned on the hosts is kept. Only a lab whose containers are
 * gone or dead, or that does not come back, is recreated.
 */

export interface RepairPlan {
  /** Containers to `docker start` (stopped) and to `docker unpause`. */
  start: string[];
  unpause: string[];
  /** What is done per node, in the words `bosun lab up` prints. */
  steps: string[];
  /** Set when the lab cannot be repaired in place: why it must be recreated. */
  recreate?: string;
}

/** What to do about each unhealthy node, from the health check's findings. */
export function planRepair(nodes: LabNodeStatus[]): RepairPlan {
  const plan: RepairPlan = { start: [], unpause: [], steps: [] };
  for (const node of nodes) {
    if (node.issue === 'sshd-down' || (node.issue === 'not-running' && node.state === 'restarting')) {
      // Booting, or being restarted by Docker: waited for below.
      plan.steps.push(`${node.name}: ${node.problem}; waited until it answered`);
    } else if (node.issue === 'not-running' && (node.state === 'exited' || node.state === 'created')) {
      plan.start.push(node.containerId);
      plan.steps.push(`${node.name}: was ${node.state}; started`);
    } else if (node.issue === 'not-running' && node.state === 'paused') {
      plan.unpause.push(node.containerId);
      plan.steps.push(`${node.name}: was paused; unpaused`);
    } else if (node.issue !== undefined && node.issue !== 'port-moved') {
      // Gone, dead, or running without a published port (bindings only change at a start).
      plan.recreate ??= `${node.name}: ${node.problem}`;
    }
    // port-moved: repairLab follows the port Docker publishes now.
  }
  return plan;
}

/** The state with bastion1's port set to where Docker publishes it now. */
export function withPublishedPorts(state: FleetState, nodes: LabNodeStatus[]): FleetState {
  const moved = new Map(
    nodes
      .filter((node) => node.publishedPort !== undefined && node.state === 'running')
      .map((node) => [node.name, node.publishedPort!]),
  );
  const changed = state.nodes.some((node) => moved.has(node.name) && moved.get(node.name) !== node.port);
  if (!changed) return state;
  const nodesNow = state.nodes.map((node) =>
    moved.has(node.name) ? { ...node, port: moved.get(node.name)! } : node,
  );
  const published = nodesNow.find((node) => node.address === '127.0.0.1');
  return { ...state, nodes: nodesNow, bastionPort: published?.port ?? state.bastionPort };
}

export type RepairResult =
  | { repaired: true; state: FleetState; steps: string[] }
  | { repaired: false; reason: string };

/**
 * Carry out planRepair, then wait (up to `timeoutMs`) until the same health check that
 * `bosun lab status` uses passes, following bastion1 to whatever port Docker published it on.
 */
export async function repairLab(
  state: FleetState,
  nodes: LabNodeStatus[],
  timeoutMs: number,
): Promise<RepairResult> {
  const plan = planRepair(nodes);
  if (plan.recreate) return { repaired: false, reason: plan.recreate };
  for (const [verb, ids] of [
    ['start', plan.start],
    ['unpause', plan.unpause],
  ] as const) {
    if (ids.length === 0) continue;
    const result = await dockerCli([verb, ...ids]);
    if (result.code !== 0)
      return { repaired: false, reason: `docker ${verb} failed: ${result.stderr.trim()}` };
  }

  const deadline = Date.now() + timeoutMs;
  let current = state;
  for (;;) {
    const now = await checkLabNodes(current);
    // A moved port is followed, then checked again at its new place before the lab counts as healthy.
    const followed = withPublishedPorts(current, now);
    if (followed === current && isHealthy(now)) break;
    // After the starts, a container that is not running will not come up by waiting.
    const down = now.find(
      (node) => node.issue === 'no-port' || (node.issue === 'not-running' && node.state !== 'restarting'),
    );
    if (down) return { repaired: false, reason: `${down.name}: ${down.problem}` };
    if (Date.now() > deadline) {
      const stuck = now.find((node) => node.issue !== undefined);
      const seconds = Math.round(timeoutMs / 1000);
      return {
        repaired: false,
        reason: stuck
          ? `${stuck.name}: ${stuck.problem} after ${seconds} s`
          : `not settled after ${seconds} s`,
      };
    }
    if (followed === current) await sleep(500);
    current = followed;
  }
  const steps = [...plan.steps];
  for (const node of state.nodes) {
    const after = current.nodes.find((other) => other.name === node.name)!;
    if (after.port !== node.port) {
      steps.push(`${node.name}: published port moved from ${node.port} to ${after.port}`);
    }
  }
  return { repaired: true, state: current, steps };
}
