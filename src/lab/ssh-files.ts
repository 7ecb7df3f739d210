/**
 * The known_hosts and ssh_config files of a fleet: the first is what Bosun (and OpenSSH) checks
 * host keys against, the second lets a person reach any node by hand with `ssh -F`.
 */

export interface SshFileNode {
  name: string;
  role: 'bastion' | 'host';
  /** How the previous hop dials the node: 127.0.0.1 for bastion1, the network alias otherwise. */
  address: string;
  port: number;
  hostKeys: string[];
}

/** known_hosts pattern for a host as OpenSSH spells it: bare for port 22, [host]:port otherwise. */
export function knownHostsPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function knownHostsText(nodes: SshFileNode[]): string {
  const lines: string[] = [];
  for (const node of nodes) {
    for (const key of node.hostKeys) lines.push(`${knownHostsPattern(node.address, node.port)} ${key}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface SshConfigInput {
  nodes: SshFileNode[];
  user: string;
  privateKeyPath: string;
  knownHostsPath: string;
}

function quoted(path: string): string {
  return `"${path}"`;
}

export function sshConfigText(input: SshConfigInput): string {
  const bastions = input.nodes.filter((node) => node.role === 'bastion');
  const hosts = input.nodes.filter((node) => node.role === 'host');
  const out: string[] = ['# Written by bosun for a lab fleet. Usage: ssh -F <this file> host1', ''];
  bastions.forEach((node, index) => {
    out.push(`Host ${node.name}`, `  HostName ${node.address}`, `  Port ${node.port}`);
    const previous = bastions[index - 1];
    if (previous) out.push(`  ProxyJump ${previous.name}`);
    out.push('');
  });
  const last = bastions.at(-1);
  if (hosts.length > 0) {
    out.push(`Host ${hosts.map((host) => host.name).join(' ')}`);
    if (last) out.push(`  ProxyJump ${last.name}`);
    out.push('');
  }
  out.push(
    'Host *',
    `  User ${input.user}`,
    `  IdentityFile ${quoted(input.privateKeyPath)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${quoted(input.knownHostsPath)}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '',
  );
  return out.join('\n');
}
