import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { hostConnection, plainHostVars } from '../../../src/inventory/connection.js';
import { parseInventory } from '../../../src/inventory/loader.js';

const BASE = '/srv/inv';

function connectionOf(yaml: string, host: string, overrides = {}) {
  const inventory = parseInventory(yaml, 'inv.yml', BASE);
  return hostConnection(host, inventory.varsOf(host), overrides);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(isBosunError(error, 'BOSUN_INVENTORY')).toBe(true);
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('connection variables to a transport spec', () => {
  it('defaults to ssh to the inventory name, nothing else set', () => {
    expect(connectionOf('all:\n  hosts:\n    web1:\n', 'web1')).toEqual({
      host: 'web1',
      become: { enabled: false, user: undefined },
      transport: { kind: 'ssh', name: 'web1', host: 'web1' },
    });
  });

  it('maps every bosun_* variable', () => {
    const c = connectionOf(
      `all:
  hosts:
    web1:
      bosun_host: 10.0.0.7
      bosun_port: 2222
      bosun_user: deploy
      bosun_private_key_file: keys/id_ed25519
      bosun_private_key_passphrase: pass-phrase
      bosun_password: pw
      bosun_known_hosts_file: ./known_hosts
      bosun_become: yes
      bosun_become_user: app
      bosun_become_password: sudo-pw
`,
      'web1',
    );
    expect(c).toEqual({
      host: 'web1',
      become: { enabled: true, user: 'app' },
      transport: {
        kind: 'ssh',
        name: 'web1',
        host: '10.0.0.7',
        port: 2222,
        user: 'deploy',
        privateKeyPath: '/srv/inv/keys/id_ed25519',
        passphrase: 'pass-phrase',
        password: 'pw',
        knownHostsFiles: ['/srv/inv/known_hosts'],
        becomePassword: 'sudo-pw',
      },
    });
  });

  it('accepts the ansible_* names', () => {
    const c = connectionOf(
      `all:
  hosts:
    web1:
      ansible_host: 10.0.0.8
      ansible_port: "2200"
      ansible_user: ubuntu
      ansible_ssh_private_key_file: ~/.ssh/aws.pem
      ansible_password: pw
      ansible_become: true
      ansible_become_user: postgres
      ansible_become_pass: sudo-pw
`,
      'web1',
    );
    expect(c.become).toEqual({ enabled: true, user: 'postgres' });
    expect(c.transport).toEqual({
      kind: 'ssh',
      name: 'web1',
      host: '10.0.0.8',
      port: 2200,
      user: 'ubuntu',
      privateKeyPath: join(homedir(), '.ssh/aws.pem'),
      password: 'pw',
      becomePassword: 'sudo-pw',
    });
    expect(
      connectionOf('all:\n  hosts:\n    h:\n      ansible_become_password: x\n', 'h').transport,
    ).toMatchObject({
      becomePassword: 'x',
    });
  });

  it('lets the stronger definition win whatever its spelling; Bosun name on a tie', () => {
    const yaml = `all:
  vars:
    bosun_user: from-all
  children:
    web:
      vars:
        ansible_user: from-web
        ansible_port: 2201
        bosun_port: 2202
      hosts:
        web1:
`;
    expect(connectionOf(yaml, 'web1').transport).toMatchObject({ user: 'from-web', port: 2202 });
    const reversed = 'all:\n  hosts:\n    h:\n      bosun_port: 2202\n      ansible_port: 2201\n';
    expect(connectionOf(reversed, 'h').transport).toMatchObject({ port: 2202 });
  });

  it('parses a ProxyJump string; hops inherit the host user and key', () => {
    const c = connectionOf(
      `all:
  vars:
    bosun_user: ops
    bosun_private_key_file: id_ops
    bosun_private_key_passphrase: secret
    bosun_bastions: "jump1.example.com:2222,admin@jump2"
  hosts:
    web1:
`,
      'web1',
    );
    expect(c.transport).toMatchObject({
      bastions: [
        {
          host: 'jump1.example.com',
          port: 2222,
          user: 'ops',
          privateKeyPath: '/srv/inv/id_ops',
          passphrase: 'secret',
        },
        { host: 'jump2', user: 'admin', privateKeyPath: '/srv/inv/id_ops', passphrase: 'secret' },
      ],
    });
  });

  it('takes a list of hops as strings or mappings; a hop with its own key keeps it', () => {
    const c = connectionOf(
      `all:
  vars:
    bosun_user: ops
    bosun_private_key_file: /keys/host
    bosun_bastions:
      - { host: 127.0.0.1, port: 40123 }
      - "inner@bastion2"
      - host: bastion3
        user: b3
        private_key_file: keys/b3
        private_key_passphrase: b3-pass
        password: b3-pw
  hosts:
    web1:
`,
      'web1',
    );
    expect(c.transport).toMatchObject({
      bastions: [
        { host: '127.0.0.1', port: 40123, user: 'ops', privateKeyPath: '/keys/host' },
        { host: 'bastion2', user: 'inner', privateKeyPath: '/keys/host' },
        {
          host: 'bastion3',
          user: 'b3',
          privateKeyPath: '/srv/inv/keys/b3',
          passphrase: 'b3-pass',
          password: 'b3-pw',
        },
      ],
    });
  });

  it('an empty bastion list or "none" means a direct connection', () => {
    expect(
      connectionOf('all:\n  hosts:\n    h:\n      bosun_bastions: []\n', 'h').transport,
    ).not.toHaveProperty('bastions');
    expect(
      connectionOf('all:\n  hosts:\n    h:\n      bosun_bastions: none\n', 'h').transport,
    ).not.toHaveProperty('bastions');
  });

  it('resolves relative paths against the folder of the inventory file the value is in', () => {
    const inventory = parseInventory(
      'all:\n  hosts:\n    h:\n      bosun_private_key_file: ../k\n',
      'x.yml',
      '/a/b',
    );
    expect(hostConnection('h', inventory.varsOf('h')).transport).toMatchObject({ privateKeyPath: '/a/k' });
  });

  it('maps local and docker connections', () => {
    expect(connectionOf('all:\n  hosts:\n    h:\n      bosun_connection: local\n', 'h').transport).toEqual({
      kind: 'local',
      name: 'h',
    });
    expect(
      connectionOf(
        'all:\n  hosts:\n    h:\n      ansible_connection: docker\n      bosun_host: c123\n      bosun_user: app\n',
        'h',
      ).transport,
    ).toEqual({ kind: 'docker', name: 'h', container: 'c123', user: 'app' });
    expect(
      connectionOf('all:\n  hosts:\n    box:\n      bosun_connection: docker\n', 'box').transport,
    ).toEqual({
      kind: 'docker',
      name: 'box',
      container: 'box',
    });
  });

  it('lets the command line override become and set run-wide options', () => {
    const accepted = () => {};
    const c = connectionOf(
      'all:\n  hosts:\n    h:\n      bosun_become: false\n      bosun_become_user: app\n',
      'h',
      {
        become: true,
        becomeUser: 'root',
        becomePassword: 'cli-pw',
        trustNewHostKeys: true,
        onHostKeyAccepted: accepted,
        connectTimeout: 5000,
        commandTimeout: 7000,
      },
    );
    expect(c.become).toEqual({ enabled: true, user: 'root' });
    expect(c.transport).toEqual({
      kind: 'ssh',
      name: 'h',
      host: 'h',
      becomePassword: 'cli-pw',
      trustNewHostKeys: true,
      onHostKeyAccepted: accepted,
      connectTimeout: 5000,
      commandTimeout: 7000,
    });
  });

  it('sets the SSH keep-alives from the inventory (seconds), the command line winning', () => {
    const inventory = `all:
  vars:
    bosun_keepalive_interval: 1.5
    bosun_keepalive_count: "2"
  hosts:
    h:
`;
    expect(connectionOf(inventory, 'h').transport).toMatchObject({
      keepaliveInterval: 1500,
      keepaliveCountMax: 2,
    });
    expect(
      connectionOf(inventory, 'h', { keepaliveInterval: 500, keepaliveCountMax: 4 }).transport,
    ).toMatchObject({ keepaliveInterval: 500, keepaliveCountMax: 4 });
    // Unset: the transport's defaults (15 s, 3) apply.
    expect(connectionOf('all:\n  hosts:\n    h:\n', 'h').transport).not.toHaveProperty('keepaliveInterval');
  });

  it('works on plain variables too', () => {
    const c = hostConnection('h', plainHostVars({ bosun_port: 2022, bosun_private_key_file: 'k' }, '/base'));
    expect(c.transport).toMatchObject({ port: 2022, privateKeyPath: '/base/k' });
  });
});

describe('connection variable errors', () => {
  const cases: [string, string, string][] = [
    [
      'bad port',
      'bosun_port: ssh',
      'inv.yml:4:7: host h: bosun_port must be a port number (1-65535), got "ssh"',
    ],
    [
      'port out of range',
      'ansible_port: 70000',
      'inv.yml:4:7: host h: ansible_port must be a port number (1-65535), got 70000',
    ],
    [
      'unknown connection',
      'bosun_connection: winrm',
      'inv.yml:4:7: host h: bosun_connection must be one of ssh, local, docker, got "winrm"',
    ],
    [
      'become not a boolean',
      'bosun_become: maybe',
      'inv.yml:4:7: host h: bosun_become must be true or false, got "maybe"',
    ],
    ['user a list', 'bosun_user: [a]', 'inv.yml:4:7: host h: bosun_user must be a string, got a list'],
    ['empty host', 'bosun_host: ""', 'inv.yml:4:7: host h: bosun_host must not be empty'],
    [
      'bastions a mapping',
      'bosun_bastions: {host: b}',
      'inv.yml:4:7: host h: bosun_bastions must be a ProxyJump string or a list of hops, got a mapping',
    ],
    [
      'bastion unknown key',
      'bosun_bastions: [{hostname: b}]',
      'inv.yml:4:7: host h: bosun_bastions [0] has an unknown key "hostname"; expected one of: host, port, user, private_key_file, private_key_passphrase, password',
    ],
    [
      'bastion without host',
      'bosun_bastions: [{user: b}]',
      'inv.yml:4:7: host h: bosun_bastions [0] needs a host',
    ],
    [
      'bastion bad port',
      'bosun_bastions: [{host: b, port: x}]',
      'inv.yml:4:7: host h: bosun_bastions [0].port must be a port number (1-65535), got "x"',
    ],
    [
      'bastion bad item',
      'bosun_bastions: [3]',
      'inv.yml:4:7: host h: bosun_bastions [0] must be a string "user@host:port" or a mapping, got a number',
    ],
    [
      'bad jump spec',
      'bosun_bastions: "b:99999"',
      'inv.yml:4:7: host h: bosun_bastions is not valid: invalid jump host "b:99999" in "b:99999": "99999" is not a port number',
    ],
    [
      'keep-alive interval not a number',
      'bosun_keepalive_interval: often',
      'inv.yml:4:7: host h: bosun_keepalive_interval must be a number of seconds above 0, got "often"',
    ],
    [
      'keep-alive interval zero',
      'bosun_keepalive_interval: 0',
      'inv.yml:4:7: host h: bosun_keepalive_interval must be a number of seconds above 0, got 0',
    ],
    [
      'keep-alive count a fraction',
      'bosun_keepalive_count: 1.5',
      'inv.yml:4:7: host h: bosun_keepalive_count must be a whole number of at least 1, got 1.5',
    ],
    [
      'template',
      'bosun_host: "{{ name }}.lan"',
      'inv.yml:4:7: host h: bosun_host contains a template ({{ }}); templates are not supported in connection variables yet',
    ],
  ];

  it.each(cases)('%s', (_name, line, message) => {
    const error = errorOf(() => connectionOf(`all:\n  hosts:\n    h:\n      ${line}\n`, 'h'));
    expect(error.message).toBe(message);
  });

  it('never shows a secret value in a message', () => {
    for (const line of [
      'bosun_password: [hunter2]',
      'bosun_become_password: {p: hunter2}',
      'bosun_private_key_passphrase: [hunter2]',
    ]) {
      const error = errorOf(() => connectionOf(`all:\n  hosts:\n    h:\n      ${line}\n`, 'h'));
      expect(error.message).toMatch(/must be a string, got a (list|mapping)$/);
      expect(error.message).not.toContain('hunter2');
    }
    const hop = errorOf(() =>
      connectionOf('all:\n  hosts:\n    h:\n      bosun_bastions: [{host: b, password: [hunter2]}]\n', 'h'),
    );
    expect(hop.message).not.toContain('hunter2');
  });

  it('points at the file and line of a group_vars-style definition higher up', () => {
    const error = errorOf(() =>
      connectionOf(
        'all:\n  vars:\n    bosun_port: nope\n  children:\n    web:\n      hosts:\n        h:\n',
        'h',
      ),
    );
    expect(error.message).toBe('inv.yml:3:5: host h: bosun_port must be a port number (1-65535), got "nope"');
  });
});
