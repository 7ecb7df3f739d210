/**
 * The `plugin: aws_ec2` inventory source: the file checked against its schema, the instances
 * of every region fetched at once (or taken from the cache), then grouped and named. The SDK's
 * own process warnings go to the debug log.
 */
import { dirname } from 'node:path';
import { BosunError } from '../errors.js';
import { issueError, validateSource } from '../model/validate.js';
import { type AwsEc2File, AwsEc2FileSchema } from './aws-ec2-schema.js';
import { resolvePath } from './connection.js';
import { awsError, type InstanceQuery, type RegionInstances, regionInstances } from './ec2-instances.js';
import { ec2Inventory } from './ec2-inventory.js';
import { cacheKey, defaultCacheDir, readCache, writeCache } from './inventory-cache.js';
import {
  type InventoryFile,
  type InventorySource,
  type InventorySourceContext,
  pluginOf,
} from './sources.js';

const CODE = 'BOSUN_INVENTORY';
const DEFAULT_CACHE_SECONDS = 300;
/** Environment variables that change which account and region the SDK reads. */
const IDENTITY_ENV = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ROLE_ARN'];

function checkedFile(file: InventoryFile): AwsEc2File {
  const yaml = file.yaml!;
  const config = validateSource(AwsEc2FileSchema, yaml, { code: CODE });
  const bastion = config.bastion;
  if (bastion && (bastion.host === undefined) === (bastion.tags === undefined)) {
    throw issueError(
      yaml,
      ['bastion'],
      'key',
      'give either host (an inventory host) or tags (to find one per VPC)',
      CODE,
    );
  }
  return config;
}

async function fetchRegions(
  config: AwsEc2File,
  file: InventoryFile,
  context: InventorySourceContext,
): Promise<RegionInstances[]> {
  const baseDir = dirname(file.path);
  const query: InstanceQuery = {
    file: file.display,
    filters: config.filters,
    includeFilters: config.include_filters ?? [],
    excludeFilters: config.exclude_filters ?? [],
    bastionTags: config.bastion?.tags,
  };
  const regions: (string | undefined)[] = config.regions?.length ? [...new Set(config.regions)] : [undefined];
  // The SDK takes about a second to load: only commands that read an aws_ec2 file pay for it.
  const { ec2Client } = await import('../vendor/aws-ec2.js');
  return Promise.all(
    regions.map(async (given) => {
      const api = ec2Client({
        region: given,
        endpoint: config.endpoint_url,
        profile: config.profile,
        credentialsFile: config.credentials_file ? resolvePath(config.credentials_file, baseDir) : undefined,
        roleArn: config.iam_role_arn,
        onWarning: (text) => context.debug(`AWS SDK warning: ${text.replace(/\s+/g, ' ')}`),
      });
      try {
        let region: string;
        try {
          region = given ?? (await api.region());
        } catch (cause) {
          throw new BosunError(
            'BOSUN_AWS',
            `${file.display}: no region: list regions in the file, or set AWS_REGION or the profile's region`,
            { cause },
          );
        }
        const started = Date.now();
        const found = await regionInstances(api, region, query);
        context.debug(
          `aws_ec2 ${file.display}: ${region}: ${found.instances.length} instances in ${Date.now() - started} ms`,
        );
        return found;
      } catch (error) {
        throw awsError(file.display, given ?? '(default)', error);
      } finally {
        api.destroy();
      }
    }),
  );
}

export async function awsEc2Regions(
  file: InventoryFile,
  context: InventorySourceContext,
): Promise<{
  config: AwsEc2File;
  regions: RegionInstances[];
  cache: 'hit' | 'miss' | 'expired' | 'corrupt' | 'refresh' | 'off';
}> {
  const config = checkedFile(file);
  if (!config.cache) return { config, regions: await fetchRegions(config, file, context), cache: 'off' };
  const dir = config.cache_connection
    ? resolvePath(config.cache_connection, dirname(file.path))
    : defaultCacheDir(context.env);
  const key = cacheKey({
    file: file.path,
    config: file.yaml!.data,
    env: Object.fromEntries(IDENTITY_ENV.map((name) => [name, context.env[name] ?? null])),
  });
  let state: 'miss' | 'expired' | 'corrupt' | 'refresh' = 'refresh';
  if (!context.refreshCache) {
    const read = await readCache<RegionInstances[]>(dir, key, config.cache_timeout ?? DEFAULT_CACHE_SECONDS);
    if (read.state === 'hit') {
      context.debug(
        `aws_ec2 ${file.display}: cache hit (written ${new Date(read.entry.written).toISOString()})`,
      );
      return { config, regions: read.entry.data, cache: 'hit' };
    }
    if (read.state === 'corrupt')
      context.debug(`aws_ec2 ${file.display}: cache ignored (${read.reason}); rebuilding`);
    state = read.state;
  }
  const regions = await fetchRegions(config, file, context);
  await writeCache(dir, key, regions);
  return { config, regions, cache: state };
}

export const awsEc2Source: InventorySource = {
  name: 'aws_ec2',
  accepts: (file) => {
    const plugin = pluginOf(file);
    return plugin === 'aws_ec2' || plugin === 'amazon.aws.aws_ec2';
  },
  load: async (file, context) => {
    const { config, regions } = await awsEc2Regions(file, context);
    return { kind: 'generated', inventory: ec2Inventory(config, file.yaml!, regions) };
  },
};
