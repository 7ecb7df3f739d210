/**
 * The aws_ec2 inventory against a local EC2/STS Query endpoint (test/support/fake-aws.ts): the
 * real SDK signs, sends, retries, parses XML and pages; the endpoint evaluates the filters it
 * receives. Credentials come from a credentials file written here, never from this machine.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { inventoryConnection } from '../../../src/inventory/connection.js';
import type { Inventory } from '../../../src/inventory/inventory.js';
import { loadInventory } from '../../../src/inventory/loader.js';
import { stringify } from '../../../src/vendor/yaml.js';
import { budget } from '../../support/budget.js';
import {
  type FakeAws,
  type FakeAwsOptions,
  type FakeInstance,
  startFakeAws,
} from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process-cli.js';

const KEY = 'AKIAFAKEBOSUN0000001';
const SECRET = 'fake-secret-for-the-local-endpoint';
const EXPIRED = 'ASIAFAKEEXPIRED00001';

function fleet(
  region: string,
  vpc: string,
  count: number,
  base: number,
  extra: Partial<FakeInstance> = {},
): FakeInstance[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `i-${region.replace(/-/g, '')}${String(base + n).padStart(4, '0')}`,
    type: n % 2 === 0 ? 't3.micro' : 'm5.large',
    availabilityZone: `${region}${n % 2 === 0 ? 'a' : 'b'}`,
    vpcId: vpc,
    subnetId: `subnet-${vpc.slice(4)}`,
    privateIp: `10.${base / 100}.0.${n + 10}`,
    privateDnsName: `ip-10-${base / 100}-0-${n + 10}.${region}.compute.internal`,
    tags: { Name: `${region}-web-${n + 1}`, Role: 'web', Env: n % 3 === 0 ? 'prod' : 'stg' },
    securityGroups: [{ id: `sg-${vpc.slice(4)}`, name: 'web servers' }],
    ...extra,
  }));
}

let aws: FakeAws;
let dir: string;

/**
 * One endpoint per describe, and per test a folder holding a credentials file; the SDK sees no
 * AWS_* variable and no ~/.aws of this machine.
 */
function useEndpoint(options: FakeAwsOptions): void {
  const savedEnv = { ...process.env };
  beforeAll(async () => {
    aws = await startFakeAws(options);
  });
  afterAll(async () => {
    await aws.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bosun-ec2-'));
    await writeFile(
      join(dir, 'credentials'),
      `[stg]\naws_access_key_id = ${KEY}\naws_secret_access_key = ${SECRET}\n\n[expired]\naws_access_key_id = ${EXPIRED}\naws_secret_access_key = ${SECRET}\naws_session_token = token\n`,
    );
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    aws.reset();
  });
  afterEach(async () => {
    process.env = { ...savedEnv };
    await rm(dir, { recursive: true, force: true });
  });
}

/** An aws_ec2 file in the test's folder that reaches the endpoint with the `stg` profile. */
const write = async (name: string, body: Record<string, unknown>) => {
  const path = join(dir, name);
  await writeFile(
    path,
    stringify({
      plugin: 'aws_ec2',
      endpoint_url: aws.url,
      profile: 'stg',
      credentials_file: 'credentials',
      ...body,
    }),
  );
  return path;
};

