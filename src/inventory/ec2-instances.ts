/**
 * The instances an aws_ec2 file asks for: every region at once, each region's filter sets at
 * once (`filters` and each of `include_filters` add instances, each of `exclude_filters` takes
 * them away), every page followed. Instances come back as plain snake_case data (Ansible's
 * hostvars shape: `private_ip_address`, `tags.Name`, `placement.availability_zone`), which is
 * what the cache stores and what templates see. AWS failures become BOSUN_AWS errors naming the
 * file, the region and the API's own error code.
 */
import { BosunError } from '../errors.js';
import type { Ec2Api, Ec2Filter, Ec2Instance } from '../vendor/aws-ec2.js';
import type { Ec2Filters } from './aws-ec2-schema.js';

/** One instance as templates and groups see it. */
export type InstanceData = Record<string, unknown> & { instance_id: string };

export interface RegionInstances {
  region: string;
  instances: InstanceData[];
  /** Instances carrying the bastion tags (when the file asks for bastions by tag). */
  bastions: InstanceData[];
}

export interface InstanceQuery {
  /** Names the file in messages. */
  file: string;
  filters: Ec2Filters | undefined;
  includeFilters: readonly Ec2Filters[];
  excludeFilters: readonly Ec2Filters[];
  bastionTags: Readonly<Record<string, string>> | undefined;
}

const DEFAULT_STATE = { 'instance-state-name': 'running' };

/** `{ "tag:Role": "web", "instance-state-name": ["running", "stopped"] }` as the API takes it. */
export function apiFilters(
  filters: Ec2Filters | undefined,
  defaults: Ec2Filters = DEFAULT_STATE,
): Ec2Filter[] {
  const merged: Ec2Filters = { ...(filters && 'instance-state-name' in filters ? {} : defaults), ...filters };
  return Object.entries(merged).map(([Name, value]) => ({
    Name,
    Values: (Array.isArray(value) ? value : [value]).map(String),
  }));
}

/** Ansible's camel_dict_to_snake_dict: `PrivateIpAddress` -> `private_ip_address`. */
export function snakeName(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner === undefined) continue;
      out[snakeName(key)] = plain(inner);
    }
    return out;
  }
  return value;
}

/** An SDK instance as data: snake_case keys, tags as a mapping, the region in `placement`. */
export function instanceData(instance: Ec2Instance, region: string): InstanceData {
  const { Tags, ...rest } = instance;
  const data = plain(rest) as InstanceData;
  const tags: Record<string, string> = {};
  for (const tag of Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  data.tags = tags;
  data.placement = { ...((data.placement as Record<string, unknown> | undefined) ?? {}), region };
  return data;
}

async function collect(api: Ec2Api, filters: Ec2Filter[], region: string): Promise<InstanceData[]> {
  const out: InstanceData[] = [];
  for await (const page of api.describeInstances(filters)) {
    for (const instance of page) if (instance.InstanceId) out.push(instanceData(instance, region));
  }
  return out;
}

/** The instances of one region: filters plus include_filters, minus exclude_filters. */
export async function regionInstances(
  api: Ec2Api,
  region: string,
  query: InstanceQuery,
): Promise<RegionInstances> {
  try {
    const bastionFilters = query.bastionTags
      ? apiFilters(Object.fromEntries(Object.entries(query.bastionTags).map(([k, v]) => [`tag:${k}`, v])))
      : undefined;
    const [included, excluded, bastions] = await Promise.all([
      Promise.all([query.filters, ...query.includeFilters].map((f) => collect(api, apiFilters(f), region))),
      Promise.all(query.excludeFilters.map((f) => collect(api, apiFilters(f, {}), region))),
      bastionFilters ? collect(api, bastionFilters, region) : Promise.resolve([]),
    ]);
    const gone = new Set(excluded.flat().map((i) => i.instance_id));
    const byId = new Map<string, InstanceData>();
    for (const instance of included.flat()) {
      if (!gone.has(instance.instance_id) && !byId.has(instance.instance_id))
        byId.set(instance.instance_id, instance);
    }
    return { region, instances: [...byId.values()], bastions };
  } catch (error) {
    throw awsError(query.file, region, error);
  }
}

/** What an AWS error code means for the user, by code. */
const HINTS: [RegExp, string][] = [
  [
    /^(RequestExpired|ExpiredToken|ExpiredTokenException)$/,
    'the AWS credentials have expired: renew them (aws sso login, a new session token)',
  ],
  [
    /^CredentialsProviderError$/,
    'no AWS credentials found: set profile or credentials_file in the file, AWS_PROFILE, AWS_ACCESS_KEY_ID, or run where an instance role applies',
  ],
  [
    /^(UnauthorizedOperation|AccessDenied|AccessDeniedException)$/,
    'access denied: these credentials may not call ec2:DescribeInstances',
  ],
  [
    /^(AuthFailure|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|IncompleteSignature)$/,
    'AWS refused the credentials',
  ],
  [/^OptInRequired$/, 'the region is not enabled for this account'],
  [
    /^(RequestLimitExceeded|Throttling|ThrottlingException)$/,
    'still throttled after the SDK retried with backoff',
  ],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'unknown region: no EC2 endpoint answers for it'],
];

/** What an SDK error says: the API's own code, the HTTP status, a socket error code. */
function awsErrorDetails(error: unknown): { code: string; status?: number; message: string } {
  const e = error as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  const code = e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code ?? 'Unknown';
  return { code, ...(status ? { status } : {}), message: e?.message ?? String(error) };
}

export function awsError(file: string, region: string, error: unknown): BosunError {
  if (error instanceof BosunError) return error;
  const { code, status, message } = awsErrorDetails(error);
  let hint = HINTS.find(([pattern]) => pattern.test(code))?.[1] ?? 'the EC2 API call failed';
  // EC2's answer to a request signed for a region that does not exist.
  if (code === 'AuthFailure' && /scoped to a valid region/i.test(message)) hint = 'unknown region';
  const http = status ? `, HTTP ${status}` : '';
  return new BosunError('BOSUN_AWS', `${file}: region ${region}: ${hint} (${code}${http}): ${message}`, {
    cause: error,
    details: { file, region, awsCode: code, ...(status ? { httpStatus: status } : {}) },
  });
}
