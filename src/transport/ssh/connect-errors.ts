import { BosunError } from '../../errors.js';
import { formatEndpoint } from './jump-spec.js';
import { fingerprintSha256, type KnownHostEntry, keyTypeOfBlob, knownHostsName } from './known-hosts.js';

/**
 * Turning ssh2 and socket failures into Bosun errors that say which hop failed and why.
 * Messages name hops, never the target's inventory name: a bastion connection is shared by
 * many targets, so the transport prefixes the target when it rethrows.
 */

export interface HopDescription {
  role: 'bastion' | 'target';
  user: string;
  host: string;
  port: number;
  /** The previous hop, `user@host:port`, when this one is reached through a bastion. */
  via?: string | undefined;
  /** 1-based position and length of the chain, for bastions. */
  index?: number;
  total?: number;
}

/** "bastion bosun@127.0.0.1:40123 (hop 1 of 2)" or "bosun@host1:22 via bastion bosun@127.0.0.1:40123". */
export function describeHop(hop: HopDescription): string {
  const endpoint = formatEndpoint(hop);
  const position =
    hop.role === 'bastion' && hop.index !== undefined && hop.total !== undefined && hop.total > 1
      ? ` (hop ${hop.index} of ${hop.total})`
      : '';
  const via = hop.via ? ` via bastion ${hop.via}` : '';
  return `${hop.role === 'bastion' ? 'bastion ' : ''}${endpoint}${position}${via}`;
}

export interface ClassifyContext {
  hop: HopDescription;
  /** Where it failed: opening the TCP path (direct or forwarded), or the SSH session on it. */
  stage: 'connect' | 'forward' | 'ssh';
  timeoutMs?: number;
  /** Auth methods tried, as labels ("publickey /home/me/.ssh/id_ed25519", "password"). */
  authMethods?: string[];
  /** Methods the server said it accepts, when known. */
  serverMethods?: string[];
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'name does not resolve',
  EAI_AGAIN: 'name resolution failed (temporary)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};

interface Ssh2Error {
  message?: string;
  code?: string;
  level?: string;
  reason?: number | string;
}

/** One Bosun error for a failure to establish (or keep) the connection of one hop. */
export function classifyConnectError(error: unknown, ctx: ClassifyContext): BosunError {
  if (error instanceof BosunError) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as Ssh2Error;
  const message = e.message ?? String(error);
  const hop = describeHop(ctx.hop);
  const target = formatEndpoint(ctx.hop);
  const details: Record<string, unknown> = {
    hop: formatEndpoint(ctx.hop),
    role: ctx.hop.role,
    ...(ctx.hop.via ? { via: ctx.hop.via } : {}),
  };
  const unreachable = (why: string) =>
    new BosunError('BOSUN_UNREACHABLE', `cannot connect to ${hop}: ${why}`, { cause: error, details });

  if (ctx.stage === 'forward') {
    // The bastion answered, but could not open the TCP connection onwards.
    const from = ctx.hop.via ?? 'the bastion';
    if (/timed out/i.test(message))
      return unreachable(
        `${from} did not open a connection to ${hostPort(ctx.hop)} within ${ctx.timeoutMs} ms`,
      );
    return unreachable(`${from} could not open a connection to ${hostPort(ctx.hop)} (${stripSsh(message)})`);
  }
  if (e.code && UNREACHABLE_CODES[e.code]) return unreachable(`${UNREACHABLE_CODES[e.code]} (${e.code})`);
  if (e.level === 'client-dns') return unreachable(`name does not resolve (${message})`);
  if (/Timed out while waiting for handshake/i.test(message)) {
    return unreachable(`no SSH handshake within ${ctx.timeoutMs ?? 'the connect timeout'} ms`);
  }
  if (/Connection lost before handshake/i.test(message)) {
    return unreachable('the server closed the connection before the SSH handshake');
  }
  if (/All configured authentication methods failed/i.test(message)) {
    const tried =
      ctx.authMethods && ctx.authMethods.length > 0
        ? `tried ${ctx.authMethods.join(', ')}`
        : 'no credential to offer (give a key file, a password, or an ssh-agent)';
    const accepts = ctx.serverMethods?.length ? `; the server accepts: ${ctx.serverMethods.join(', ')}` : '';
    return new BosunError(
      'BOSUN_AUTH_FAILED',
      `authentication failed for ${target}${ctx.hop.role === 'bastion' ? ' (bastion)' : ''}${ctx.hop.via ? ` via bastion ${ctx.hop.via}` : ''}: ${tried}${accepts}`,
      {
        cause: error,
        details: { ...details, methodsTried: ctx.authMethods ?? [], serverMethods: ctx.serverMethods },
      },
    );
  }
  if (/Host denied/i.test(message)) {
    return new BosunError('BOSUN_HOST_KEY_UNKNOWN', `host key of ${hop} was refused`, {
      cause: error,
      details,
    });
  }
  if (/Keepalive timeout/i.test(message))
    return unreachable('the server stopped answering (keepalive timeout)');
  if (e.level === 'handshake' || e.level === 'protocol')
    return unreachable(`SSH handshake failed: ${message}`);
  return unreachable(message);
}

function hostPort(hop: HopDescription): string {
  return formatEndpoint({ host: hop.host, port: hop.port });
}

function stripSsh(message: string): string {
  return message.replace(/^\(SSH\) Channel open failure: /, '') || 'no reason given';
}

export interface HostKeyContext {
  hop: HopDescription;
  keyBlob: Buffer;
  knownHostsFiles: readonly string[];
}

function presented(ctx: HostKeyContext): string {
  return `${keyTypeOfBlob(ctx.keyBlob) ?? 'unknown-type'} key ${fingerprintSha256(ctx.keyBlob)}`;
}

function hostKeyDetails(ctx: HostKeyContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hop: formatEndpoint(ctx.hop),
    knownHostsName: knownHostsName(ctx.hop.host, ctx.hop.port),
    presentedFingerprint: fingerprintSha256(ctx.keyBlob),
    ...extra,
  };
}

