import { BosunError } from '../../errors.js';
import type { SshEndpoint } from './options.js';

/**
 * ProxyJump syntax, as `ssh -J` takes it: comma-separated hops `[user@]host[:port]`, IPv6
 * addresses in brackets (`[::1]:2222`), optionally as `ssh://[user@]host[:port]` URIs.
 * `none` or an empty string means no hop.
 */
export function parseJumpSpec(spec: string): SshEndpoint[] {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return [];
  return trimmed.split(',').map((part) => parseHop(part.trim(), spec));
}

function parseHop(hop: string, spec: string): SshEndpoint {
  const fail = (why: string) =>
    new BosunError('BOSUN_INPUT', `invalid jump host "${hop}" in "${spec}": ${why}`);
  if (hop === '') throw fail('empty hop');
  let rest = hop.startsWith('ssh://') ? hop.slice('ssh://'.length).replace(/\/$/, '') : hop;
  const endpoint: Partial<SshEndpoint> = {};
  // The user may itself contain '@' (user@domain); the host never does.
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const user = rest.slice(0, at);
    if (user === '') throw fail('empty user name');
    endpoint.user = user;
    rest = rest.slice(at + 1);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw fail('missing "]"');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw fail(`unexpected "${after}" after "]"`);
      portText = after.slice(1);
    }
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 address: no port can be told apart from it.
    host = rest;
  } else {
    const colon = rest.indexOf(':');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
  }
  if (host === '') throw fail('empty host');
  if (/[\s/]/.test(host)) throw fail('host contains a space or "/"');
  endpoint.host = host;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw fail(`"${portText}" is not a port number`);
    endpoint.port = port;
  }
  return endpoint as SshEndpoint;
}

/** `user@host:port` (IPv6 in brackets), the form used in messages and connection keys. */
export function formatEndpoint(endpoint: {
  user?: string | undefined;
  host: string;
  port?: number | undefined;
}): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.user ? `${endpoint.user}@` : ''}${host}:${endpoint.port ?? 22}`;
}
