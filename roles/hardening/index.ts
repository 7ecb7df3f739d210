/**
 * Role `hardening`: operating system and SSH hardening for Debian and Ubuntu, at least what
 * dev-sec.io's os_hardening and ssh_hardening roles do, every item a parameter (params.ts).
 *
 * Order matters: facts first, then the lock-out check (nothing has changed yet when it
 * refuses), then packages, kernel, accounts, PAM and audit, and SSH last. sshd_config is
 * validated with `sshd -t` before it replaces the old one, and sshd is reloaded, not restarted,
 * so the session Bosun runs on survives.
 */
import { defineRole, type TaskInput } from '../../src/model/role.js';
import { factTask, scriptTask } from '../../src/model/role-scripts.js';
import { devsecReadmeSection } from './devsec-comparison.js';
import { hardeningParams } from './params.js';
import {
  FACTS_SCRIPT,
  HOST_KEYS_SCRIPT,
  LOCKOUT_SCRIPT,
  MODPROBE_FACTS_SCRIPT,
  MODULI_SCRIPT,
  NOLOGIN_SCRIPT,
  PAM_SSHD_ACCOUNT_SCRIPT,
  PERMISSIONS_SCRIPT,
  PROC_HIDEPID_SCRIPT,
  SSH_SOCKET_SCRIPT,
  SSHD_RELOAD_SCRIPT,
  SUID_SGID_SCRIPT,
  SYSCTL_SCRIPT,
} from './scripts.js';

const HEADER = '# Managed by Bosun (role hardening): changes made here are overwritten.\n';

/** The user Bosun logs in as, when the engine tells it; the scripts fall back to SUDO_USER. */
const LOGIN_USER = '{{ default bosun_connection_user "" }}';

/** The merged sysctl set as "key = value" lines: hardening_sysctl, forwarding, IPv6, overrides. */
const SYSCTL_LINES = [
  '{{#each hardening_sysctl}}{{#unless (defined (lookup hardening_sysctl_overrides @key))}}{{ @key }} = {{ this }}\n{{/unless}}{{/each}}',
  '{{#unless (defined (lookup hardening_sysctl_overrides "net.ipv4.ip_forward"))}}net.ipv4.ip_forward = {{#if hardening_ip_forwarding}}1{{else}}0{{/if}}\n{{/unless}}',
  '{{#unless (defined (lookup hardening_sysctl_overrides "net.ipv6.conf.all.forwarding"))}}net.ipv6.conf.all.forwarding = {{#if hardening_ip_forwarding}}1{{else}}0{{/if}}\n{{/unless}}',
  '{{#if hardening_disable_ipv6}}net.ipv6.conf.all.disable_ipv6 = 1\nnet.ipv6.conf.default.disable_ipv6 = 1\n{{/if}}',
  '{{#each hardening_sysctl_overrides}}{{#if (ne this null)}}{{ @key }} = {{ this }}\n{{/if}}{{/each}}',
].join('');

