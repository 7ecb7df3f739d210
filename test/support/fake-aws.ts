/**
 * A small AWS Query API on 127.0.0.1 for tests that run the real SDK against it (`endpoint`):
 * it checks each request's SigV4 signature with the secret it knows for the access key, takes
 * the region and service from the credential scope, and answers in the services' own XML.
 * EC2 DescribeInstances evaluates the Filter.N parameters it receives and pages with NextToken;
 * STS AssumeRole hands out temporary keys. Failures are injected by AWS error code (throttling,
 * expired or refused credentials), so the SDK's retries and error parsing really run.
 * Other services' actions can be added with `handle`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeInstance {
  id: string;
  /** Default running. */
  state?: 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated';
  type?: string;
  availabilityZone?: string;
  vpcId?: string;
  subnetId?: string;
  privateIp: string;
  publicIp?: string;
  privateDnsName?: string;
  publicDnsName?: string;
  tags?: Record<string, string>;
  securityGroups?: { id: string; name: string }[];
  imageId?: string;
  launchTime?: string;
}

export interface FakeKey {
  secret: string;
  sessionToken?: string;
  /** Requests signed with this key are refused with this error (e.g. expired credentials). */
  refuse?: { code: string; status: number; message: string };
}

export interface FakeCall {
  service: string;
  action: string;
  region: string;
  accessKeyId: string;
  params: Record<string, string>;
  /** The answer's HTTP status. */
  status: number;
}

export interface InjectedFailure {
  service?: string;
  action?: string;
  region?: string;
  code: string;
  status: number;
  message: string;
  /** How many matching calls fail before they succeed again (default 1). */
  times?: number;
}

export type ActionHandler = (call: Omit<FakeCall, 'status'>) => { status?: number; xml: string };

export interface FakeAwsOptions {
  /** Instances per region; a region not listed is unknown (AuthFailure, as EC2 answers). */
  regions: Record<string, FakeInstance[]>;
  /** Instances per DescribeInstances page at most (default 1000, as MaxResults allows). */
  pageSize?: number;
  keys?: Record<string, FakeKey>;
  /** Roles STS may assume: ARN -> the access keys allowed to assume it (empty: any known key). */
  roles?: Record<string, string[]>;
}

export interface FakeAws {
  /** `http://127.0.0.1:PORT`, for `endpoint`. */
  readonly url: string;
  readonly calls: FakeCall[];
  readonly keys: Map<string, FakeKey>;
  regions: Record<string, FakeInstance[]>;
  fail(failure: InjectedFailure): void;
  /** Forget the calls and the failures not yet used. */
  reset(): void;
  handle(service: string, action: string, handler: ActionHandler): void;
  close(): Promise<void>;
}

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  stopping: 64,
  stopped: 80,
  terminated: 48,
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const requestId = () => randomBytes(16).toString('hex');

function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId()}</RequestID></Response>`;
}

function queryError(code: string, message: string): string {
  return `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
}

/** SigV4 as AWS checks it: the signature the request should carry, from the secret. */
function expectedSignature(req: IncomingMessage, body: Buffer, secret: string, auth: Authorization): string {
  const url = new URL(req.url ?? '/', 'http://x');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = auth.signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = (req.headers['x-amz-content-sha256'] as string | undefined) ?? sha256(body);
  const canonical = [
    req.method,
    url.pathname,
    query,
    headers,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, auth.date);
  for (const part of [auth.region, auth.service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

interface Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string | undefined): Authorization | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
      header ?? '',
    );
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signed, signature] = match;
  return {
    accessKeyId: accessKeyId!,
    date: date!,
    region: region!,
    service: service!,
    signedHeaders: signed!.split(';'),
    signature: signature!,
  };
}

/** EC2's filter matching: `*` and `?` wildcards, values OR'ed, filters AND'ed. */
function matches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(value);
}

