import { describe, expect, it } from 'vitest';
import { type FleetState, parseFleetState, serializeFleetState } from '../../../src/lab/fleet-state.js';

const state: FleetState = {
  version: 1,
  name: 'bosun-lab-12345678',
  workdir: '/p/.bosun/lab',
  hops: 1,
  systemd: true,
  networks: ['bosun-lab-12345678-net'],
  bastionPort: 40123,
  user: 'bosun',
  passwordUser: 'pwuser',
  privateKeyPath: '/p/.bosun/lab/id_ed25519',
  publicKey: 'ssh-ed25519 AAAAC3Nz bosun@lab',
  passphraseKeyPath: '/p/.bosun/lab/id_ed25519_passphrase',
  keyPassphrase: 'pass-phrase_1',
  password: 'pw-1',
  knownHostsPath: '/p/.bosun/lab/known_hosts',
  sshConfigPath: '/p/.bosun/lab/ssh_config',
  nodes: [
    {
      name: 'bastion1',
      role: 'bastion',
      containerId: 'abc',
      containerName: 'bosun-lab-12345678-bastion1',
      address: '127.0.0.1',
      port: 40123,
      hostKeys: ['ssh-ed25519 AAAA1'],
      systemd: false,
    },
    {
      name: 'host1',
      role: 'host',
      containerId: 'def',
      containerName: 'bosun-lab-12345678-host1',
      address: 'host1',
      port: 22,
      hostKeys: ['ssh-ed25519 AAAA2'],
      systemd: true,
    },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('fleet state', () => {
  it('round-trips through its JSON text', () => {
    const text = serializeFleetState(state);
    expect(text.endsWith('\n')).toBe(true);
    expect(parseFleetState(text, 'state.json')).toEqual(state);
  });

  it('rejects text that is not JSON, naming the file', () => {
    expect(() => parseFleetState('{nope', '/p/state.json')).toThrow(
      expect.objectContaining({ code: 'BOSUN_LAB', message: expect.stringContaining('/p/state.json') }),
    );
  });

  it.each([
    ['an unknown version', { ...state, version: 2 }, /unsupported version 2/],
    ['a missing name', { ...state, name: undefined }, /state\.name/],
    ['a bad port', { ...state, bastionPort: 70000 }, /state\.bastionPort/],
    ['no nodes', { ...state, nodes: [] }, /state\.nodes is empty/],
    [
      'a node with a bad role',
      { ...state, nodes: [{ ...state.nodes[0], role: 'db' }] },
      /state\.nodes\[0\]\.role/,
    ],
    [
      'host keys not a list',
      { ...state, nodes: [state.nodes[0], { ...state.nodes[1], hostKeys: 'x' }] },
      /nodes\[1\]\.hostKeys/,
    ],
  ])('rejects %s', (_label, value, message) => {
    expect(() => parseFleetState(JSON.stringify(value), 'state.json')).toThrow(message);
  });
});