const tasks: TaskInput[] = [
  // ------------------------------------------------------------------ facts and safety
  factTask('find the OpenSSH version and whether this is a container', FACTS_SCRIPT, 'hardening_facts'),
  {
    name: 'remember the host facts',
    set_fact: {
      hardening_openssh_version: '{{ int (lookup hardening_facts.stdout_lines 0) }}',
      hardening_in_container: '{{ eq (lookup hardening_facts.stdout_lines 1) "yes" }}',
      hardening_ssh_debian_banner: '{{ eq (lookup hardening_facts.stdout_lines 2) "yes" }}',
      hardening_systemd: '{{ eq (lookup hardening_facts.stdout_lines 3) "yes" }}',
    },
  },
  factTask('check that the SSH settings keep the connecting user in', LOCKOUT_SCRIPT, 'hardening_lockout', {
    environment: {
      LOGIN_USER,
      ALLOW_USERS: '{{ join hardening_ssh_allow_users " " }}',
      ALLOW_GROUPS: '{{ join hardening_ssh_allow_groups " " }}',
      DENY_USERS: '{{ join hardening_ssh_deny_users " " }}',
      DENY_GROUPS: '{{ join hardening_ssh_deny_groups " " }}',
      PERMIT_ROOT: '{{ hardening_ssh_permit_root_login }}',
      PASSWORD_AUTH: '{{ hardening_ssh_password_authentication }}',
      USES_PASSWORD:
        '{{ or (defined bosun_password) (defined ansible_password) (defined ansible_ssh_pass) (defined ansible_ssh_password) }}',
    },
    // Only a run that logs in over SSH can be locked out: inside a Packer build or a
    // container (local, docker) Bosun uses no sshd at all.
    when: 'and hardening_ssh_enabled (eq bosun_connection_kind "ssh")',
  }),
  {
    name: 'refuse SSH settings that would lock the connecting user out',
    fail: { msg: 'refusing to harden sshd, nothing was changed: {{ hardening_lockout.stdout }}' },
    when: 'and hardening_ssh_enabled (eq bosun_connection_kind "ssh") (ne hardening_lockout.stdout "")',
  },

  // ------------------------------------------------------------------ packages
  {
    name: 'purge insecure packages',
    apt: { name: '{{ hardening_packages_remove }}', state: 'absent', purge: true },
    when: 'and hardening_packages_clean (length hardening_packages_remove)',
  },
  {
    name: 'install the password quality module',
    apt: { name: ['libpam-pwquality'], state: 'present', update_cache: true, cache_valid_time: 3600 },
    when: 'and hardening_pam_enabled hardening_pwquality_enabled',
  },
  {
    name: 'install auditd',
    apt: { name: ['auditd'], state: 'present', update_cache: true, cache_valid_time: 3600 },
    when: 'hardening_auditd_enabled',
  },
  {
    name: 'install security tools',
    apt: {
      name: '{{ hardening_packages_install }}',
      state: 'present',
      update_cache: true,
      cache_valid_time: 3600,
    },
    when: 'length hardening_packages_install',
  },

  // ------------------------------------------------------------------ kernel
  {
    name: 'compute the sysctl settings',
    set_fact: { hardening_sysctl_lines: SYSCTL_LINES },
    when: 'hardening_sysctl_enabled',
  },
  {
    name: 'write the sysctl drop-in file',
    copy: {
      content: `${HEADER}# Applied at boot by systemd-sysctl.\n{{ hardening_sysctl_lines }}`,
      dest: '{{ hardening_sysctl_file }}',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'hardening_sysctl_enabled',
  },
  scriptTask(
    'apply the sysctl settings to the running kernel where it is this host own',
    SYSCTL_SCRIPT,
    'hardening_sysctl_applied',
    { SYSCTL_LINES: '{{ hardening_sysctl_lines }}', IN_CONTAINER: '{{ hardening_in_container }}' },
    { when: 'hardening_sysctl_enabled' },
  ),
  {
    name: 'sysctl values not applied to the running kernel',
    debug: { msg: '{{ hardening_sysctl_applied.stdout }}' },
    when: 'and hardening_sysctl_enabled hardening_in_container (ne hardening_sysctl_applied.stdout "")',
  },
  factTask(
    'find the kernel modules that can be disabled',
    MODPROBE_FACTS_SCRIPT,
    'hardening_modprobe_facts',
    {
      environment: {
        CANDIDATES:
          '{{ join hardening_disabled_filesystems " " }} {{ join hardening_disabled_protocols " " }} {{ join hardening_disabled_drivers " " }}',
        WHITELIST: '{{ join hardening_modules_whitelist " " }}',
      },
      when: 'hardening_modprobe_enabled',
    },
  ),
  {
    name: 'create /etc/modprobe.d',
    file: { path: '/etc/modprobe.d', state: 'directory', owner: 'root', group: 'root', mode: '0755' },
    when: 'hardening_modprobe_enabled',
  },
  {
    name: 'disable unused filesystems, protocols and drivers',
    template: {
      src: 'templates/modprobe.conf.hbs',
      dest: '/etc/modprobe.d/bosun-hardening.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'hardening_modprobe_enabled',
  },

  // ------------------------------------------------------------------ login.defs, limits, profile
  {
    name: 'write /etc/login.defs',
    template: {
      src: 'templates/login.defs.hbs',
      dest: '/etc/login.defs',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'hardening_login_defs_enabled',
  },
  {
    name: 'disable core dumps (limits)',
    copy: {
      content: `${HEADER}* hard core 0\n* soft core 0\n`,
      dest: '/etc/security/limits.d/10-bosun-hardening.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'hardening_core_dumps_disabled',
  },
  {
    name: 'create /etc/systemd/coredump.conf.d',
    file: {
      path: '/etc/systemd/coredump.conf.d',
      state: 'directory',
      owner: 'root',
      group: 'root',
      mode: '0755',
    },
    when: 'and hardening_core_dumps_disabled hardening_systemd',
  },
  {
    name: 'disable core dumps (systemd-coredump)',
    copy: {
      content: `${HEADER}[Coredump]\nStorage=none\nProcessSizeMax=0\n`,
      dest: '/etc/systemd/coredump.conf.d/bosun-hardening.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_core_dumps_disabled hardening_systemd',
  },
  {
    name: 'login shells: umask, core dumps and idle timeout',
    template: {
      src: 'templates/profile.sh.hbs',
      dest: '/etc/profile.d/bosun-hardening.sh',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
  },

  // ------------------------------------------------------------------ files and accounts
  scriptTask(
    'remove SUID/SGID bits from dangerous programs',
    SUID_SGID_SCRIPT,
    'hardening_suid_sgid',
    {
      BLACKLIST: '{{ join hardening_suid_sgid_blacklist "\n" }}',
      WHITELIST: '{{ join hardening_suid_sgid_whitelist "\n" }}',
      REMOVE_UNKNOWN: '{{ hardening_suid_sgid_remove_unknown }}',
    },
    { when: 'hardening_suid_sgid_enabled' },
  ),
  scriptTask(
    'enforce owners and modes of system files, remove .rhosts, .netrc and hosts.equiv',
    PERMISSIONS_SCRIPT,
    'hardening_permissions',
    {
      PERMISSIONS:
        '{{#each hardening_file_permissions}}{{ this.path }} {{ this.owner }} {{ this.group }} {{ this.mode }}\n{{/each}}',
      SYSTEM_PATHS: '{{ join hardening_system_paths " " }}',
      HOME_MODE: '{{ hardening_home_dirs_mode }}',
      RESTRICT_SU: '{{ hardening_restrict_su }}',
    },
    { when: 'hardening_permissions_enabled' },
  ),
  {
    name: 'hide the processes of other users (/proc hidepid, in /etc/fstab)',
    lineinfile: {
      path: '/etc/fstab',
      regexp: '^\\s*proc\\s+/proc\\s',
      line: 'proc /proc proc defaults,nosuid,nodev,noexec,relatime,hidepid={{ hardening_proc_hidepid }} 0 0',
      create: true,
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'gt hardening_proc_hidepid 0',
  },
  scriptTask(
    'remount /proc with hidepid',
    PROC_HIDEPID_SCRIPT,
    'hardening_proc_remount',
    { HIDEPID: '{{ hardening_proc_hidepid }}', IN_CONTAINER: '{{ hardening_in_container }}' },
    { when: 'gt hardening_proc_hidepid 0' },
  ),
  scriptTask(
    'give system accounts the nologin shell and a locked password',
    NOLOGIN_SCRIPT,
    'hardening_nologin',
    {
      UID_MIN: '{{ hardening_uid_min }}',
      EXCEPTIONS: '{{ join hardening_nologin_exceptions " " }}',
      LOGIN_USER,
    },
    { when: 'hardening_system_accounts_nologin' },
  ),

  // ------------------------------------------------------------------ PAM
  {
    name: 'create /etc/security/pwquality.conf.d',
    file: {
      path: '/etc/security/pwquality.conf.d',
      state: 'directory',
      owner: 'root',
      group: 'root',
      mode: '0755',
    },
    when: 'and hardening_pam_enabled hardening_pwquality_enabled',
  },
  {
    name: 'password quality rules',
    template: {
      src: 'templates/pwquality.conf.hbs',
      dest: '/etc/security/pwquality.conf.d/bosun-hardening.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_pam_enabled hardening_pwquality_enabled',
  },
  {
    name: 'failed-login lockout settings',
    template: {
      src: 'templates/faillock.conf.hbs',
      dest: '/etc/security/faillock.conf',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_pam_enabled (gt hardening_login_retries 0)',
  },
  {
    name: 'PAM profile: faillock before and after the password check',
    template: {
      src: 'templates/pam-faillock.hbs',
      dest: '/usr/share/pam-configs/bosun-faillock',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_pam_enabled (gt hardening_login_retries 0)',
    notify: 'update the PAM configuration',
  },
  {
    name: 'PAM profile: count failed logins',
    template: {
      src: 'templates/pam-faillock-authfail.hbs',
      dest: '/usr/share/pam-configs/bosun-faillock-authfail',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_pam_enabled (gt hardening_login_retries 0)',
    notify: 'update the PAM configuration',
  },
  {
    name: 'remove the faillock PAM profiles when lockout is off',
    file: { path: '{{ item }}', state: 'absent' },
    loop: ['/usr/share/pam-configs/bosun-faillock', '/usr/share/pam-configs/bosun-faillock-authfail'],
    when: 'or (not hardening_pam_enabled) (eq hardening_login_retries 0)',
    notify: 'update the PAM configuration',
  },
  { name: 'apply the PAM profiles now', meta: 'flush_handlers' },
  scriptTask(
    'let SSH key logins work after the password expired',
    PAM_SSHD_ACCOUNT_SCRIPT,
    'hardening_pam_sshd',
    { ENABLED: '{{ and hardening_pam_enabled hardening_key_login_after_password_expiry }}' },
  ),

  // ------------------------------------------------------------------ auditd
  {
    name: 'auditd settings',
    template: {
      src: 'templates/auditd.conf.hbs',
      dest: '/etc/audit/auditd.conf',
      owner: 'root',
      group: 'root',
      mode: '0640',
    },
    when: 'hardening_auditd_enabled',
    notify: 'reload auditd',
  },
  {
    name: 'audit rules',
    template: {
      src: 'templates/audit.rules.hbs',
      dest: '/etc/audit/rules.d/90-bosun-hardening.rules',
      owner: 'root',
      group: 'root',
      mode: '0640',
    },
    when: 'hardening_auditd_enabled',
    notify: 'load the audit rules',
  },
  {
    name: 'run auditd',
    service: { name: 'auditd', enabled: true, state: 'started' },
    when: 'and hardening_auditd_enabled hardening_systemd (not hardening_in_container)',
  },
  {
    name: 'auditd cannot run in a container',
    debug: {
      msg: 'auditd is installed and configured but not started: a container cannot use the kernel audit system; it starts on a real host',
    },
    when: 'and hardening_auditd_enabled hardening_in_container',
  },

  // ------------------------------------------------------------------ banner
  {
    name: 'legal notice before local and network logins',
    copy: {
      content: '{{ hardening_banner }}',
      dest: '{{ item }}',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    loop: ['/etc/issue', '/etc/issue.net'],
    when: 'ne hardening_banner ""',
  },

  // ------------------------------------------------------------------ SSH
  scriptTask(
    'SSH host keys: generate missing ones, replace a small RSA key',
    HOST_KEYS_SCRIPT,
    'hardening_host_keys',
    {
      TYPES: '{{ join hardening_ssh_host_key_types " " }}',
      RSA_BITS: '{{ hardening_ssh_rsa_host_key_bits }}',
    },
    { when: 'hardening_ssh_enabled', notify: 'reload sshd' },
  ),
  scriptTask(
    'remove small Diffie-Hellman moduli',
    MODULI_SCRIPT,
    'hardening_moduli',
    { MIN_BITS: '{{ hardening_ssh_moduli_min_bits }}' },
    { when: 'hardening_ssh_enabled', notify: 'reload sshd' },
  ),
  {
    name: 'revoked SSH keys',
    copy: {
      content: `{{#each hardening_ssh_revoked_keys}}{{ this }}\n{{/each}}`,
      dest: '/etc/ssh/revoked_keys',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'hardening_ssh_enabled',
    notify: 'reload sshd',
  },
  {
    name: 'write sshd_config (checked with sshd -t before it replaces the old one)',
    template: {
      src: 'templates/sshd_config.hbs',
      dest: '/etc/ssh/sshd_config',
      owner: 'root',
      group: 'root',
      mode: '0600',
      validate: '/usr/sbin/sshd -t -f %s',
    },
    when: 'hardening_ssh_enabled',
    notify: 'reload sshd',
  },
  scriptTask(
    'start sshd as a service, not from ssh.socket',
    SSH_SOCKET_SCRIPT,
    'hardening_ssh_socket',
    {},
    { when: 'hardening_ssh_enabled', notify: 'reload sshd' },
  ),
  {
    name: 'write the SSH client defaults',
    template: {
      src: 'templates/ssh_config.hbs',
      dest: '/etc/ssh/ssh_config',
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    when: 'and hardening_ssh_enabled hardening_ssh_client_enabled',
  },
];

const handlers: TaskInput[] = [
  {
    name: 'update the PAM configuration',
    command: { cmd: 'pam-auth-update --package' },
    environment: { DEBIAN_FRONTEND: 'noninteractive' },
  },
  {
    name: 'reload auditd',
    command: { cmd: 'systemctl reload auditd' },
    when: 'and hardening_systemd (not hardening_in_container)',
  },
  {
    name: 'load the audit rules',
    command: { cmd: 'augenrules --load' },
    when: 'not hardening_in_container',
  },
  { name: 'reload sshd', shell: { cmd: SSHD_RELOAD_SCRIPT } },
];

export default defineRole({
  name: 'hardening',
  description:
    'Operating system and SSH hardening for Debian and Ubuntu (dev-sec.io os_hardening and ssh_hardening, and more): sysctl, login.defs, core dumps, kernel modules, insecure packages, SUID/SGID bits, permissions, PAM, auditd and a hardened sshd. Every item is a parameter.',
  schema: hardeningParams,
  tasks,
  handlers,
  readme: [devsecReadmeSection()],
});
