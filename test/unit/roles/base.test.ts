import { describe, expect, it } from 'vitest';
import { checkBase } from '../../../roles/base/index.js';
import { loadWithParams, paramsError } from './role-params.js';

describe('role base: parameters', () => {
  it('has defaults for every parameter', async () => {
    const playbook = await loadWithParams('base', '{}');
    expect(playbook.plays[0]!.roles[0]!.role.defaults).toEqual({
      base_hostname: '{{ inventory_hostname }}',
      base_timezone: 'Etc/UTC',
      base_locale: 'C.UTF-8',
      base_locale_charset: 'UTF-8',
      base_ntp: 'timesyncd',
      base_ntp_servers: ['0.debian.pool.ntp.org', '1.debian.pool.ntp.org', '2.debian.pool.ntp.org'],
      base_packages: ['ca-certificates', 'curl', 'less', 'tzdata'],
      base_packages_absent: ['telnet', 'rsh-client'],
      base_apt_cache_valid_time: 3600,
      base_unattended_upgrades: true,
      base_tcp_keepalive_time: 60,
      base_tcp_keepalive_intvl: 10,
      base_tcp_keepalive_probes: 6,
      base_sysctl: {},
      base_nofile_limit: 65536,
      base_service_user: 'app',
      base_service_home: '/srv/app',
    });
  });

  it('accepts a full set of values', async () => {
    const params = [
      'base_hostname: web-1.example.com',
      'base_timezone: America/Argentina/Buenos_Aires',
      'base_locale: en_US.UTF-8',
      'base_ntp: chrony',
      'base_ntp_servers: [169.254.169.123]',
      'base_packages: [htop, g++]',
      'base_packages_absent: []',
      'base_unattended_upgrades: false',
      'base_sysctl: {vm.swappiness: 10, net/ipv4/ip_forward: "1"}',
      'base_nofile_limit: 1048576',
      'base_service_user: ""',
    ].join('\n');
    await expect(loadWithParams('base', params)).resolves.toBeDefined();
  });

  it.each([
    [
      'an NTP daemon it does not know',
      'base_ntp: ntpd',
      'playbook.yml:5:19: [0].roles[0].params.base_ntp: must be one of: "timesyncd", "chrony", "none"',
    ],
    [
      'a time zone holding shell code',
      'base_timezone: "Europe/Paris; reboot"',
      'playbook.yml:5:24: [0].roles[0].params.base_timezone: must be a zone name such as "Europe/Paris" (a file of /usr/share/zoneinfo)',
    ],
    [
      'keep-alive probes every 0 seconds',
      'base_tcp_keepalive_intvl: 0',
      'playbook.yml:5:35: [0].roles[0].params.base_tcp_keepalive_intvl: must be >= 1',
    ],
    [
      'an open-file limit below the usual default',
      'base_nofile_limit: 100',
      'playbook.yml:5:28: [0].roles[0].params.base_nofile_limit: must be >= 1024',
    ],
    [
      "an open-file limit above the kernel's nr_open",
      'base_nofile_limit: 2000000',
      'playbook.yml:5:28: [0].roles[0].params.base_nofile_limit: must be <= 1048576',
    ],
    [
      'a package name with a command in it',
      'base_packages: ["curl; reboot"]',
      'playbook.yml:5:25: [0].roles[0].params.base_packages[0]: must be a Debian package name',
    ],
    [
      'a toggle given as text',
      'base_unattended_upgrades: "yes"',
      'playbook.yml:5:35: [0].roles[0].params.base_unattended_upgrades: must be true or false, got a string',
    ],
    [
      'a kernel setting name with a space',
      'base_sysctl: {"vm swappiness": 10}',
      'playbook.yml:5:23: [0].roles[0].params.base_sysctl["vm swappiness"]: "vm swappiness" is not a kernel setting name (such as "vm.swappiness" or "net/ipv4/ip_forward")',
    ],
    [
      'a kernel setting value on two lines',
      'base_sysctl: {vm.swappiness: "10\\n20"}',
      'playbook.yml:5:38: [0].roles[0].params.base_sysctl["vm.swappiness"]: must be one line of text',
    ],
    [
      'a service account that is not a login',
      'base_service_user: App',
      'playbook.yml:5:28: [0].roles[0].params.base_service_user: must be a login (lower-case letters, digits, "_" and "-", not starting with a digit) or ""',
    ],
    [
      'no NTP server',
      'base_ntp_servers: []',
      'playbook.yml:5:27: [0].roles[0].params.base_ntp_servers: must NOT have fewer than 1 items',
    ],
    [
      'a mistyped parameter',
      'base_timezon: UTC',
      'playbook.yml:5:9: [0].roles[0].params.base_timezon: unknown parameter "base_timezon" of role "base"; did you mean "base_timezone"?',
    ],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('base', params)).toBe(message);
  });

  it('checkBase names every bad kernel setting', () => {
    expect(checkBase({ base_sysctl: { 'vm.swappiness': 1, 'a b': 2, swappiness: 3 } })).toEqual([
      {
        path: ['base_sysctl', 'a b'],
        target: 'key',
        message: '"a b" is not a kernel setting name (such as "vm.swappiness" or "net/ipv4/ip_forward")',
      },
      {
        path: ['base_sysctl', 'swappiness'],
        target: 'key',
        message:
          '"swappiness" is not a kernel setting name (such as "vm.swappiness" or "net/ipv4/ip_forward")',
      },
    ]);
  });
});
