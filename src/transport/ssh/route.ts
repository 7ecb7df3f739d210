import { BosunError } from '../../errors.js';
import type { HopDescription } from './connect-errors.js';
import { formatEndpoint, parseJumpSpec } from './jump-spec.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_COUNT_MAX,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_SSH_PORT,
  type SshEndpoint,
  type SshTransportOptions,
} from './options.js';
import { defaultIdentityFiles, defaultKnownHostsFiles, expandTilde } from './paths.js';
import { resolveSshHost, type SshConfig } from './ssh-config.js';

/**
 * From transport options (and ssh config) to the concrete chain of hops to dial. Pure: the
 * environment comes in as an argument so the rules are unit-tested without a home folder.
 */

export interface KeySource {
  /** For messages: the file path, or "inline key". */
  label: string;
  path?: string;
  data?: string | Buffer;
  passphrase?: string | undefined;
  /** Explicitly asked for: a key that cannot be read or decrypted is an error, not skipped. */
  required: boolean;
}

export interface ResolvedHop {
  description: HopDescription;
  host: string;
  port: number;
  user: string;
  keys: KeySource[];
  password?: string | undefined;
  agent?: string | undefined;
  /** `user@host:port` of this hop alone. */
  id: string;
  /** Identity of the hop with the chain leading to it: connections are shared by this key. */
  key: string;
}

export interface RouteSettings {
  knownHostsFiles: string[];
  trustNewHostKeys: boolean;
  onHostKeyAccepted: SshTransportOptions['onHostKeyAccepted'];
  connectTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
}

export interface Route {
  /** Name of the target in messages. */
  target: string;
  /** Bastions in dialling order, then the target. */
  hops: ResolvedHop[];
  settings: RouteSettings;
}

export interface RouteEnvironment {
  home: string;
  localUser: string;
  /** SSH_AUTH_SOCK. */
  agentSocket?: string | undefined;
  /** The ssh config to apply, if any. */
  config?: SshConfig | undefined;
}

interface Credentials {
  keys: KeySource[];
  password?: string | undefined;
  agent?: string | undefined;
}

const MAX_JUMP_DEPTH = 16;

export function resolveRoute(options: SshTransportOptions, env: RouteEnvironment): Route {
  if (!options.host) throw new BosunError('BOSUN_INPUT', 'ssh transport: no host given');
  const target = options.name ?? options.host;
  const targetEndpoint = applyConfig(options, env);
  const explicitKeys = explicitKeySources(options, env);

  let chain: SshEndpoint[];
  if (options.bastions !== undefined) {
    chain = options.bastions.map((hop) => applyConfig(hop, env));
  } else {
    chain = configJumpChain(options.host, targetEndpoint, env, new Set([options.host]), 0);
  }

  const hops: ResolvedHop[] = [];
  const all = [...chain, targetEndpoint];
  all.forEach((endpoint, index) => {
    const isTarget = index === all.length - 1;
    const credentials = credentialsFor(endpoint, env, isTarget ? undefined : explicitKeys);
    const port = endpoint.port ?? DEFAULT_SSH_PORT;
    const user = endpoint.user ?? env.localUser;
    const id = formatEndpoint({ user, host: endpoint.host, port });
    const previous = hops[index - 1];
    const description: HopDescription = {
      role: isTarget ? 'target' : 'bastion',
      user,
      host: endpoint.host,
      port,
      via: previous?.id,
    };
    if (!isTarget) {
      description.index = index + 1;
      description.total = chain.length;
    }
    hops.push({
      description,
      host: endpoint.host,
      port,
      user,
      ...credentials,
      id,
      key: previous ? `${previous.key} > ${id}` : id,
    });
  });

  return {
    target,
    hops,
    settings: {
      knownHostsFiles: (options.knownHostsFiles ?? defaultKnownHostsFiles(env.home)).map((file) =>
        expandTilde(file, env.home),
      ),
      trustNewHostKeys: options.trustNewHostKeys ?? false,
      onHostKeyAccepted: options.onHostKeyAccepted,
      connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepaliveInterval: options.keepaliveInterval ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: options.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
    },
  };
}

/** An endpoint with its ssh config applied; values given explicitly win. Identity files go in `configKeys`. */
interface ConfiguredEndpoint extends SshEndpoint {
  configKeys?: string[];
  proxyJump?: string;
  proxyCommand?: string;
}

