import { describe, expect, it } from 'vitest';
import {
  knownHostsPattern,
  knownHostsText,
  type SshFileNode,
  sshConfigText,
} from '../../../src/lab/ssh-files.js';

const nodes: SshFileNode[] = [
  {
    name: 'bastion1',
    role: 'bastion',
    address: '127.0.0.1',
    port: 40123,
    hostKeys: ['ssh-ed25519 AAAA1', 'ssh-rsa BBBB1'],
  },
  { name: 'bastion2', role: 'bastion', address: 'bastion2', port: 22, hostKeys: ['ssh-ed25519 AAAA2'] },
  { name: 'host1', role: 'host', address: 'host1', port: 22, hostKeys: ['ssh-ed25519 AAAA3'] },
  { name: 'host2', role: 'host', address: 'host2', port: 22, hostKeys: ['ssh-ed25519 AAAA4'] },
];

describe('known_hosts', () => {
  it('brackets non-default ports as OpenSSH does', () => {
    expect(knownHostsPattern('127.0.0.1', 40123)).toBe('[127.0.0.1]:40123');
    expect(knownHostsPattern('host1', 22)).toBe('host1');
  });

  it('has one line per host key', () => {
    expect(knownHostsText(nodes)).toBe(
      [
        '[127.0.0.1]:40123 ssh-ed25519 AAAA1',
        '[127.0.0.1]:40123 ssh-rsa BBBB1',
        'bastion2 ssh-ed25519 AAAA2',
        'host1 ssh-ed25519 AAAA3',
        'host2 ssh-ed25519 AAAA4',
        '',
      ].join('\n'),
    );
  });
});

describe('ssh_config', () => {
  it('chains the hops with ProxyJump and checks keys strictly against the fleet file', () => {
    const text = sshConfigText({
      nodes,
      user: 'bosun',
      privateKeyPath: '/w d/id_ed25519',
      knownHostsPath: '/w d/known_hosts',
    });
    expect(text).toContain('Host bastion1\n  HostName 127.0.0.1\n  Port 40123\n\n');
    expect(text).toContain('Host bastion2\n  HostName bastion2\n  Port 22\n  ProxyJump bastion1\n');
    expect(text).toContain('Host host1 host2\n  ProxyJump bastion2\n');
    expect(text).toContain('  IdentityFile "/w d/id_ed25519"\n');
    expect(text).toContain('  UserKnownHostsFile "/w d/known_hosts"\n');
    expect(text).toContain('  StrictHostKeyChecking yes\n');
    // `Host *` must come last: the first value of an option wins in ssh_config.
    expect(text.indexOf('Host *')).toBeGreaterThan(text.indexOf('Host host1'));
  });
});
