import { describe, expect, it } from 'vitest';
import { canonicalKey, normalizeValue, parseSysctl, procPath } from '../../../src/facts/sysctl.js';
import { describeRecorded } from './recorded.js';

describeRecorded('sysctl', 'parseSysctl on recorded output', (result, f) =>
  parseSysctl(result, f.key as string, f.file as string),
);

describe('sysctl key names', () => {
  it.each([
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward', '/proc/sys/net/ipv4/ip_forward'],
    ['net/ipv4/ip_forward', 'net.ipv4.ip_forward', '/proc/sys/net/ipv4/ip_forward'],
    // A VLAN interface name holds a dot: the path form keeps it, the dotted form writes it as "/".
    [
      'net/ipv4/conf/eth0.100/forwarding',
      'net.ipv4.conf.eth0/100.forwarding',
      '/proc/sys/net/ipv4/conf/eth0.100/forwarding',
    ],
    [
      'net.ipv4.conf.eth0/100.forwarding',
      'net.ipv4.conf.eth0/100.forwarding',
      '/proc/sys/net/ipv4/conf/eth0.100/forwarding',
    ],
    ['vm', 'vm', '/proc/sys/vm'],
  ])('%s is %s at %s', (name, key, path) => {
    expect(canonicalKey(name)).toBe(key);
    expect(procPath(name)).toBe(path);
  });

  it('compares values with runs of whitespace as one space', () => {
    expect(normalizeValue(' 32768\t60999 \n')).toBe('32768 60999');
    expect(normalizeValue('')).toBe('');
  });
});
