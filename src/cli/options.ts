/**
 * What the commands share about their options: commander value parsers (a bad value is exit 4
 * before anything runs) and the connection options of `exec` and `run` (-K,
 * --trust-new-host-keys, --connect-timeout).
 */
import { BosunError } from '../errors.js';
import { CONNECTION_KINDS, type ConnectionKind, type ConnectionOverrides } from '../inventory/connection.js';
import { type Command, InvalidArgumentError } from '../vendor/commander.js';
import type { CliIO } from './io.js';
import { readSecretFromTty } from './prompt.js';

export const BECOME_PASSWORD_ENV = 'BOSUN_BECOME_PASSWORD';
export const CONNECTION_HELP =
  'reach every host this way: ssh, local (this machine, as inside a Packer build) or docker; wins over bosun_connection';
export const REFRESH_CACHE_HELP =
  'ask inventory sources afresh (aws_ec2 with cache: true), and cache the answer';

/** A repeatable option: every value, in order. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('must be a number of seconds above 0');
  }
  return n;
}

export function connectionKind(value: string): ConnectionKind {
  if (!(CONNECTION_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${CONNECTION_KINDS.join(', ')}`);
  }
  return value as ConnectionKind;
}

export function hops(value: string): 1 | 2 {
  if (value !== '1' && value !== '2') throw new InvalidArgumentError('must be 1 or 2');
  return Number(value) as 1 | 2;
}

export interface ConnectionOptions {
  connection?: ConnectionKind | undefined;
  askBecomePass?: boolean | undefined;
  trustNewHostKeys?: boolean | undefined;
  /** Seconds. */
  connectTimeout?: number | undefined;
  /** Seconds. */
  keepaliveInterval?: number | undefined;
  keepaliveCount?: number | undefined;
}

/** The SSH keep-alive options of `exec` and `run` (they win over the inventory's variables). */
export function addKeepaliveOptions(command: Command): Command {
  return command
    .option(
      '--keepalive-interval <seconds>',
      'SSH keep-alive every this long (default 15; inventory: bosun_keepalive_interval)',
      positiveSeconds,
    )
    .option(
      '--keepalive-count <n>',
      'unanswered keep-alives before a host counts as lost (default 3; inventory: bosun_keepalive_count)',
      positiveInteger,
    );
}

/**
 * The connection overrides the options ask for. With -K the become password comes from
 * $BOSUN_BECOME_PASSWORD, else from a prompt on the terminal (no terminal: bad input).
 */
export async function connectionOverrides(
  options: ConnectionOptions,
  io: CliIO,
): Promise<ConnectionOverrides> {
  return {
    connection: options.connection,
    becomePassword: options.askBecomePass ? await becomePassword(io) : undefined,
    trustNewHostKeys: options.trustNewHostKeys,
    connectTimeout: options.connectTimeout === undefined ? undefined : options.connectTimeout * 1000,
    keepaliveInterval:
      options.keepaliveInterval === undefined ? undefined : Math.round(options.keepaliveInterval * 1000),
    keepaliveCountMax: options.keepaliveCount,
    onHostKeyAccepted: (info) => {
      io.stderr.write(
        `bosun: accepted new host key for ${hostKeyName(info.host, info.port)} (${info.fingerprint}) into ${info.file}\n`,
      );
    },
  };
}

async function becomePassword(io: CliIO): Promise<string> {
  const fromEnv = io.env[BECOME_PASSWORD_ENV];
  if (fromEnv !== undefined) return fromEnv;
  if (!io.stdin.isTTY) {
    throw new BosunError(
      'BOSUN_INPUT',
      `--ask-become-pass needs a terminal to prompt on, or the password in ${BECOME_PASSWORD_ENV}`,
    );
  }
  return readSecretFromTty(io, 'BECOME password: ');
}

/** As known_hosts names it. */
function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}
