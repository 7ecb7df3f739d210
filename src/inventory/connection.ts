/**
 * From a host's variables to how to reach it: a transport spec for the registry, plus the
 * become settings. Bosun's names win over their ansible_* aliases only when both are set at
 * the same precedence; otherwise the stronger definition wins, whatever its spelling.
 * Every type error names where the value was written; secrets are never echoed.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { BosunError, isBosunError } from '../errors.js';
import { formatPosition } from '../model/yaml-source.js';
import type { TransportSpec } from '../transport/registry.js';
import { parseJumpSpec } from '../transport/ssh/jump-spec.js';
import type { SshEndpoint, SshTransportOptions } from '../transport/ssh/options.js';
import type { HostVars, Inventory, ResolvedVar } from './inventory.js';

/** Each setting and the variable names that set it, Bosun's first. */
export const CONNECTION_VARIABLES = {
  address: ['bosun_host', 'ansible_host', 'ansible_ssh_host'],
  port: ['bosun_port', 'ansible_port', 'ansible_ssh_port'],
  user: ['bosun_user', 'ansible_user', 'ansible_ssh_user'],
  privateKeyFile: ['bosun_private_key_file', 'ansible_ssh_private_key_file', 'ansible_private_key_file'],
  passphrase: ['bosun_private_key_passphrase'],
  password: ['bosun_password', 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'],
  bastions: ['bosun_bastions'],
  /** An inventory host to jump through: its own connection variables say how to reach it. */
  jumpHost: ['bosun_bastion'],
  knownHostsFile: ['bosun_known_hosts_file'],
  keepaliveInterval: ['bosun_keepalive_interval'],
  keepaliveCount: ['bosun_keepalive_count'],
  connection: ['bosun_connection', 'ansible_connection'],
  become: ['bosun_become', 'ansible_become'],
  becomeUser: ['bosun_become_user', 'ansible_become_user'],
  becomePassword: [
    'bosun_become_password',
    'ansible_become_password',
    'ansible_become_pass',
    'ansible_sudo_pass',
  ],
} as const;

type Setting = keyof typeof CONNECTION_VARIABLES;

/** Variables whose values are never shown in messages. */
const SECRET_SETTINGS = new Set<Setting>(['password', 'passphrase', 'becomePassword']);

/** The variable names whose values are secrets, whatever their spelling. */
export const SECRET_VARIABLE_NAMES: ReadonlySet<string> = new Set(
  [...SECRET_SETTINGS].flatMap((setting) => CONNECTION_VARIABLES[setting]),
);

/**
 * The values a variable took (its own, those it overrode, its rendering) that are secrets
 * because of its name: none unless it is a password, passphrase or become password variable.
 */
export function secretVariableValues(name: string, values: readonly unknown[]): readonly unknown[] {
  return SECRET_VARIABLE_NAMES.has(name) ? values : [];
}

export const CONNECTION_KINDS = ['ssh', 'local', 'docker'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** What the command line (or a play) imposes over the inventory. */
export interface ConnectionOverrides {
  /** `--connection`: every host is reached this way, whatever bosun_connection says. */
  connection?: ConnectionKind | undefined;
  become?: boolean | undefined;
  becomeUser?: string | undefined;
  becomePassword?: string | undefined;
  trustNewHostKeys?: boolean | undefined;
  onHostKeyAccepted?: SshTransportOptions['onHostKeyAccepted'];
  /** Milliseconds per SSH hop. */
  connectTimeout?: number | undefined;
  /** Milliseconds between SSH keep-alives while a connection is idle or a command runs. */
  keepaliveInterval?: number | undefined;
  /** Keep-alives left unanswered before the connection counts as lost. */
  keepaliveCountMax?: number | undefined;
  /** Default command timeout, milliseconds. */
  commandTimeout?: number | undefined;
  /** ssh config to read; false ignores ~/.ssh/config. */
  sshConfig?: string | false | undefined;
}

export interface BecomeSettings {
  enabled: boolean;
  /** sudo target user; undefined means root. */
  user: string | undefined;
}

export interface HostConnection {
  /** Inventory name. */
  host: string;
  transport: TransportSpec;
  become: BecomeSettings;
}

/** The connection's passwords and key passphrases: secrets wherever they would show up. */
export function connectionSecrets(connection: HostConnection): string[] {
  const spec = connection.transport as {
    password?: string;
    passphrase?: string;
    becomePassword?: string;
    bastions?: { password?: string; passphrase?: string }[];
  };
  const hops = (spec.bastions ?? []).flatMap((hop) => [hop.password, hop.passphrase]);
  return [spec.password, spec.passphrase, spec.becomePassword, ...hops].filter(
    (value): value is string => typeof value === 'string',
  );
}

/** Another host's variables, for a `bosun_bastion` that names an inventory host. */
export type HostVarsLookup = (host: string) => HostVars | undefined;

/** The connection of an inventory host, bastions named by inventory name resolved. */
export function inventoryConnection(
  inventory: Inventory,
  host: string,
  overrides: ConnectionOverrides = {},
): HostConnection {
  return hostConnection(host, inventory.varsOf(host), overrides, (name) =>
    inventory.hasHost(name) ? inventory.varsOf(name) : undefined,
  );
}

/** Map resolved host variables to a transport spec and become settings. */
export function hostConnection(
  host: string,
  vars: HostVars,
  overrides: ConnectionOverrides = {},
  lookup?: HostVarsLookup,
  /** Hosts already on the jump chain being resolved (a bastion of a bastion...). */
  chain: readonly string[] = [],
): HostConnection {
  const read = new Reader(host, vars);
  const kind = overrides.connection ?? read.connection();
  const becomeEnabled = overrides.become ?? read.boolean('become') ?? false;
  const becomeUser = overrides.becomeUser ?? read.string('becomeUser');
  const becomePassword = overrides.becomePassword ?? read.string('becomePassword');
  const become: BecomeSettings = { enabled: becomeEnabled, user: becomeUser };
  const shell = compact({ becomePassword, commandTimeout: overrides.commandTimeout });

  if (kind === 'local') return { host, become, transport: { kind: 'local', name: host, ...shell } };
  if (kind === 'docker') {
    const transport = compact({
      kind: 'docker' as const,
      name: host,
      container: read.string('address') ?? host,
      user: read.string('user'),
      ...shell,
    });
    return { host, become, transport: transport as TransportSpec };
  }

  const user = read.string('user');
  const privateKeyPath = read.path('privateKeyFile');
  const passphrase = read.string('passphrase');
  const bastions = [...read.jumpHost(lookup, [...chain, host]), ...read.bastions()].map((hop) =>
    compact({
      ...hop,
      user: hop.user ?? user,
      // A hop without its own key uses the host's (and the passphrase that goes with it).
      privateKeyPath: hop.privateKeyPath ?? privateKeyPath,
      passphrase: hop.privateKeyPath ? hop.passphrase : (hop.passphrase ?? passphrase),
    }),
  );
  const knownHostsFile = read.path('knownHostsFile');
  const transport = compact({
    kind: 'ssh' as const,
    name: host,
    host: read.string('address') ?? host,
    port: read.port(),
    user,
    privateKeyPath,
    passphrase,
    password: read.string('password'),
    bastions: bastions.length > 0 ? bastions : undefined,
    knownHostsFiles: knownHostsFile ? [knownHostsFile] : undefined,
    trustNewHostKeys: overrides.trustNewHostKeys,
    onHostKeyAccepted: overrides.onHostKeyAccepted,
    connectTimeout: overrides.connectTimeout,
    keepaliveInterval: overrides.keepaliveInterval ?? read.seconds('keepaliveInterval'),
    keepaliveCountMax: overrides.keepaliveCountMax ?? read.count('keepaliveCount'),
    sshConfig: overrides.sshConfig,
    ...shell,
  });
  return { host, become, transport: transport as TransportSpec };
}

/** Plain variables (no sources) as HostVars, for callers without an inventory file. */
export function plainHostVars(vars: Record<string, unknown>, baseDir = process.cwd()): HostVars {
  const out: HostVars = {};
  for (const [name, value] of Object.entries(vars)) {
    out[name] = {
      value,
      rank: 0,
      overridden: [],
      source: { origin: 'inventory', scope: 'host', name: '', file: '<vars>', line: 0, column: 0, baseDir },
    };
  }
  return out;
}

function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}

const BASTION_KEYS = ['host', 'port', 'user', 'private_key_file', 'private_key_passphrase', 'password'];
const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

class Reader {
  constructor(
    private readonly host: string,
    private readonly vars: HostVars,
  ) {}

  /** The strongest definition among a setting's names (ties: Bosun's name). */
  private find(setting: Setting): { name: string; resolved: ResolvedVar } | undefined {
    let best: { name: string; resolved: ResolvedVar } | undefined;
    for (const name of CONNECTION_VARIABLES[setting]) {
      const resolved = this.vars[name];
      if (!resolved || resolved.value === null || resolved.value === undefined) continue;
      if (!best || resolved.rank > best.resolved.rank) best = { name, resolved };
    }
    if (best && typeof best.resolved.value === 'string' && best.resolved.value.includes('{{')) {
      throw this.error(
        best,
        'contains a template ({{ }}); templates are not supported in connection variables yet',
      );
    }
    return best;
  }

  private error(found: { name: string; resolved: ResolvedVar }, message: string): BosunError {
    const where = found.resolved.source.line > 0 ? `${formatPosition(found.resolved.source)}: ` : '';
    return new BosunError('BOSUN_INVENTORY', `${where}host ${this.host}: ${found.name} ${message}`, {
      host: this.host,
      details: { variable: found.name, file: found.resolved.source.file, line: found.resolved.source.line },
    });
  }

  private got(setting: Setting, value: unknown): string {
    if (SECRET_SETTINGS.has(setting)) return describe(value);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = JSON.stringify(value);
      return text.length > 60 ? `${text.slice(0, 57)}...` : text;
    }
    return describe(value);
  }

  string(setting: Setting): string | undefined {
    const found = this.find(setting);
    if (!found) return undefined;
    const value = found.resolved.value;
    if (typeof value === 'number' && !SECRET_SETTINGS.has(setting)) return String(value);
    if (typeof value !== 'string')
      throw this.error(found, `must be a string, got ${this.got(setting, value)}`);
    if (value === '' && !SECRET_SETTINGS.has(setting)) throw this.error(found, 'must not be empty');
    return value;
  }

  boolean(setting: Setting): boolean | undefined {
    const found = this.find(setting);
    if (!found) return undefined;
    const value = found.resolved.value;
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === 0) return value === 1;
    if (typeof value === 'string') {
      const word = value.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
    }
    throw this.error(found, `must be true or false, got ${this.got(setting, value)}`);
  }

  port(): number | undefined {
    const found = this.find('port');
    if (!found) return undefined;
    const port = toPort(found.resolved.value);
    if (port === undefined) {
      throw this.error(
        found,
        `must be a port number (1-65535), got ${this.got('port', found.resolved.value)}`,
      );
    }
    return port;
  }

  /** A duration written in seconds (fractions allowed), as milliseconds. */
  seconds(setting: Setting): number | undefined {
    const found = this.find(setting);
    if (!found) return undefined;
    const seconds = toNumber(found.resolved.value);
    if (seconds === undefined || seconds <= 0) {
      throw this.error(
        found,
        `must be a number of seconds above 0, got ${this.got(setting, found.resolved.value)}`,
      );
    }
    return Math.round(seconds * 1000);
  }

  /** A whole number of at least 1. */
  count(setting: Setting): number | undefined {
    const found = this.find(setting);
    if (!found) return undefined;
    const count = toNumber(found.resolved.value);
    if (count === undefined || !Number.isInteger(count) || count < 1) {
      throw this.error(
        found,
        `must be a whole number of at least 1, got ${this.got(setting, found.resolved.value)}`,
      );
    }
    return count;
  }

  /** A file path: `~` expanded, relative paths taken from the inventory file's folder. */
  path(setting: Setting): string | undefined {
    const found = this.find(setting);
    if (!found) return undefined;
    const value = this.string(setting)!;
    return resolvePath(value, found.resolved.source.baseDir);
  }

  connection(): ConnectionKind {
    const found = this.find('connection');
    if (!found) return 'ssh';
    const value = found.resolved.value;
    if (typeof value === 'string' && (CONNECTION_KINDS as readonly string[]).includes(value)) {
      return value as ConnectionKind;
    }
    throw this.error(
      found,
      `must be one of ${CONNECTION_KINDS.join(', ')}, got ${this.got('connection', value)}`,
    );
  }

  bastions(): SshEndpoint[] {
    const found = this.find('bastions');
    if (!found) return [];
    const value = found.resolved.value;
    const baseDir = found.resolved.source.baseDir;
    if (typeof value === 'string') return this.jump(found, value, '');
    if (!Array.isArray(value)) {
      throw this.error(found, `must be a ProxyJump string or a list of hops, got ${describe(value)}`);
    }
    return value.flatMap((item: unknown, index): SshEndpoint[] => {
      const at = `[${index}]`;
      if (typeof item === 'string') return this.jump(found, item, at);
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw this.error(
          found,
          `${at} must be a string "user@host:port" or a mapping, got ${describe(item)}`,
        );
      }
      const hop = item as Record<string, unknown>;
      for (const key of Object.keys(hop)) {
        if (!BASTION_KEYS.includes(key)) {
          throw this.error(
            found,
            `${at} has an unknown key "${key}"; expected one of: ${BASTION_KEYS.join(', ')}`,
          );
        }
      }
      const text = (key: string, secret = false): string | undefined => {
        const v = hop[key];
        if (v === undefined || v === null) return undefined;
        if (typeof v === 'number' && !secret) return String(v);
        if (typeof v !== 'string' || (v === '' && !secret)) {
          throw this.error(
            found,
            `${at}.${key} must be a non-empty string, got ${secret ? describe(v) : JSON.stringify(v)}`,
          );
        }
        return v;
      };
      const host = text('host');
      if (!host) throw this.error(found, `${at} needs a host`);
      let port: number | undefined;
      if (hop.port !== undefined && hop.port !== null) {
        port = toPort(hop.port);
        if (port === undefined) {
          throw this.error(
            found,
            `${at}.port must be a port number (1-65535), got ${JSON.stringify(hop.port)}`,
          );
        }
      }
      const keyFile = text('private_key_file');
      return [
        compact({
          host,
          port,
          user: text('user'),
          privateKeyPath: keyFile ? resolvePath(keyFile, baseDir) : undefined,
          passphrase: text('private_key_passphrase', true),
          password: text('password', true),
        }),
      ];
    });
  }

  /**
   * The hops to the host `bosun_bastion` names: its own hops, then itself, each as its
   * inventory variables say (address, port, user, key).
   */
  jumpHost(lookup: HostVarsLookup | undefined, chain: readonly string[]): SshEndpoint[] {
    const found = this.find('jumpHost');
    if (!found) return [];
    const name = this.string('jumpHost')!;
    if (chain.includes(name)) {
      throw this.error(found, `makes a loop of bastions: ${[...chain, name].join(' -> ')}`);
    }
    const vars = lookup?.(name);
    if (!vars) throw this.error(found, `names "${name}", which is not a host of the inventory`);
    const bastion = hostConnection(name, vars, {}, lookup, chain).transport;
    if (bastion.kind !== 'ssh') throw this.error(found, `names "${name}", which is not reached over ssh`);
    return [
      ...(bastion.bastions ?? []),
      compact({
        host: bastion.host,
        port: bastion.port,
        user: bastion.user,
        privateKeyPath: bastion.privateKeyPath,
        passphrase: bastion.passphrase,
        password: bastion.password,
      }),
    ];
  }

  private jump(found: { name: string; resolved: ResolvedVar }, spec: string, at: string): SshEndpoint[] {
    try {
      return parseJumpSpec(spec);
    } catch (error) {
      if (isBosunError(error)) throw this.error(found, `${at}${at ? ' ' : ''}is not valid: ${error.message}`);
      throw error;
    }
  }
}

function toNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function toPort(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** `~` to the home folder; a relative path from `baseDir`. */
export function resolvePath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
