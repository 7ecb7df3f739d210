/** `bosun lab up|status|down`: a local fleet (a bastion and hosts) in containers. */
import { relative } from 'node:path';
import { labDown, labStatus, labUp } from '../lab/lab.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export interface LabUpCommandOptions {
  hosts?: number;
  plain?: boolean;
  hops?: 1 | 2;
  forceRecreate?: boolean;
}

function shown(io: CliIO, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

export async function labUpCommand(options: LabUpCommandOptions, io: CliIO): Promise<number> {
  io.stderr.write('bosun: starting the lab (the first run builds the images; that takes a few minutes)...\n');
  const result = await labUp({
    dir: io.cwd,
    hosts: options.hosts,
    systemd: options.plain ? false : undefined,
    hops: options.hops,
    forceRecreate: options.forceRecreate,
  });
  const { fleet, paths } = result;
  const first = fleet.bastions[0];
  const seconds = `${(result.startMs / 1000).toFixed(1)} s`;
  const what = {
    existing: 'already up',
    repaired: `repaired in ${seconds}`,
    created: `created in ${seconds}`,
    recreated: `recreated in ${seconds}${result.recreateReason ? ` (${result.recreateReason})` : ''}`,
  }[result.outcome];
  const inventory = shown(io, paths.inventoryPath);
  const lines = [`lab ${fleet.name} ${what}`];
  for (const repair of result.repairs) lines.push(`  repaired: ${repair}`);
  if (result.rewritten.length > 0) {
    lines.push(`  rewrote:  ${result.rewritten.map((path) => shown(io, path)).join(', ')}`);
  }
  lines.push(
    `  bastions: ${fleet.bastions.map((b) => b.name).join(' -> ')}${first ? ` (127.0.0.1:${first.port})` : ''}`,
    `  hosts:    ${fleet.hosts.map((h) => h.name).join(', ')}`,
    `  inventory: ${inventory}`,
    '',
    'next, try:',
    `  bosun exec all -i ${inventory} -- uname -a`,
    '',
  );
  io.stdout.write(lines.join('\n'));
  return EXIT.ok;
}

export async function labStatusCommand(io: CliIO): Promise<number> {
  const status = await labStatus({ dir: io.cwd });
  if (!status.up) {
    io.stdout.write(`no lab in ${status.paths.dir}; start one with: bosun lab up\n`);
    return EXIT.error;
  }
  const lines = [
    `lab ${status.name} ${status.healthy ? 'is up' : 'is NOT healthy'}` +
      `${status.createdAt ? ` (since ${status.createdAt})` : ''}`,
  ];
  const width = Math.max(4, ...status.nodes.map((n) => n.name.length));
  for (const node of status.nodes) {
    lines.push(
      `  ${node.name.padEnd(width)}  ${node.role.padEnd(7)}  ${node.state.padEnd(10)}  sshd ${node.sshd ? 'answers' : 'DOWN'}` +
        (node.problem ? `  (${node.problem})` : ''),
    );
  }
  lines.push(`  inventory: ${shown(io, status.paths.inventoryPath)}`);
  if (!status.healthy) lines.push('repair it with: bosun lab up');
  io.stdout.write(`${lines.join('\n')}\n`);
  return status.healthy ? EXIT.ok : EXIT.error;
}

export async function labDownCommand(io: CliIO): Promise<number> {
  const result = await labDown({ dir: io.cwd });
  if (!result.wasUp) {
    io.stdout.write(`no lab in ${io.cwd}; nothing to remove\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    `lab ${result.name} removed: ${result.containers.length} container(s), ${result.networks.length} network(s)\n`,
  );
  if (result.keptInventory) {
    io.stdout.write(`kept ${shown(io, result.keptInventory)}: it was not written by bosun lab up\n`);
  }
  return EXIT.ok;
}
