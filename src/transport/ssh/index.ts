import type { Transport } from '../types.js';
import type { SshTransportOptions } from './options.js';
import { SshConnectionPool } from './pool.js';
import { SshTransport } from './ssh-transport.js';

export {
  classifyConnectError,
  describeHop,
  type HopDescription,
} from './connect-errors.js';
export { formatEndpoint, parseJumpSpec } from './jump-spec.js';
export {
  checkHostKey,
  fingerprintSha256,
  type HostKeyVerdict,
  type KnownHostEntry,
  knownHostsLine,
  knownHostsName,
  loadKnownHosts,
  parseKnownHosts,
} from './known-hosts.js';
export type { SshEndpoint, SshTransportOptions } from './options.js';
export { SshConnectionPool } from './pool.js';
export {
  loadSshConfig,
  parseSshConfig,
  type ResolvedSshHost,
  resolveSshHost,
  type SshConfig,
} from './ssh-config.js';
export { SshTransport } from './ssh-transport.js';

/** A transport with its own connections (closed by its close()); connects on first use. */
export function createSshTransport(options: SshTransportOptions): SshTransport & Transport {
  return new SshTransport(options, new SshConnectionPool(), true);
}