describe('aws_ec2 inventory through the real SDK', () => {
  useEndpoint({
    regions: {},
    pageSize: 5,
    keys: {
      [KEY]: { secret: SECRET },
      [EXPIRED]: {
        secret: SECRET,
        sessionToken: 'token',
        refuse: { code: 'RequestExpired', status: 400, message: 'Request has expired.' },
      },
    },
    roles: { 'arn:aws:iam::123456789012:role/inventory-reader': [KEY] },
  });
  beforeEach(() => {
    aws.regions = {
      'eu-west-1': [
        ...fleet('eu-west-1', 'vpc-0a', 12, 100),
        {
          id: 'i-stopped0001',
          state: 'stopped',
          privateIp: '10.1.9.9',
          vpcId: 'vpc-0a',
          tags: { Name: 'old' },
        },
      ],
      'us-east-1': fleet('us-east-1', 'vpc-0b', 3, 200),
    };
  });

  const load = (paths: string[], options: { refreshCache?: boolean; debug?: (t: string) => void } = {}) =>
    loadInventory(paths, { cwd: dir, env: { HOME: dir }, ...options });

  it('queries every region, follows every page, and sends the filters (running by default)', async () => {
    const file = await write('stg.aws_ec2.yml', {
      regions: ['eu-west-1', 'us-east-1'],
      hostnames: ['tag:Name'],
    });
    const inventory = await load([file]);
    expect(inventory.hostNames()).toHaveLength(15);
    expect(inventory.hasHost('old')).toBe(false);
    const describe = aws.calls.filter((c) => c.action === 'DescribeInstances');
    // 12 running in eu-west-1 at 5 a page: 3 pages; 3 in us-east-1: 1 page.
    expect(describe.filter((c) => c.region === 'eu-west-1')).toHaveLength(3);
    expect(describe.filter((c) => c.region === 'us-east-1')).toHaveLength(1);
    expect(describe[0]!.params['Filter.1.Name']).toBe('instance-state-name');
    expect(describe[0]!.params['Filter.1.Value.1']).toBe('running');
    const vars = inventory.plainVarsOf('eu-west-1-web-1');
    expect(vars.private_ip_address).toBe('10.1.0.10');
    expect(vars.tags).toEqual({ Name: 'eu-west-1-web-1', Role: 'web', Env: 'prod' });
    expect((vars.placement as Record<string, unknown>).availability_zone).toBe('eu-west-1a');
    expect(vars.bosun_host).toBe('10.1.0.10');
  });

  it('evaluates filters, include_filters and exclude_filters on the server', async () => {
    const file = await write('f.aws_ec2.yml', {
      regions: ['eu-west-1'],
      hostnames: ['tag:Name'],
      filters: { 'tag:Env': 'prod', 'instance-type': ['t3.*'] },
      include_filters: [{ 'tag:Name': 'old', 'instance-state-name': 'stopped' }],
      exclude_filters: [{ 'private-ip-address': '10.1.0.16' }],
    });
    const inventory = await load([file]);
    // prod and t3: instances 0, 6 (3 and 9 are m5); 6 (10.1.0.16) excluded; `old` included.
    expect(inventory.hostNames().sort()).toEqual(['eu-west-1-web-1', 'old']);
  });

  it('names hosts by the first preference that gives a name, with prefixes', async () => {
    aws.regions['us-east-1']![1]!.tags = {};
    const file = await write('h.aws_ec2.yml', {
      regions: ['us-east-1'],
      hostnames: ['tag:Name', { name: 'instance-id', prefix: 'aws' }],
    });
    const inventory = await load([file]);
    expect(inventory.hostNames()).toEqual(['us-east-1-web-1', 'aws_i-useast10201', 'us-east-1-web-3']);
  });

  it('refuses two instances with one name, naming both', async () => {
    aws.regions['us-east-1']![2]!.tags = { Name: 'us-east-1-web-1' };
    const file = await write('d.aws_ec2.yml', { regions: ['us-east-1'], hostnames: ['tag:Name'] });
    await expect(load([file])).rejects.toThrow(
      /host name "us-east-1-web-1" is given to two instances, instance i-useast10200 in us-east-1 and instance i-useast10202 in us-east-1/,
    );
  });

  it('makes keyed groups (prefix, separator, sanitised), conditional groups and composed variables', async () => {
    const file = await write('g.aws_ec2.yml', {
      regions: ['us-east-1'],
      hostnames: ['tag:Name'],
      keyed_groups: [
        { key: 'tags.Role', prefix: 'role' },
        { key: 'placement.availability_zone', prefix: 'az' },
        { key: 'instance_type', prefix: 'type', separator: '-' },
        { key: 'security_groups[].group_name', prefix: 'sg', parent_group: 'security_groups' },
        { key: 'tags.Missing', prefix: 'none' },
        { key: 'tags', prefix: 'tag' },
      ],
      groups: { big: 'eq instance_type "m5.large"', prod: 'eq tags.Env "prod"', nope: 'eq tags.Missing "x"' },
      compose: {
        bosun_host: '{{ private_ip_address }}',
        bosun_user: 'admin',
        env_name: '{{ tags.Env }}',
        label: '{{ env_name }}-{{ instance_id }}',
      },
    });
    const inventory = await load([file]);
    const host = inventory.host('us-east-1-web-2');
    expect(host.groups).toEqual([
      'all',
      'aws_ec2',
      'az_us_east_1b',
      'big',
      'role_web',
      'security_groups',
      'tag_Env_stg',
      'tag_Name_us_east_1_web_2',
      'tag_Role_web',
      'type_m5_large',
      'sg_web_servers',
    ]);
    expect(inventory.group('security_groups').children).toEqual(['sg_web_servers']);
    expect(inventory.hasGroup('nope')).toBe(false);
    expect(inventory.hostsOf('prod')).toEqual(['us-east-1-web-1']);
    const vars = inventory.varsOf('us-east-1-web-2');
    expect(vars.bosun_host!.value).toBe('10.2.0.11');
    expect(vars.label!.value).toBe('stg-i-useast10201');
    // compose's line in the file, and what made the value.
    const line =
      (await readFile(file, 'utf8')).split('\n').findIndex((l) => l.startsWith('  bosun_host:')) + 1;
    expect(line).toBeGreaterThan(1);
    expect(vars.bosun_host!.source).toMatchObject({
      origin: 'aws_ec2',
      file,
      line,
      detail: 'compose, instance i-useast10201 in us-east-1',
    });
    expect(vars.private_ip_address!.source.detail).toBe('instance i-useast10201 in us-east-1');
  });

  it('retries throttling with backoff, then succeeds', async () => {
    aws.fail({
      action: 'DescribeInstances',
      region: 'us-east-1',
      code: 'RequestLimitExceeded',
      status: 503,
      message: 'Request limit exceeded.',
      times: 2,
    });
    const file = await write('t.aws_ec2.yml', { regions: ['us-east-1'], hostnames: ['tag:Name'] });
    const inventory = await load([file]);
    expect(inventory.hostNames()).toHaveLength(3);
    const statuses = aws.calls.filter((c) => c.region === 'us-east-1').map((c) => c.status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it(
    'reports throttling that does not end as an error naming the region and the code',
    async () => {
      aws.fail({
        action: 'DescribeInstances',
        region: 'us-east-1',
        code: 'Throttling',
        status: 400,
        message: 'Rate exceeded',
        times: 99,
      });
      const file = await write('t2.aws_ec2.yml', { regions: ['us-east-1'] });
      const error = await load([file]).catch((e: unknown) => e);
      expect(isBosunError(error, 'BOSUN_AWS')).toBe(true);
      expect((error as Error).message).toMatch(
        /region us-east-1: still throttled .*\(Throttling, HTTP 400\)/,
      );
      expect(aws.calls.filter((c) => c.region === 'us-east-1')).toHaveLength(5);
      // Five attempts with the SDK's throttling backoff (up to 0.5, 1, 2, 4 s, jittered): 9 s measured.
    },
    budget(15),
  );

  it('says the credentials expired, with the region and the API code', async () => {
    const file = await write('e.aws_ec2.yml', { regions: ['eu-west-1'], profile: 'expired' });
    await expect(load([file])).rejects.toThrow(
      /e\.aws_ec2\.yml: region eu-west-1: the AWS credentials have expired.*\(RequestExpired, HTTP 400\): Request has expired/,
    );
  });

  it('says when no credentials are found, when a key is refused, and when a region is unknown', async () => {
    const none = await write('n.aws_ec2.yml', { regions: ['eu-west-1'], profile: 'nobody' });
    await expect(load([none])).rejects.toThrow(/region eu-west-1: no AWS credentials found/);
    // Another file: the SDK keeps a credentials file it has read for the life of the process.
    await writeFile(join(dir, 'wrong'), `[stg]\naws_access_key_id = ${KEY}\naws_secret_access_key = wrong\n`);
    const bad = await write('b.aws_ec2.yml', { regions: ['eu-west-1'], credentials_file: 'wrong' });
    await expect(load([bad])).rejects.toThrow(
      /region eu-west-1: AWS refused the credentials \(AuthFailure, HTTP 403\)/,
    );
  });

  it('names an unknown region', async () => {
    const file = await write('u.aws_ec2.yml', { regions: ['xx-nowhere-1'] });
    await expect(load([file])).rejects.toThrow(
      /region xx-nowhere-1: unknown region \(AuthFailure, HTTP 401\)/,
    );
  });

  it('assumes iam_role_arn through STS and signs EC2 calls with the temporary keys', async () => {
    const file = await write('r.aws_ec2.yml', {
      regions: ['us-east-1'],
      iam_role_arn: 'arn:aws:iam::123456789012:role/inventory-reader',
    });
    const inventory = await load([file]);
    expect(inventory.hostNames()).toHaveLength(3);
    const assume = aws.calls.find((c) => c.action === 'AssumeRole');
    expect(assume).toMatchObject({ service: 'sts', accessKeyId: KEY, status: 200 });
    const ec2 = aws.calls.find((c) => c.action === 'DescribeInstances')!;
    expect(ec2.accessKeyId).toMatch(/^ASIA/);
    const denied = await write('r2.aws_ec2.yml', {
      regions: ['us-east-1'],
      iam_role_arn: 'arn:aws:iam::123456789012:role/admin',
    });
    await expect(load([denied])).rejects.toThrow(
      /region us-east-1: access denied.*\(AccessDenied, HTTP 403\)/,
    );
  });

  it('says where a region may come from when there is none', async () => {
    const file = await write('none.aws_ec2.yml', {});
    await expect(load([file])).rejects.toThrow(
      /none\.aws_ec2\.yml: no region: list regions in the file, or set AWS_REGION or the profile's region/,
    );
    expect(aws.calls).toEqual([]);
  });

  it('takes the region from the environment when the file lists none', async () => {
    process.env.AWS_REGION = 'us-east-1';
    const file = await write('env.aws_ec2.yml', {});
    const inventory = await load([file]);
    expect(inventory.hostNames()).toHaveLength(3);
    expect(aws.calls[0]!.region).toBe('us-east-1');
  });

  it('wires each private host to the bastion tagged in its VPC, reached on its public address', async () => {
    aws.regions = {
      'eu-west-1': [
        ...fleet('eu-west-1', 'vpc-0a', 2, 100),
        ...fleet('eu-west-1', 'vpc-0c', 2, 300).map((i) => ({
          ...i,
          tags: { ...i.tags, Name: `c-web-${i.id.slice(-1)}` },
        })),
        {
          id: 'i-bastiona',
          vpcId: 'vpc-0a',
          privateIp: '10.1.0.5',
          publicIp: '203.0.113.10',
          tags: { Name: 'bastion-a', Role: 'bastion' },
        },
        {
          id: 'i-bastionc',
          vpcId: 'vpc-0c',
          privateIp: '10.3.0.5',
          publicIp: '203.0.113.30',
          tags: { Name: 'bastion-c', Role: 'bastion' },
        },
        {
          id: 'i-public01',
          vpcId: 'vpc-0a',
          privateIp: '10.1.0.6',
          publicIp: '203.0.113.11',
          tags: { Name: 'edge', Role: 'web' },
        },
      ],
    };
    await mkdir(join(dir, 'group_vars'));
    // The bastion's user and key are inventory variables, here of its group.
    await writeFile(join(dir, 'group_vars', 'all.yml'), 'bosun_user: admin\n');
    await writeFile(
      join(dir, 'group_vars', 'bastions.yml'),
      'bosun_user: ops\nbosun_private_key_file: keys/ops\n',
    );
    const file = await write('b.aws_ec2.yml', {
      regions: ['eu-west-1'],
      hostnames: ['tag:Name'],
      filters: { 'tag:Role': 'web' },
      bastion: { tags: { Role: 'bastion' } },
    });
    const inventory = await load([file]);
    expect(inventory.hostsOf('bastions')).toEqual(['bastion-a', 'bastion-c']);
    expect(inventoryConnection(inventory, 'eu-west-1-web-1').transport).toMatchObject({
      host: '10.1.0.10',
      user: 'admin',
      bastions: [{ host: '203.0.113.10', user: 'ops', privateKeyPath: join(dir, 'keys/ops') }],
    });
    expect(inventoryConnection(inventory, 'eu-west-1-web-1').transport).not.toHaveProperty('bastions.1');
    // Same names in the other VPC: its hosts carry the other bastion.
    const other = inventory
      .hostNames()
      .filter((h) => inventory.plainVarsOf(h).vpc_id === 'vpc-0c' && !h.startsWith('bastion'));
    expect(other).toHaveLength(2);
    for (const host of other) expect(inventory.plainVarsOf(host).bosun_bastion).toBe('bastion-c');
    // A host with a public address is dialled directly.
    expect(inventoryConnection(inventory, 'edge').transport).toMatchObject({ host: '203.0.113.11' });
    expect(inventoryConnection(inventory, 'edge').transport).not.toHaveProperty('bastions');

    const shown = await runInProcess(['inventory', 'host', other[0]!, '-i', file], { cwd: dir });
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain(
      `reach:  ops@203.0.113.30:22 -> admin@${String(inventory.plainVarsOf(other[0]!).private_ip_address)}:22`,
    );
    expect(shown.stdout).toMatch(
      /bosun_bastion = bastion-c\n\s+from .*b\.aws_ec2\.yml:\d+:\d+ \(host .*, bastion tagged in vpc-0c\)/,
    );
    const listed = await runInProcess(['inventory', 'list', '-i', file], { cwd: dir });
    expect(listed.stdout.split('\n')[0]).toMatch(/^HOST\s+GROUPS\s+SOURCE$/);
    expect(listed.stdout).toMatch(/bastion-a\s+aws_ec2, bastions\s+.*b\.aws_ec2\.yml/);
  });

  it('lets no SDK warning through as a process warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const file = await write('w.aws_ec2.yml', { regions: ['us-east-1'] });
      await load([file], { debug: () => {} });
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /NodeVersionSupport/.test(w))).toEqual([]);
  });
});