function filterValues(instance: FakeInstance, name: string): string[] | undefined {
  if (name.startsWith('tag:')) {
    const value = instance.tags?.[name.slice(4)];
    return value === undefined ? [] : [value];
  }
  const single = (v: string | undefined) => (v === undefined ? [] : [v]);
  switch (name) {
    case 'instance-state-name':
      return [instance.state ?? 'running'];
    case 'instance-id':
      return [instance.id];
    case 'instance-type':
      return single(instance.type);
    case 'availability-zone':
      return single(instance.availabilityZone);
    case 'vpc-id':
      return single(instance.vpcId);
    case 'subnet-id':
      return single(instance.subnetId);
    case 'private-ip-address':
      return [instance.privateIp];
    case 'ip-address':
      return single(instance.publicIp);
    case 'tag-key':
      return Object.keys(instance.tags ?? {});
    case 'instance.group-id':
      return (instance.securityGroups ?? []).map((g) => g.id);
    case 'instance.group-name':
      return (instance.securityGroups ?? []).map((g) => g.name);
    default:
      return undefined;
  }
}

/** Any instance: only whether a filter name is known is asked of it. */
const PROBE: FakeInstance = { id: 'i-0', privateIp: '0.0.0.0' };

/** `Filter.1.Name`, `Filter.1.Value.1`... as a list of filters. */
function filtersOf(params: Record<string, string>): { name: string; values: string[] }[] {
  const out: { name: string; values: string[] }[] = [];
  for (let n = 1; params[`Filter.${n}.Name`] !== undefined; n++) {
    const values: string[] = [];
    for (let v = 1; params[`Filter.${n}.Value.${v}`] !== undefined; v++)
      values.push(params[`Filter.${n}.Value.${v}`]!);
    out.push({ name: params[`Filter.${n}.Name`]!, values });
  }
  return out;
}

