/**
 * What every host gets before the roles of its job: name, clock, locale, packages, security
 * upgrades, TCP keep-alive and open-file limits for IO-bound services, and the account
 * applications run as. Written for Debian and Ubuntu hosts booted by systemd.
 */
import { type Static, Type } from '@sinclair/typebox';
import { defineRole, type RoleParamIssue } from '../../src/model/role.js';

const Package = Type.String({
  pattern: '^[a-z0-9][a-z0-9+.-]+$',
  errorMessage: 'must be a Debian package name',
});
const SYSCTL_NAME = /^[a-z0-9_]+(?:[./][A-Za-z0-9_-]+)+$/;

export const BaseParams = Type.Object(
  {
    base_hostname: Type.String({
      default: '{{ inventory_hostname }}',
      description:
        'Host name (/etc/hostname and the running name), letters, digits, "-" and dots; "" leaves it alone.',
    }),
    base_timezone: Type.String({
      default: 'Etc/UTC',
      pattern: '^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*$',
      errorMessage: 'must be a zone name such as "Europe/Paris" (a file of /usr/share/zoneinfo)',
      description: 'A zone of /usr/share/zoneinfo, such as Europe/Paris.',
    }),
    base_locale: Type.String({
      default: 'C.UTF-8',
      pattern: '^[A-Za-z0-9_.@-]+$',
      errorMessage: 'must be a locale name such as "en_US.UTF-8"',
      description: 'LANG of the system. Others than C.UTF-8, C and POSIX are generated (package locales).',
    }),
    base_locale_charset: Type.String({
      default: 'UTF-8',
      pattern: '^[A-Za-z0-9_-]+$',
      errorMessage: 'must be a character set name such as "UTF-8"',
      description: 'Character set of base_locale, as /etc/locale.gen writes it.',
    }),
    base_ntp: Type.Union([Type.Literal('timesyncd'), Type.Literal('chrony'), Type.Literal('none')], {
      default: 'timesyncd',
      description:
        'Time synchronisation: systemd-timesyncd, chrony (the other is removed), or none. Containers share the kernel clock: the service is enabled but not started there.',
    }),
    base_ntp_servers: Type.Array(
      Type.String({ pattern: '^[A-Za-z0-9.:-]+$', errorMessage: 'must be a host name or an IP address' }),
      {
        minItems: 1,
        default: ['0.debian.pool.ntp.org', '1.debian.pool.ntp.org', '2.debian.pool.ntp.org'],
        description: 'NTP servers (on AWS: 169.254.169.123).',
      },
    ),
    base_packages: Type.Array(Package, {
      default: ['ca-certificates', 'curl', 'less', 'tzdata'],
      description: 'Packages installed on every host.',
    }),
    base_packages_absent: Type.Array(Package, {
      default: ['telnet', 'rsh-client'],
      description: 'Packages removed from every host.',
    }),
    base_apt_cache_valid_time: Type.Integer({
      minimum: 0,
      default: 3600,
      description: 'Seconds the apt package lists stay fresh before an install refreshes them.',
    }),
    base_unattended_upgrades: Type.Boolean({
      default: true,
      description: 'Install security upgrades every day (unattended-upgrades); false keeps it switched off.',
    }),
    base_tcp_keepalive_time: Type.Integer({
      minimum: 1,
      maximum: 32767,
      default: 60,
      description:
        'Seconds a connection is idle before the first keep-alive probe (net.ipv4.tcp_keepalive_time).',
    }),
    base_tcp_keepalive_intvl: Type.Integer({
      minimum: 1,
      maximum: 32767,
      default: 10,
      description: 'Seconds between probes (net.ipv4.tcp_keepalive_intvl).',
    }),
    base_tcp_keepalive_probes: Type.Integer({
      minimum: 1,
      maximum: 127,
      default: 6,
      description:
        'Unanswered probes before the connection is dropped (net.ipv4.tcp_keepalive_probes): with the defaults a dead peer is noticed after 2 minutes instead of 2 hours.',
    }),
    base_sysctl: Type.Record(
      Type.String(),
      Type.Union([
        Type.String({ pattern: '^[^\\r\\n]*$', errorMessage: 'must be one line of text' }),
        Type.Integer(),
      ]),
      {
        default: {},
        description: 'More kernel settings, name: value, written beside the keep-alive ones.',
      },
    ),
    base_nofile_limit: Type.Integer({
      minimum: 1024,
      maximum: 1048576,
      default: 65536,
      description:
        'Open files per process (soft and hard), for logins (limits.d) and for systemd services (DefaultLimitNOFILE).',
    }),
    base_service_user: Type.String({
      default: 'app',
      pattern: '^(?:$|[a-z_][a-z0-9_-]{0,31})$',
      errorMessage:
        'must be a login (lower-case letters, digits, "_" and "-", not starting with a digit) or ""',
      description: 'System account applications run as (same-named group, no login shell); "" for none.',
    }),
    base_service_home: Type.String({
      default: '/srv/app',
      pattern: '^/[^\\s:]*$',
      errorMessage: 'must be an absolute path',
      description: 'Home of the service account.',
    }),
  },
  { additionalProperties: false },
);
export type BaseParams = Static<typeof BaseParams>;

