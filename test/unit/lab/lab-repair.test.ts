import { describe, expect, it } from 'vitest';
import type { FleetState } from '../../../src/lab/fleet-state.js';
import { containerFacts, type LabNodeStatus } from '../../../src/lab/lab-health.js';
import { planRepair, withPublishedPorts } from '../../../src/lab/lab-repair.js';

function node(name: string, extra: Partial<LabNodeStatus> = {}): LabNodeStatus {
  return {
    name,
    role: name.startsWith('bastion') ? 'bastion' : 'host',
    containerName: `lab-${name}`,
    containerId: `id-${name}`,
    state: 'running',
    sshd: true,
    ...extra,
  };
}

describe('containerFacts (docker inspect output)', () => {
  it('reads the state and the published sshd port', () => {
    const json = JSON.stringify([
      {
        State: { Status: 'running' },
        NetworkSettings: { Ports: { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '32771' }] } },
      },
    ]);
    expect(containerFacts(json)).toEqual({ state: 'running', publishedPort: 32771 });
  });

  it('has no port for an unpublished or stopped container', () => {
    const unpublished = [{ State: { Status: 'running' }, NetworkSettings: { Ports: { '22/tcp': null } } }];
    expect(containerFacts(JSON.stringify(unpublished))).toEqual({ state: 'running' });
    const stopped = [{ State: { Status: 'exited' }, NetworkSettings: { Ports: {} } }];
    expect(containerFacts(JSON.stringify(stopped))).toEqual({ state: 'exited' });
  });
});

describe('planRepair', () => {
  it('has nothing to do for a healthy lab', () => {
    expect(planRepair([node('bastion1'), node('host1')])).toEqual({ start: [], unpause: [], steps: [] });
  });

  it('starts stopped containers and unpauses paused ones, saying so per node', () => {
    const plan = planRepair([
      node('bastion1', {
        state: 'exited',
        sshd: false,
        issue: 'not-running',
        problem: 'the container is exited',
      }),
      node('host1', {
        state: 'paused',
        sshd: false,
        issue: 'not-running',
        problem: 'the container is paused',
      }),
      node('host2', {
        state: 'created',
        sshd: false,
        issue: 'not-running',
        problem: 'the container is created',
      }),
    ]);
    expect(plan).toEqual({
      start: ['id-bastion1', 'id-host2'],
      unpause: ['id-host1'],
      steps: ['bastion1: was exited; started', 'host1: was paused; unpaused', 'host2: was created; started'],
    });
  });

  it('waits for an sshd that does not answer yet, and leaves a moved port to be followed', () => {
    const plan = planRepair([
      node('bastion1', { publishedPort: 32771, sshd: false, issue: 'port-moved', problem: 'moved' }),
      node('host1', { sshd: false, issue: 'sshd-down', problem: 'sshd does not answer' }),
    ]);
    expect(plan).toEqual({
      start: [],
      unpause: [],
      steps: ['host1: sshd does not answer; waited until it answered'],
    });
  });

  it.each([
    ['missing', 'not-running'],
    ['dead', 'not-running'],
    ['removing', 'not-running'],
    ['running', 'no-port'],
  ] as const)('recreates when a container is %s (%s)', (state, issue) => {
    const plan = planRepair([
      node('bastion1'),
      node('host1', {
        state: 'exited',
        sshd: false,
        issue: 'not-running',
        problem: 'the container is exited',
      }),
      node('host2', { state, sshd: false, issue, problem: `it is ${state}` }),
    ]);
    expect(plan.recreate).toBe(`host2: it is ${state}`);
  });
});

describe('withPublishedPorts', () => {
  const state = {
    bastionPort: 32768,
    nodes: [
      { name: 'bastion1', address: '127.0.0.1', port: 32768 },
      { name: 'host1', address: 'host1', port: 22 },
    ],
  } as unknown as FleetState;

  it('follows bastion1 to the port Docker publishes it on now', () => {
    const moved = withPublishedPorts(state, [node('bastion1', { publishedPort: 32771 }), node('host1')]);
    expect(moved.bastionPort).toBe(32771);
    expect(moved.nodes.map((n) => n.port)).toEqual([32771, 22]);
    expect(state.bastionPort).toBe(32768);
  });

  it('returns the same state when nothing moved, or the container is not running', () => {
    expect(withPublishedPorts(state, [node('bastion1', { publishedPort: 32768 }), node('host1')])).toBe(
      state,
    );
    const stopped = node('bastion1', { state: 'exited', publishedPort: 32771 });
    expect(withPublishedPorts(state, [stopped, node('host1')])).toBe(state);
  });
});