export function hostKeyMismatchError(ctx: HostKeyContext, expected: readonly KnownHostEntry[]): BosunError {
  const name = knownHostsName(ctx.hop.host, ctx.hop.port);
  const known = expected.map(
    (entry) => `${entry.keyType} ${fingerprintSha256(entry.keyBlob)} (${entry.file}:${entry.line})`,
  );
  return new BosunError(
    'BOSUN_HOST_KEY_MISMATCH',
    `HOST KEY MISMATCH for ${describeHop(ctx.hop)}: ${name} presented ${presented(ctx)}, ` +
      `but known_hosts expects ${known.join(', ')}. Someone may be intercepting the connection, or the ` +
      `host was rebuilt; if you are sure it was rebuilt, remove the old entry (ssh-keygen -R '${name}') and connect again.`,
    {
      details: hostKeyDetails(ctx, {
        expected: expected.map((entry) => ({
          keyType: entry.keyType,
          fingerprint: fingerprintSha256(entry.keyBlob),
          file: entry.file,
          line: entry.line,
        })),
      }),
    },
  );
}

export function hostKeyRevokedError(ctx: HostKeyContext, entry: KnownHostEntry): BosunError {
  return new BosunError(
    'BOSUN_HOST_KEY_MISMATCH',
    `REVOKED HOST KEY for ${describeHop(ctx.hop)}: it presented ${presented(ctx)}, which is marked @revoked in ${entry.file}:${entry.line}`,
    { details: hostKeyDetails(ctx, { revoked: { file: entry.file, line: entry.line } }) },
  );
}

export function hostKeyUnknownError(ctx: HostKeyContext): BosunError {
  const name = knownHostsName(ctx.hop.host, ctx.hop.port);
  return new BosunError(
    'BOSUN_HOST_KEY_UNKNOWN',
    `unknown host key for ${describeHop(ctx.hop)}: ${name} presented ${presented(ctx)} and no entry for it is in ` +
      `${ctx.knownHostsFiles.join(', ') || 'any known_hosts file'}. Check the fingerprint, then rerun with ` +
      '--trust-new-host-keys to accept and record it (or add it to known_hosts yourself).',
    { details: hostKeyDetails(ctx) },
  );
}

/** A private key that cannot be used: named by file, never showing the passphrase. */
export function keyFileError(
  label: string,
  reason: string,
  hadPassphrase: boolean,
  cause?: unknown,
): BosunError {
  let why: string;
  if (/no passphrase given/i.test(reason)) why = 'it is encrypted and no passphrase was given';
  else if (hadPassphrase && /passphrase|decrypt|integrity|malformed/i.test(reason))
    why = 'the passphrase is wrong (or the key is corrupt)';
  else why = `it is not a usable private key (${reason})`;
  return new BosunError('BOSUN_AUTH_FAILED', `cannot use private key ${label}: ${why}`, {
    cause,
    details: { key: label },
  });
}