/** Names of base_sysctl are kernel settings (a schema cannot say what keys look like). */
export function checkBase(params: Partial<BaseParams>): RoleParamIssue[] {
  return Object.keys(params.base_sysctl ?? {})
    .filter((name) => !SYSCTL_NAME.test(name))
    .map((name) => ({
      path: ['base_sysctl', name],
      target: 'key' as const,
      message: `"${name}" is not a kernel setting name (such as "vm.swappiness" or "net/ipv4/ip_forward")`,
    }));
}

const GENERATED_LOCALE = 'and (ne base_locale "C.UTF-8") (ne base_locale "C") (ne base_locale "POSIX")';
// Every install refreshes stale package lists itself, so each task also works alone (and in check mode).
const APT_CACHE = { update_cache: true, cache_valid_time: '{{ base_apt_cache_valid_time }}' };
// Drop-ins in folders that may not exist yet are blocks (blockinfile creates the folder, so
// check mode on a fresh host predicts them instead of failing on the missing folder).
const MARKER = '# {mark} MANAGED BY BOSUN (role base)';
const HEADER = '# Managed by bosun (role base): changes here are overwritten.\n';

export default defineRole({
  name: 'base',
  description: [
    'The common ground of every host: host name from the inventory, time zone and locale, time',
    'synchronisation (systemd-timesyncd or chrony), packages to install and to remove, daily',
    'unattended security upgrades, TCP keep-alive tuning so that broken connections drop within',
    'minutes, raised open-file limits for IO-bound services (limits.d and systemd), and a system',
    'account for applications. For Debian/Ubuntu hosts booted by systemd.',
  ].join('\n'),
  schema: BaseParams,
  check: (params) => checkBase(params as Partial<BaseParams>),
  tasks: [
    // Packages first: later tasks use what they bring (tzdata, locales, the NTP daemon).
    {
      name: 'packages removed',
      apt: { name: '{{ base_packages_absent }}', state: 'absent' },
      when: 'length base_packages_absent',
    },
    {
      name: 'packages installed',
      apt: { name: '{{ base_packages }}', state: 'present', ...APT_CACHE },
      when: 'length base_packages',
    },

    // Host name: the file, and the running name when it differs.
    {
      name: 'running host name read',
      command: { argv: ['hostname'] },
      register: 'base_running_hostname',
      changed_when: false,
      check_mode: false,
      when: 'ne base_hostname ""',
    },
    {
      name: 'running host name set',
      command: { argv: ['hostname', '{{ base_hostname }}'] },
      when: ['ne base_hostname ""', 'ne base_running_hostname.stdout base_hostname'],
    },

    {
      name: 'host name file',
      copy: {
        content: '{{ base_hostname }}\n',
        dest: '/etc/hostname',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
      when: 'ne base_hostname ""',
    },
    // Time zone: /etc/localtime points into zoneinfo (an unknown zone fails there), /etc/timezone names it.
    {
      name: 'time zone',
      file: { path: '/etc/localtime', src: '/usr/share/zoneinfo/{{ base_timezone }}', state: 'link' },
    },
    {
      name: 'time zone named',
      copy: {
        content: '{{ base_timezone }}\n',
        dest: '/etc/timezone',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
    },

    // Locale.
    {
      name: 'locales package',
      apt: { name: 'locales', state: 'present', ...APT_CACHE },
      when: GENERATED_LOCALE,
    },
    {
      name: 'locale enabled in /etc/locale.gen',
      lineinfile: {
        path: '/etc/locale.gen',
        regexp: '^#?\\s*{{ base_locale }}\\s',
        line: '{{ base_locale }} {{ base_locale_charset }}',
        create: true,
      },
      when: GENERATED_LOCALE,
      notify: 'generate locales',
    },
    {
      name: 'system locale',
      copy: {
        content: 'LANG={{ base_locale }}\n',
        dest: '/etc/default/locale',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
    },

    // Time synchronisation.
    {
      name: 'container detected',
      command: { argv: ['systemd-detect-virt', '--container'] },
      register: 'base_container',
      changed_when: false,
      failed_when: false,
      check_mode: false,
      when: 'ne base_ntp "none"',
    },
    {
      name: 'chrony removed (timesyncd chosen)',
      apt: { name: 'chrony', state: 'absent' },
      when: 'eq base_ntp "timesyncd"',
    },
    {
      name: 'timesyncd installed',
      apt: { name: 'systemd-timesyncd', state: 'present', ...APT_CACHE },
      register: 'base_ntp_package',
      when: 'eq base_ntp "timesyncd"',
    },
    {
      name: 'timesyncd servers',
      blockinfile: {
        path: '/etc/systemd/timesyncd.conf.d/bosun.conf',
        block: '[Time]\nNTP={{ join base_ntp_servers " " }}',
        marker: MARKER,
        create: true,
        mode: '0644',
      },
      when: 'eq base_ntp "timesyncd"',
      notify: 'restart timesyncd',
    },
    {
      name: 'timesyncd enabled',
      systemd: { name: 'systemd-timesyncd', enabled: true },
      when: 'eq base_ntp "timesyncd"',
    },
    {
      name: 'timesyncd running',
      systemd: { name: 'systemd-timesyncd', state: 'started' },
      when: ['eq base_ntp "timesyncd"', 'ne base_container.rc 0'],
    },
    {
      name: 'timesyncd removed (chrony chosen)',
      apt: { name: 'systemd-timesyncd', state: 'absent' },
      when: 'eq base_ntp "chrony"',
    },
    {
      name: 'chrony installed',
      apt: { name: 'chrony', state: 'present', ...APT_CACHE },
      register: 'base_ntp_package',
      when: 'eq base_ntp "chrony"',
    },
    {
      name: 'chrony servers',
      blockinfile: {
        path: '/etc/chrony/sources.d/bosun.sources',
        block: '{{#each base_ntp_servers}}server {{ this }} iburst{{#unless @last}}\n{{/unless}}{{/each}}',
        marker: MARKER,
        create: true,
        mode: '0644',
      },
      when: 'eq base_ntp "chrony"',
      notify: 'reload chrony sources',
    },
    {
      name: 'chrony enabled',
      systemd: { name: 'chrony', enabled: true },
      when: 'eq base_ntp "chrony"',
    },
    {
      name: 'chrony running',
      systemd: { name: 'chrony', state: 'started' },
      when: ['eq base_ntp "chrony"', 'ne base_container.rc 0'],
    },

    // Unattended security upgrades (Debian's default origins: the security archive).
    {
      name: 'unattended-upgrades installed',
      apt: { name: 'unattended-upgrades', state: 'present', ...APT_CACHE },
      when: 'base_unattended_upgrades',
    },
    {
      name: 'unattended upgrades switched on or off',
      copy: {
        content: `${HEADER}APT::Periodic::Update-Package-Lists "{{#if base_unattended_upgrades}}1{{else}}0{{/if}}";\nAPT::Periodic::Unattended-Upgrade "{{#if base_unattended_upgrades}}1{{else}}0{{/if}}";\n`,
        dest: '/etc/apt/apt.conf.d/20auto-upgrades',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
    },

    // TCP keep-alive and other kernel settings, in one file read at boot.
    {
      name: 'TCP keep-alive',
      sysctl: {
        name: '{{ item.name }}',
        value: '{{ item.value }}',
        sysctl_file: '/etc/sysctl.d/60-bosun-base.conf',
        state: 'present',
      },
      loop: [
        { name: 'net.ipv4.tcp_keepalive_time', value: '{{ base_tcp_keepalive_time }}' },
        { name: 'net.ipv4.tcp_keepalive_intvl', value: '{{ base_tcp_keepalive_intvl }}' },
        { name: 'net.ipv4.tcp_keepalive_probes', value: '{{ base_tcp_keepalive_probes }}' },
      ],
    },
    {
      name: 'other kernel settings',
      sysctl: {
        name: '{{ item.key }}',
        value: '{{ item.value }}',
        sysctl_file: '/etc/sysctl.d/60-bosun-base.conf',
        state: 'present',
      },
      loop: '{{ dict2items base_sysctl }}',
    },

    // Open files: PAM sessions (limits.d) and services (systemd's default for every unit).
    {
      name: 'open-file limit for sessions',
      copy: {
        content: `${HEADER}*    soft nofile {{ base_nofile_limit }}\n*    hard nofile {{ base_nofile_limit }}\nroot soft nofile {{ base_nofile_limit }}\nroot hard nofile {{ base_nofile_limit }}\n`,
        dest: '/etc/security/limits.d/60-bosun-nofile.conf',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
    },
    {
      name: 'open-file limit for services',
      blockinfile: {
        path: '/etc/systemd/system.conf.d/60-bosun-nofile.conf',
        block: '[Manager]\nDefaultLimitNOFILE={{ base_nofile_limit }}:{{ base_nofile_limit }}',
        marker: MARKER,
        create: true,
        mode: '0644',
      },
      notify: 'reload systemd manager',
    },

    // The account applications run as.
    {
      name: 'service group',
      group: { name: '{{ base_service_user }}', system: true, state: 'present' },
      when: 'ne base_service_user ""',
    },
    {
      name: 'service account',
      user: {
        name: '{{ base_service_user }}',
        group: '{{ base_service_user }}',
        system: true,
        shell: '/usr/sbin/nologin',
        home: '{{ base_service_home }}',
        create_home: true,
        comment: 'Applications (bosun role base)',
        state: 'present',
      },
      when: 'ne base_service_user ""',
    },
  ],
  handlers: [
    { name: 'generate locales', command: { argv: ['locale-gen'] } },
    {
      name: 'restart timesyncd',
      systemd: { name: 'systemd-timesyncd', state: 'restarted' },
      when: 'ne base_container.rc 0',
    },
    {
      name: 'reload chrony sources',
      command: { argv: ['chronyc', 'reload', 'sources'] },
      when: 'ne base_container.rc 0',
    },
    { name: 'reload systemd manager', command: { argv: ['systemctl', 'daemon-reexec'] } },
  ],
});
