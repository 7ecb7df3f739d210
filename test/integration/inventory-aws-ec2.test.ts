/**
 * End to end: EC2 answers (served on 127.0.0.1 by test/support/fake-aws.ts) describe the
 * container fleet: the bastion tagged Role=bastion with a public address (127.0.0.1, its
 * published port set in group_vars/bastions.yml), the hosts with only their private addresses
 * on the fleet network. The built CLI finds the hosts, resolves the bastion of their VPC and
 * runs a playbook through it on every host.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from '../../src/lab/docker-cli.js';
import { stringify } from '../../src/vendor/yaml.js';
import { type FakeAws, type FakeInstance, startFakeAws } from '../support/fake-aws.js';
import { bosun, buildCli } from './run-helpers.js';
import { mustRun, useCliFleet } from './support/fleet-hooks.js';

const KEY = 'AKIAFAKEBOSUNE2E0001';
const SECRET = 'secret-of-the-local-endpoint';

const lab = useCliFleet({ hosts: 2, scratchPrefix: 'bosun-ec2-e2e-', alongside: buildCli });

let aws: FakeAws;
let inventoryFile: string;
let addresses: Map<string, string>;

async function privateAddress(container: string, network: string): Promise<string> {
  const result = await dockerCli([
    'inspect',
    '-f',
    `{{ (index .NetworkSettings.Networks ${JSON.stringify(network)}).IPAddress }}`,
    container,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

beforeAll(async () => {
  const fleet = lab.fleet;
  const network = fleet.networks.at(-1)!;
  const bastion = fleet.bastions[0]!;
  addresses = new Map();
  for (const node of [bastion, ...fleet.hosts])
    addresses.set(node.name, await privateAddress(node.containerName, network));

  const instances: FakeInstance[] = [
    {
      id: 'i-0bastion00000001',
      vpcId: 'vpc-0lab',
      subnetId: 'subnet-public',
      privateIp: addresses.get(bastion.name)!,
      publicIp: '127.0.0.1',
      tags: { Name: 'bastion1', Role: 'bastion' },
    },
    ...fleet.hosts.map((node, n) => ({
      id: `i-0host0000000000${n + 1}`,
      vpcId: 'vpc-0lab',
      subnetId: 'subnet-private',
      privateIp: addresses.get(node.name)!,
      tags: { Name: node.name, Role: 'app', Env: 'stg' },
    })),
    // Left out by the filters: another role, and a stopped app host.
    {
      id: 'i-0db0000000000001',
      vpcId: 'vpc-0lab',
      privateIp: '10.99.0.1',
      tags: { Name: 'db1', Role: 'db' },
    },
    {
      id: 'i-0old000000000001',
      state: 'stopped',
      vpcId: 'vpc-0lab',
      privateIp: '10.99.0.2',
      tags: { Name: 'old', Role: 'app' },
    },
  ];
  aws = await startFakeAws({
    regions: { 'eu-west-1': instances },
    keys: { [KEY]: { secret: SECRET } },
    pageSize: 2,
  });

  // Host keys as Bosun will see them: the bastion on 127.0.0.1:PORT, the hosts at their addresses.
  const knownHosts = [
    ...bastion.hostKeys.map((key) => `[127.0.0.1]:${bastion.port} ${key}`),
    ...fleet.hosts.flatMap((node) => node.hostKeys.map((key) => `${addresses.get(node.name)} ${key}`)),
  ];
  const dir = join(lab.scratch, 'inventory');
  await mkdir(join(dir, 'group_vars'), { recursive: true });
  await writeFile(join(dir, 'known_hosts'), `${knownHosts.join('\n')}\n`);
  await writeFile(
    join(dir, 'credentials'),
    `[staging]\naws_access_key_id = ${KEY}\naws_secret_access_key = ${SECRET}\n`,
  );
  await writeFile(
    join(dir, 'group_vars', 'all.yml'),
    stringify({
      bosun_user: fleet.user,
      bosun_private_key_file: fleet.privateKeyPath,
      bosun_known_hosts_file: 'known_hosts',
    }),
  );
  await writeFile(join(dir, 'group_vars', 'bastions.yml'), stringify({ bosun_port: bastion.port }));
  inventoryFile = join(dir, 'staging.aws_ec2.yml');
  await writeFile(
    inventoryFile,
    stringify({
      plugin: 'aws_ec2',
      endpoint_url: aws.url,
      profile: 'staging',
      credentials_file: 'credentials',
      regions: ['eu-west-1'],
      filters: { 'tag:Role': ['app'] },
      hostnames: ['tag:Name', 'instance-id'],
      keyed_groups: [{ key: 'tags.Env', prefix: 'env' }],
      compose: { bosun_host: '{{ private_ip_address }}' },
      bastion: { tags: { Role: 'bastion' } },
    }),
  );
  await writeFile(
    join(lab.scratch, 'site.yml'),
    stringify([
      {
        name: 'through the bastion',
        hosts: 'env_stg',
        become: true,
        tasks: [
          {
            name: 'mark',
            copy: {
              dest: '/etc/found-by-ec2',
              content: '{{ inventory_hostname }} {{ instance_id }}\n',
              mode: '0644',
            },
          },
        ],
      },
    ]),
  );
});

afterAll(async () => {
  await aws?.close();
});

const run = (args: string[], env?: Record<string, string>) =>
  bosun(args, {
    cwd: lab.scratch,
    home: lab.home,
    env: { AWS_CONFIG_FILE: join(lab.scratch, 'none'), ...env },
  });

describe('an aws_ec2 inventory of the fleet', () => {
  it('lists the hosts the filters select, and shows the jump chain through the tagged bastion', async () => {
    const listed = await run(['inventory', 'list', '-i', inventoryFile]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^host1 +aws_ec2, env_stg +\S+staging\.aws_ec2\.yml$/m);
    expect(listed.stdout).toMatch(/^host2 +aws_ec2, env_stg /m);
    expect(listed.stdout).toMatch(/^bastion1 +aws_ec2, bastions /m);
    expect(listed.stdout).not.toMatch(/db1|old/);

    const host = await run(['inventory', 'host', 'host1', '-i', inventoryFile]);
    expect(host.code).toBe(0);
    const bastion = lab.fleet.bastions[0]!;
    expect(host.stdout).toContain(
      `reach:  bosun@127.0.0.1:${bastion.port} -> bosun@${addresses.get('host1')}:22`,
    );
    expect(host.stdout).toMatch(
      /bosun_bastion = bastion1\n\s+from \S+staging\.aws_ec2\.yml:\d+:\d+ \(host host1, bastion tagged in vpc-0lab\)/,
    );
    // The SDK's NodeVersionSupportWarning (Node < 22) is Bosun's debug output, never its stderr.
    expect(host.stderr).toBe('');
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const debug = await run(['inventory', 'list', '-i', inventoryFile], { BOSUN_DEBUG: '1' });
      expect(debug.stderr).toMatch(/^bosun: debug: AWS SDK warning: NodeVersionSupportWarning/m);
    }
  });

  it('runs a playbook on every host through the resolved bastion', async () => {
    const result = await run(['run', 'site.yml', '-i', inventoryFile]);
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    for (const [n, node] of lab.fleet.hosts.entries()) {
      expect(result.stdout).toMatch(
        new RegExp(`^${node.name} +: ok=1 +changed=1 +unreachable=0 +failed=0`, 'm'),
      );
      expect(await mustRun(lab.fleet, node, 'cat /etc/found-by-ec2')).toBe(
        `${node.name} i-0host0000000000${n + 1}\n`,
      );
    }
    // Every page followed: 2 app hosts and the bastion, 2 to a page.
    expect(aws.calls.filter((c) => c.action === 'DescribeInstances').length).toBeGreaterThanOrEqual(3);
    console.log(
      `aws_ec2 inventory run through the bastion on ${lab.fleet.hosts.length} hosts: ${result.ms} ms`,
    );
  });
});
