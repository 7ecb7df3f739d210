/**
 * The aws_ec2 file itself, before any AWS call: its schema errors point at file:line:col and the
 * key path, and the README's staging example builds the groups it promises from instance data.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsEc2FileSchema } from '../../../src/inventory/aws-ec2-schema.js';
import { instanceData, type RegionInstances } from '../../../src/inventory/ec2-instances.js';
import { ec2Inventory } from '../../../src/inventory/ec2-inventory.js';
import { loadInventory } from '../../../src/inventory/loader.js';
import { validateSource } from '../../../src/model/validate.js';
import { loadYamlFile } from '../../../src/model/yaml-source.js';

const root = join(import.meta.dirname, '../../..');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-ec2-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bad = async (text: string) => {
  await writeFile(join(dir, 'x.aws_ec2.yml'), text);
  return loadInventory(['x.aws_ec2.yml'], { cwd: dir });
};

describe('the aws_ec2 file', () => {
  it('is checked against its schema before any AWS call, errors at file:line:col and key path', async () => {
    await expect(
      bad('plugin: aws_ec2\nregions: [eu-west-1]\nkeyed_groups:\n  - key: tags.Role\n    prefx: role\n'),
    ).rejects.toThrow(/^x\.aws_ec2\.yml:5:5: keyed_groups\[0\]\.prefx: /);
    await expect(bad('plugin: aws_ec2\nregions: [Europe]\n')).rejects.toThrow(
      /^x\.aws_ec2\.yml:2:11: regions\[0\]: /,
    );
    await expect(bad('plugin: aws_ec2\nbastion:\n  host: jump\n  tags: {Role: bastion}\n')).rejects.toThrow(
      /x\.aws_ec2\.yml:2:1: bastion: give either host \(an inventory host\) or tags/,
    );
  });

  it("the README's staging example builds its groups, names and addresses from instance data", async () => {
    const path = join(root, 'inventory/staging.aws_ec2.yml');
    const yaml = await loadYamlFile(path, { display: 'inventory/staging.aws_ec2.yml' });
    const file = validateSource(AwsEc2FileSchema, yaml);
    const region: RegionInstances = {
      region: 'eu-west-2',
      instances: [
        instanceData(
          {
            InstanceId: 'i-0web',
            PrivateIpAddress: '10.0.1.10',
            PrivateDnsName: 'ip-10-0-1-10.eu-west-2.compute.internal',
            VpcId: 'vpc-stg',
            Placement: { AvailabilityZone: 'eu-west-2a' },
            LaunchTime: new Date('2026-11-30T08:00:00Z'),
            Tags: [
              { Key: 'Name', Value: 'stg-crm-web-1' },
              { Key: 'Role', Value: 'web' },
            ],
          },
          'eu-west-2',
        ),
        instanceData(
          {
            InstanceId: 'i-0noname',
            PrivateIpAddress: '10.0.1.11',
            VpcId: 'vpc-stg',
            Tags: [{ Key: 'Role', Value: 'crm' }],
          },
          'eu-west-2',
        ),
      ],
      bastions: [
        instanceData(
          {
            InstanceId: 'i-0bastion',
            PrivateIpAddress: '10.0.0.5',
            PublicIpAddress: '203.0.113.7',
            VpcId: 'vpc-stg',
            Tags: [
              { Key: 'Name', Value: 'stg-bastion' },
              { Key: 'Role', Value: 'bastion' },
            ],
          },
          'eu-west-2',
        ),
      ],
    };
    const inventory = ec2Inventory(file, yaml, [region]);
    const web = inventory.hosts.find((h) => h.name === 'stg-crm-web-1')!;
    expect(web.groups).toEqual(['aws_ec2', 'role_web', 'az_eu_west_2a', 'web', 'crm']);
    const value = (host: typeof web, name: string) => host.vars.filter((v) => v.name === name).at(-1)?.value;
    expect(value(web, 'bosun_host')).toBe('10.0.1.10');
    expect(value(web, 'bosun_bastion')).toBe('stg-bastion');
    expect(value(web, 'launch_time')).toBe('2026-11-30T08:00:00.000Z');
    // No Name tag and no private DNS name: the instance id names it.
    expect(inventory.hosts.map((h) => h.name)).toEqual(['stg-crm-web-1', 'i-0noname', 'stg-bastion']);
    const bastion = inventory.hosts.find((h) => h.name === 'stg-bastion')!;
    expect(bastion.groups).toEqual(['aws_ec2', 'role_bastion', 'bastions']);
    expect(value(bastion, 'bosun_host')).toBe('203.0.113.7');
  });
});