function applyConfig(endpoint: SshEndpoint, env: RouteEnvironment): ConfiguredEndpoint {
  if (!env.config) return { ...endpoint };
  const resolved = resolveSshHost(env.config, endpoint.host, { home: env.home, localUser: env.localUser });
  const out: ConfiguredEndpoint = { ...endpoint, host: resolved.hostName };
  if (out.port === undefined && resolved.port !== undefined) out.port = resolved.port;
  if (out.user === undefined && resolved.user !== undefined) out.user = resolved.user;
  if (resolved.identityFiles.length > 0) out.configKeys = resolved.identityFiles;
  if (resolved.proxyJump !== undefined) out.proxyJump = resolved.proxyJump;
  else if (resolved.proxyCommand !== undefined) out.proxyCommand = resolved.proxyCommand;
  return out;
}

/**
 * The bastions ssh would go through for `alias`, from ProxyJump: for `ProxyJump a,b` the first
 * hop `a` is itself reached through its own ProxyJump, the later ones through the hop before.
 */
function configJumpChain(
  alias: string,
  endpoint: ConfiguredEndpoint,
  env: RouteEnvironment,
  seen: Set<string>,
  depth: number,
): SshEndpoint[] {
  if (!endpoint.proxyJump) {
    if (endpoint.proxyCommand !== undefined) {
      throw new BosunError(
        'BOSUN_SSH_CONFIG',
        `ssh config sets ProxyCommand for ${alias}; bosun supports ProxyJump only (use ProxyJump or bastions)`,
        { host: alias },
      );
    }
    return [];
  }
  if (depth >= MAX_JUMP_DEPTH) {
    throw new BosunError(
      'BOSUN_SSH_CONFIG',
      `ProxyJump chain for ${alias} is longer than ${MAX_JUMP_DEPTH} hops`,
    );
  }
  const hops = parseJumpSpec(endpoint.proxyJump);
  const chain: SshEndpoint[] = [];
  hops.forEach((hop, index) => {
    if (seen.has(hop.host)) {
      throw new BosunError(
        'BOSUN_SSH_CONFIG',
        `ProxyJump loop: ${[...seen, hop.host].join(' -> ')} (in the ssh config of ${alias})`,
      );
    }
    const configured = applyConfig(hop, env);
    if (index === 0)
      chain.push(...configJumpChain(hop.host, configured, env, new Set([...seen, hop.host]), depth + 1));
    chain.push(configured);
  });
  return chain;
}

function explicitKeySources(endpoint: SshEndpoint, env: RouteEnvironment): KeySource[] {
  const keys: KeySource[] = [];
  if (endpoint.privateKey !== undefined) {
    keys.push({
      label: 'inline key',
      data: endpoint.privateKey,
      passphrase: endpoint.passphrase,
      required: true,
    });
  }
  if (endpoint.privateKeyPath !== undefined) {
    const path = expandTilde(endpoint.privateKeyPath, env.home);
    keys.push({ label: path, path, passphrase: endpoint.passphrase, required: true });
  }
  return keys;
}

/**
 * Which credentials a hop offers: its own key (option, else its ssh config IdentityFile), else
 * for a bastion the target's explicit key, else the default key files; plus its password and
 * the agent. Keys are safe to share with a bastion (only signatures leave this machine); the
 * target's password is never sent to a bastion.
 */
function credentialsFor(
  endpoint: ConfiguredEndpoint,
  env: RouteEnvironment,
  inheritedKeys: KeySource[] | undefined,
): Credentials {
  let keys = explicitKeySources(endpoint, env);
  if (keys.length === 0 && endpoint.configKeys) {
    keys = endpoint.configKeys.map((path) => ({
      label: path,
      path,
      passphrase: endpoint.passphrase,
      required: false,
    }));
  }
  if (keys.length === 0 && inheritedKeys) keys = inheritedKeys;
  if (keys.length === 0) {
    keys = defaultIdentityFiles(env.home).map((path) => ({
      label: path,
      path,
      passphrase: endpoint.passphrase,
      required: false,
    }));
  }
  const agent = endpoint.agent === false ? undefined : (endpoint.agent ?? env.agentSocket);
  return { keys, password: endpoint.password, agent: agent || undefined };
}