function instanceXml(i: FakeInstance): string {
  const state = i.state ?? 'running';
  const opt = (tag: string, value: string | undefined) =>
    value === undefined ? '' : `<${tag}>${escapeXml(value)}</${tag}>`;
  const tags = Object.entries(i.tags ?? {})
    .map(([k, v]) => `<item><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></item>`)
    .join('');
  const groups = (i.securityGroups ?? [])
    .map(
      (g) => `<item><groupId>${escapeXml(g.id)}</groupId><groupName>${escapeXml(g.name)}</groupName></item>`,
    )
    .join('');
  return `<item><instanceId>${i.id}</instanceId>${opt('imageId', i.imageId ?? 'ami-0fake')}<instanceState><code>${STATE_CODES[state]}</code><name>${state}</name></instanceState>${opt('privateDnsName', i.privateDnsName ?? '')}${opt('dnsName', i.publicDnsName ?? '')}<instanceType>${i.type ?? 't3.micro'}</instanceType><launchTime>${i.launchTime ?? '2026-11-30T08:00:00.000Z'}</launchTime><placement><availabilityZone>${i.availabilityZone ?? ''}</availabilityZone><tenancy>default</tenancy></placement>${opt('subnetId', i.subnetId)}${opt('vpcId', i.vpcId)}<privateIpAddress>${i.privateIp}</privateIpAddress>${opt('ipAddress', i.publicIp)}<groupSet>${groups}</groupSet><tagSet>${tags}</tagSet></item>`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const calls: FakeCall[] = [];
  const failures: InjectedFailure[] = [];
  const keys = new Map(Object.entries(options.keys ?? {}));
  const handlers = new Map<string, ActionHandler>();
  const state = { regions: options.regions };
  const pageSize = options.pageSize ?? 1000;
  const pageTokens = new Map<string, { query: string; offset: number }>();

  handlers.set('ec2 DescribeInstances', ({ region, params }) => {
    const instances = state.regions[region];
    if (!instances) {
      return {
        status: 401,
        xml: ec2Error('AuthFailure', `Credential should be scoped to a valid region, not '${region}'. `),
      };
    }
    const filters = filtersOf(params);
    for (const filter of filters) {
      if (filterValues(PROBE, filter.name) === undefined) {
        return {
          status: 400,
          xml: ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`),
        };
      }
    }
    const found = instances.filter((i) =>
      filters.every((f) => {
        const values = filterValues(i, f.name) ?? [];
        return f.values.some((pattern) => values.some((value) => matches(pattern, value)));
      }),
    );
    const query = JSON.stringify({ region, filters });
    let offset = 0;
    if (params.NextToken) {
      const token = pageTokens.get(params.NextToken);
      if (!token || token.query !== query) {
        return {
          status: 400,
          xml: ec2Error('InvalidParameterValue', 'The token is invalid for these parameters'),
        };
      }
      offset = token.offset;
    }
    const size = Math.min(pageSize, Number(params.MaxResults ?? 1000));
    const page = found.slice(offset, offset + size);
    let next = '';
    if (offset + size < found.length) {
      next = randomBytes(12).toString('hex');
      pageTokens.set(next, { query, offset: offset + size });
    }
    const reservations = page
      .map(
        (i) =>
          `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>${instanceXml(i)}</instancesSet></item>`,
      )
      .join('');
    return {
      xml: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>${requestId()}</requestId><reservationSet>${reservations}</reservationSet>${next ? `<nextToken>${next}</nextToken>` : ''}</DescribeInstancesResponse>`,
    };
  });

  handlers.set('sts AssumeRole', ({ accessKeyId, params }) => {
    const allowed = options.roles?.[params.RoleArn ?? ''];
    if (!allowed || (allowed.length > 0 && !allowed.includes(accessKeyId))) {
      return {
        status: 403,
        xml: queryError(
          'AccessDenied',
          `User ${accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${params.RoleArn}`,
        ),
      };
    }
    const id = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const key: FakeKey = {
      secret: randomBytes(20).toString('hex'),
      sessionToken: randomBytes(32).toString('base64'),
    };
    keys.set(id, key);
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    return {
      xml: `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult><Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${key.secret}</SecretAccessKey><SessionToken>${key.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${escapeXml(params.RoleSessionName ?? '')}</AssumedRoleId><Arn>${escapeXml(params.RoleArn ?? '')}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  });

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const auth = parseAuthorization(req.headers.authorization);
    const service = auth?.service ?? '?';
    const errorXml = service === 'ec2' ? ec2Error : queryError;
    const send = (status: number, xml: string, call?: Omit<FakeCall, 'status'>) => {
      if (call) calls.push({ ...call, status });
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId() });
      res.end(xml);
    };
    if (!auth)
      return send(400, errorXml('MissingAuthenticationToken', 'Request is missing Authentication Token'));
    const call = {
      service,
      action: params.Action ?? '',
      region: auth.region,
      accessKeyId: auth.accessKeyId,
      params,
    };
    const key = keys.get(auth.accessKeyId);
    if (!key) {
      const code = service === 'ec2' ? 'AuthFailure' : 'InvalidClientTokenId';
      return send(401, errorXml(code, 'AWS was not able to validate the provided access credentials'), call);
    }
    if (expectedSignature(req, body, key.secret, auth) !== auth.signature) {
      const code = service === 'ec2' ? 'AuthFailure' : 'SignatureDoesNotMatch';
      return send(
        403,
        errorXml(code, 'The request signature we calculated does not match the signature you provided.'),
        call,
      );
    }
    if (key.sessionToken !== undefined && req.headers['x-amz-security-token'] !== key.sessionToken) {
      return send(
        403,
        errorXml(
          service === 'ec2' ? 'AuthFailure' : 'InvalidClientTokenId',
          'The security token included in the request is invalid.',
        ),
        call,
      );
    }
    if (key.refuse) return send(key.refuse.status, errorXml(key.refuse.code, key.refuse.message), call);
    const failure = failures.find(
      (f) =>
        (f.times ?? 1) > 0 &&
        (f.service ?? 'ec2') === service &&
        (f.action === undefined || f.action === call.action) &&
        (f.region === undefined || f.region === call.region),
    );
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      return send(failure.status, errorXml(failure.code, failure.message), call);
    }
    const handler = handlers.get(`${service} ${call.action}`);
    if (!handler)
      return send(
        400,
        errorXml('InvalidAction', `The action ${call.action} is not valid for this web service.`),
        call,
      );
    const result = handler(call);
    send(result.status ?? 200, result.xml, call);
  };

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    keys,
    get regions() {
      return state.regions;
    },
    set regions(value) {
      state.regions = value;
    },
    fail: (failure) => failures.push({ ...failure }),
    reset: () => {
      calls.length = 0;
      failures.length = 0;
    },
    handle: (service, action, handler) => handlers.set(`${service} ${action}`, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