describe('the aws_ec2 cache', () => {
  useEndpoint({
    regions: { 'us-east-1': fleet('us-east-1', 'vpc-0b', 3, 200) },
    keys: { [KEY]: { secret: SECRET } },
  });
  const cached = (extra: Record<string, unknown> = {}) =>
    write('c.aws_ec2.yml', {
      regions: ['us-east-1'],
      hostnames: ['tag:Name'],
      cache: true,
      cache_connection: 'cache',
      ...extra,
    });
  const load = (path: string, refreshCache = false): Promise<Inventory> =>
    loadInventory([path], { cwd: dir, env: { HOME: dir }, refreshCache });

  it('answers from the cache while it is fresh, and asks again with --refresh-cache', async () => {
    const file = await cached();
    const t0 = performance.now();
    await load(file);
    const miss = performance.now() - t0;
    expect(aws.calls).toHaveLength(1);
    const t1 = performance.now();
    const fromCache = await load(file);
    const hit = performance.now() - t1;
    expect(aws.calls).toHaveLength(1);
    expect(fromCache.hostNames()).toEqual(['us-east-1-web-1', 'us-east-1-web-2', 'us-east-1-web-3']);
    console.info(`aws_ec2 inventory: cache miss ${miss.toFixed(1)} ms, hit ${hit.toFixed(1)} ms`);
    await load(file, true);
    expect(aws.calls).toHaveLength(2);
  });

  it('keys the cache by file content and credentials', async () => {
    const file = await cached();
    await load(file);
    await loadInventory([file], { cwd: dir, env: { HOME: dir, AWS_PROFILE: 'other' } });
    expect(aws.calls).toHaveLength(2);
    await cached({ hostnames: ['instance-id'] });
    const renamed = await load(file);
    expect(aws.calls).toHaveLength(3);
    expect(renamed.hostNames()[0]).toBe('i-useast10200');
    expect(await readdir(join(dir, 'cache'))).toHaveLength(3);
  });

  it('asks again once the cache is older than cache_timeout', async () => {
    const file = await cached({ cache_timeout: 1 });
    await load(file);
    const [name] = await readdir(join(dir, 'cache'));
    const path = join(dir, 'cache', name!);
    const entry = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...entry, written: entry.written - 2000 }));
    await load(file);
    expect(aws.calls).toHaveLength(2);
  });

  it('ignores a corrupt cache file and writes it anew', async () => {
    const file = await cached();
    await load(file);
    const [name] = await readdir(join(dir, 'cache'));
    const path = join(dir, 'cache', name!);
    await writeFile(path, '{"version":1,"key":"trunc');
    const inventory = await load(file);
    expect(inventory.hostNames()).toHaveLength(3);
    expect(aws.calls).toHaveLength(2);
    expect(JSON.parse(await readFile(path, 'utf8')).data).toHaveLength(1);
    await load(file);
    expect(aws.calls).toHaveLength(2);
  });
});
