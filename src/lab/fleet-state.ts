import { join } from 'node:path';
import { BosunError } from '../errors.js';
import { knownHostsText, sshConfigText } from './ssh-files.js';

/**
 * Everything needed to find and use a fleet from another process (`bosun lab status|down`):
 * saved as JSON, mode 0600, next to the keys it names (it holds the key passphrase and pwuser's
 * password, which are lab-only secrets).
 */
export interface FleetStateNode {
  name: string;
  role: 'bastion' | 'host';
  containerId: string;
  containerName: string;
  address: string;
  port: number;
  hostKeys: string[];
  systemd: boolean;
}

export interface FleetState {
  version: 1;
  name: string;
  workdir: string;
  hops: 1 | 2;
  systemd: boolean;
  networks: string[];
  bastionPort: number;
  user: 'bosun';
  passwordUser: 'pwuser';
  privateKeyPath: string;
  publicKey: string;
  passphraseKeyPath: string;
  keyPassphrase: string;
  password: string;
  knownHostsPath: string;
  sshConfigPath: string;
  nodes: FleetStateNode[];
  createdAt: string;
}

export function serializeFleetState(state: FleetState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export interface FleetFile {
  path: string;
  text: string;
  mode: number;
}

/**
 * The files a fleet keeps in its workdir, all derived from its state: known_hosts, ssh_config and
 * state.json itself. Written when the fleet starts, and again when `bosun lab up` repairs a lab,
 * so they always describe the containers as they run.
 */
export function fleetFiles(state: FleetState): FleetFile[] {
  const sshConfig = sshConfigText({
    nodes: state.nodes,
    user: state.user,
    privateKeyPath: state.privateKeyPath,
    knownHostsPath: state.knownHostsPath,
  });
  return [
    { path: state.knownHostsPath, text: knownHostsText(state.nodes), mode: 0o644 },
    { path: state.sshConfigPath, text: sshConfig, mode: 0o644 },
    // It holds the key passphrase and pwuser's password.
    { path: join(state.workdir, 'state.json'), text: serializeFleetState(state), mode: 0o600 },
  ];
}

type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string' && value !== '';
const isPort: Check = (value) =>
  Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536;
const isBoolean: Check = (value) => typeof value === 'boolean';
const isStringArray: Check = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function field(record: Record<string, unknown>, key: string, check: Check, where: string): void {
  if (!check(record[key])) throw new TypeError(`${where}.${key} is missing or malformed`);
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} is not an object`);
  }
  return value as Record<string, unknown>;
}

/** Parse and check a state file's text; `source` names it in errors. */
export function parseFleetState(text: string, source: string): FleetState {
  try {
    const state = asRecord(JSON.parse(text), 'state');
    if (state.version !== 1) throw new TypeError(`unsupported version ${JSON.stringify(state.version)}`);
    for (const key of [
      'name',
      'workdir',
      'privateKeyPath',
      'publicKey',
      'passphraseKeyPath',
      'keyPassphrase',
    ]) {
      field(state, key, isString, 'state');
    }
    for (const key of ['password', 'knownHostsPath', 'sshConfigPath', 'createdAt']) {
      field(state, key, isString, 'state');
    }
    field(state, 'hops', (value) => value === 1 || value === 2, 'state');
    field(state, 'systemd', isBoolean, 'state');
    field(state, 'networks', isStringArray, 'state');
    field(state, 'bastionPort', isPort, 'state');
    field(state, 'user', (value) => value === 'bosun', 'state');
    field(state, 'passwordUser', (value) => value === 'pwuser', 'state');
    if (!Array.isArray(state.nodes) || state.nodes.length === 0) throw new TypeError('state.nodes is empty');
    state.nodes.forEach((item, index) => {
      const node = asRecord(item, `state.nodes[${index}]`);
      const where = `state.nodes[${index}]`;
      for (const key of ['name', 'containerId', 'containerName', 'address'])
        field(node, key, isString, where);
      field(node, 'role', (value) => value === 'bastion' || value === 'host', where);
      field(node, 'port', isPort, where);
      field(node, 'hostKeys', isStringArray, where);
      field(node, 'systemd', isBoolean, where);
    });
    return state as unknown as FleetState;
  } catch (error) {
    throw new BosunError(
      'BOSUN_LAB',
      `${source} is not a usable lab state file: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
