import { describe, expect, it } from 'vitest';
import { hostConnection } from '../../../src/inventory/connection.js';
import { inventoryFromDocument } from '../../../src/inventory/loader.js';
import { fleetInventory } from '../../../src/lab/inventory.js';
import { LAB_INVENTORY_HEADER, labInventoryYaml } from '../../../src/lab/lab.js';
import { parseDocument } from '../../../src/vendor/yaml.js';

const input = {
  user: 'bosun',
  privateKeyPath: '/abs/.bosun/lab/id_ed25519',
  knownHostsPath: '/abs/.bosun/lab/known_hosts',
  bastions: [{ address: '127.0.0.1', port: 40123 }],
  hosts: ['host1', 'host2', 'host3'],
};

describe('fleetInventory', () => {
  it('has the shape of the contract example', () => {
    expect(fleetInventory(input)).toEqual({
      all: {
        vars: {
          bosun_user: 'bosun',
          bosun_private_key_file: '/abs/.bosun/lab/id_ed25519',
          bosun_known_hosts_file: '/abs/.bosun/lab/known_hosts',
          bosun_bastions: [{ host: '127.0.0.1', port: 40123 }],
        },
        children: { lab: { hosts: { host1: {}, host2: {}, host3: {} } } },
      },
    });
  });

  it('lists a second hop by alias, leaving out the default port', () => {
    const inventory = fleetInventory({
      ...input,
      bastions: [...input.bastions, { address: 'bastion2', port: 22 }],
      hosts: ['host1'],
      group: 'fleet',
    });
    expect(inventory.all.vars?.bosun_bastions).toEqual([
      { host: '127.0.0.1', port: 40123 },
      { host: 'bastion2' },
    ]);
    expect(inventory.all.children).toEqual({ fleet: { hosts: { host1: {} } } });
  });
});

describe('labInventoryYaml', () => {
  it('is the inventory as YAML under a header comment', () => {
    const inventory = fleetInventory(input);
    const text = labInventoryYaml(inventory, {
      name: 'bosun-lab-1',
      sshConfigPath: '/abs/.bosun/lab/ssh_config',
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe(`# ${LAB_INVENTORY_HEADER}`);
    expect(lines[1]).toBe('# Lab bosun-lab-1. By hand: ssh -F /abs/.bosun/lab/ssh_config host1');
    expect(parseDocument(text).toJS()).toEqual(inventory);
  });
});

describe('the fleet inventory, read by the inventory loader (contract with src/inventory)', () => {
  it('gives every host a key login through bastion1 on 127.0.0.1', () => {
    const inventory = inventoryFromDocument(fleetInventory(input), 'lab.yml', '/abs');
    expect(inventory.hostNames()).toEqual(['host1', 'host2', 'host3']);
    expect(inventory.hostsOf('lab')).toEqual(['host1', 'host2', 'host3']);
    const connection = hostConnection('host2', inventory.varsOf('host2'));
    expect(connection.transport).toMatchObject({
      kind: 'ssh',
      host: 'host2',
      user: 'bosun',
      privateKeyPath: '/abs/.bosun/lab/id_ed25519',
      knownHostsFiles: ['/abs/.bosun/lab/known_hosts'],
      bastions: [
        { host: '127.0.0.1', port: 40123, user: 'bosun', privateKeyPath: '/abs/.bosun/lab/id_ed25519' },
      ],
    });
  });
});
