/**
 * Parameters of the `hardening` role. Every hardening item is one parameter: a switch to turn it
 * off and values to override, each with a default and a description (the role's README is
 * generated from this schema). Names start with `hardening_` because role parameters become
 * variables of the role's tasks and must not clash with the playbook's.
 *
 * Defaults follow dev-sec.io's os_hardening and ssh_hardening roles (devsec.hardening), tightened
 * where Lynis or ssh-audit ask for more (lynis' sysctl scan profile, etm-only MACs, no ECDSA host
 * key). Every setting both manage is listed in devsec-comparison.ts with dev-sec's value, and each
 * difference with its reason; a unit test holds these defaults to that list.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Bool = (value: boolean, description: string) => Type.Boolean({ default: value, description });
const Int = (value: number, description: string, minimum = 0, maximum?: number) =>
  Type.Integer({ default: value, description, minimum, ...(maximum === undefined ? {} : { maximum }) });
const Text = (value: string, description: string, pattern?: string) =>
  Type.String({ default: value, description, ...(pattern === undefined ? {} : { pattern }) });
const List = (value: string[], description: string, item: TSchema = Type.String({ minLength: 1 })) =>
  Type.Array(item, { default: value, description });

/** A file mode as octal digits, as chmod takes it ('0600', '750'). */
const MODE = '^[0-7]{3,4}$';
/** An absolute path on one line. */
const Path = Type.String({ pattern: '^/[^\\n\\r]*$' });
/** A user or group name, or a numeric id. */
const ACCOUNT = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
/** One word of an sshd directive: no whitespace, so a value cannot start a new directive. */
const Word = Type.String({ pattern: '^\\S+$' });
/** One line of a configuration file. */
const Line = Type.String({ pattern: '^[^\\n\\r]*$' });
const SysctlValue = Type.Union([Line, Type.Number()]);
const SysctlKey = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_./-]*$' });
/** A kernel module name as modprobe takes it. */
const KernelModule = Type.String({ pattern: '^[A-Za-z0-9_-]+$' });

/** dev-sec's os_hardening sysctl set for Debian, plus the keys of lynis' scan profile (KRNL-6000). */
export const DEFAULT_SYSCTL: Record<string, string | number> = {
  // Links, FIFOs and regular files in world-writable sticky folders (/tmp races).
  'fs.protected_hardlinks': 1,
  'fs.protected_symlinks': 1,
  'fs.protected_fifos': 2,
  'fs.protected_regular': 2,
  // No core dumps of setuid programs.
  'fs.suid_dumpable': 0,
  'kernel.core_uses_pid': 1,
  // Kernel pointers and the kernel log are not for unprivileged users.
  'kernel.kptr_restrict': 2,
  'kernel.dmesg_restrict': 1,
  'kernel.kexec_load_disabled': 1,
  'kernel.sysrq': 0,
  'kernel.randomize_va_space': 2,
  // Only root may attach to another process (gdb, strace): lynis accepts 1 to 3.
  'kernel.yama.ptrace_scope': 2,
  'kernel.perf_event_paranoid': 3,
  'kernel.unprivileged_bpf_disabled': 1,
  // Unprivileged user namespaces are the way into many kernel exploits (Debian and Ubuntu
  // kernels only). Rootless containers need it: set it to 1 with hardening_sysctl_overrides.
  'kernel.unprivileged_userns_clone': 0,
  'net.core.bpf_jit_harden': 2,
  'dev.tty.ldisc_autoload': 0,
  'vm.mmap_min_addr': 65536,
  // More address-space randomisation than the kernel's default (the maximum on x86_64; arm64
  // kernels with 48-bit addresses, such as AWS Graviton ones, accept it too).
  'vm.mmap_rnd_bits': 32,
  'vm.mmap_rnd_compat_bits': 16,
  // IPv4: source validation, no redirects, no source routing, log martians, SYN cookies.
  'net.ipv4.conf.all.rp_filter': 1,
  'net.ipv4.conf.default.rp_filter': 1,
  'net.ipv4.icmp_echo_ignore_broadcasts': 1,
  'net.ipv4.icmp_ignore_bogus_error_responses': 1,
  'net.ipv4.icmp_ratelimit': 100,
  'net.ipv4.icmp_ratemask': 88089,
  'net.ipv4.tcp_syncookies': 1,
  'net.ipv4.tcp_rfc1337': 1,
  'net.ipv4.conf.all.arp_ignore': 1,
  'net.ipv4.conf.all.arp_announce': 2,
  'net.ipv4.conf.all.shared_media': 1,
  'net.ipv4.conf.default.shared_media': 1,
  'net.ipv4.conf.all.accept_source_route': 0,
  'net.ipv4.conf.default.accept_source_route': 0,
  'net.ipv4.conf.all.accept_redirects': 0,
  'net.ipv4.conf.default.accept_redirects': 0,
  'net.ipv4.conf.all.secure_redirects': 0,
  'net.ipv4.conf.default.secure_redirects': 0,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
  'net.ipv4.conf.all.log_martians': 1,
  'net.ipv4.conf.default.log_martians': 1,
  // IPv6: no redirects, no source routing, no router advertisements.
  'net.ipv6.conf.all.accept_redirects': 0,
  'net.ipv6.conf.default.accept_redirects': 0,
  'net.ipv6.conf.all.accept_source_route': 0,
  'net.ipv6.conf.default.accept_source_route': 0,
  'net.ipv6.conf.all.accept_ra': 0,
  'net.ipv6.conf.default.accept_ra': 0,
  'net.ipv6.conf.all.router_solicitations': 0,
  'net.ipv6.conf.default.router_solicitations': 0,
  'net.ipv6.conf.default.accept_ra_rtr_pref': 0,
  'net.ipv6.conf.default.accept_ra_pinfo': 0,
  'net.ipv6.conf.default.accept_ra_defrtr': 0,
  'net.ipv6.conf.all.autoconf': 0,
  'net.ipv6.conf.default.autoconf': 0,
  'net.ipv6.conf.default.dad_transmits': 0,
  'net.ipv6.conf.default.max_addresses': 1,
};

/** dev-sec's list of SUID/SGID programs that must lose the bit (NSA's list and others). */
export const DEFAULT_SUID_SGID_BLACKLIST = [
  '/usr/bin/rcp',
  '/usr/bin/rlogin',
  '/usr/bin/rsh',
  '/usr/lib/openssh/ssh-keysign',
  '/usr/libexec/openssh/ssh-keysign',
  '/sbin/netreport',
  '/usr/sbin/usernetctl',
  '/usr/sbin/userisdnctl',
  '/usr/sbin/pppd',
  '/usr/bin/lockfile',
  '/usr/bin/mail-lock',
  '/usr/bin/mail-unlock',
  '/usr/bin/mail-touchlock',
  '/usr/bin/dotlockfile',
  '/usr/bin/arping',
  '/usr/sbin/uuidd',
  '/usr/bin/mtr',
  '/usr/lib/evolution/camel-lock-helper-1.2',
  '/usr/lib/pt_chown',
  '/usr/lib/eject/dmcrypt-get-device',
  '/usr/lib/mc/cons.saver',
];

/** Programs that keep their SUID/SGID bit even in a sweep of unknown ones (dev-sec's whitelist). */
export const DEFAULT_SUID_SGID_WHITELIST = [
  '/bin/mount',
  '/usr/bin/mount',
  '/bin/umount',
  '/usr/bin/umount',
  '/bin/ping',
  '/usr/bin/ping',
  '/bin/su',
  '/usr/bin/su',
  '/sbin/unix_chkpwd',
  '/usr/sbin/unix_chkpwd',
  '/sbin/pam_timestamp_check',
  '/usr/bin/at',
  '/usr/bin/gpasswd',
  '/usr/bin/newgrp',
  '/usr/bin/passwd',
  '/usr/bin/chage',
  '/usr/bin/chfn',
  '/usr/bin/chsh',
  '/usr/bin/expiry',
  '/usr/bin/crontab',
  '/usr/bin/wall',
  '/usr/bin/write',
  '/usr/bin/write.ul',
  '/usr/bin/ssh-agent',
  '/usr/bin/sudo',
  '/usr/bin/sudoedit',
  '/usr/bin/fusermount',
  '/usr/bin/fusermount3',
  '/usr/bin/pkexec',
  '/usr/bin/screen',
  '/usr/bin/mlocate',
  '/usr/bin/locate',
  '/usr/sbin/postdrop',
  '/usr/sbin/postqueue',
  '/usr/lib/dbus-1.0/dbus-daemon-launch-helper',
  '/usr/lib/polkit-1/polkit-agent-helper-1',
  '/usr/libexec/polkit-agent-helper-1',
  '/usr/sbin/pam_extrausers_chkpwd',
  '/sbin/mount.nfs',
  '/usr/sbin/mount.nfs',
];

/** Files and folders whose owner and mode the role enforces, when they exist. */
export const DEFAULT_FILE_PERMISSIONS = [
  { path: '/etc/passwd', owner: 'root', group: 'root', mode: '0644' },
  { path: '/etc/passwd-', owner: 'root', group: 'root', mode: '0644' },
  { path: '/etc/group', owner: 'root', group: 'root', mode: '0644' },
  { path: '/etc/group-', owner: 'root', group: 'root', mode: '0644' },
  { path: '/etc/shadow', owner: 'root', group: 'shadow', mode: '0640' },
  { path: '/etc/shadow-', owner: 'root', group: 'shadow', mode: '0640' },
  { path: '/etc/gshadow', owner: 'root', group: 'shadow', mode: '0640' },
  { path: '/etc/gshadow-', owner: 'root', group: 'shadow', mode: '0640' },
  { path: '/etc/crontab', owner: 'root', group: 'root', mode: '0600' },
  { path: '/etc/cron.d', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/cron.hourly', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/cron.daily', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/cron.weekly', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/cron.monthly', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/cron.allow', owner: 'root', group: 'root', mode: '0600' },
  { path: '/etc/at.allow', owner: 'root', group: 'root', mode: '0600' },
  { path: '/boot', owner: 'root', group: 'root', mode: '0700' },
  { path: '/boot/grub/grub.cfg', owner: 'root', group: 'root', mode: '0400' },
  { path: '/root', owner: 'root', group: 'root', mode: '0700' },
  { path: '/etc/ssh/sshd_config', owner: 'root', group: 'root', mode: '0600' },
  { path: '/etc/security/opasswd', owner: 'root', group: 'root', mode: '0600' },
];

const FilePermission = Type.Object(
  {
    path: Type.String({
      pattern: '^/[^\\s]*$',
      description: 'Absolute path without spaces; skipped when it does not exist.',
    }),
    owner: Type.String({ pattern: ACCOUNT, description: 'Owner (name or uid).' }),
    group: Type.String({ pattern: ACCOUNT, description: 'Group (name or gid).' }),
    mode: Type.String({ pattern: MODE, description: 'Mode in octal; a mode without setuid removes it.' }),
  },
  { additionalProperties: false },
);

const DEFAULT_BANNER =
  'Authorized uses only. All activity on this system is monitored and recorded.\n' +
  'Unauthorized access is prohibited and will be prosecuted.\n';

const DEFAULT_AUDIT_RULES = [
  '-w /etc/passwd -p wa -k identity',
  '-w /etc/group -p wa -k identity',
  '-w /etc/shadow -p wa -k identity',
  '-w /etc/gshadow -p wa -k identity',
  '-w /etc/security/opasswd -p wa -k identity',
  '-w /etc/sudoers -p wa -k scope',
  '-w /etc/sudoers.d/ -p wa -k scope',
  '-w /var/log/sudo.log -p wa -k actions',
  '-w /etc/ssh/sshd_config -p wa -k sshd',
  '-w /etc/login.defs -p wa -k login',
  '-w /etc/pam.d/ -p wa -k pam',
  '-w /var/log/faillog -p wa -k logins',
  '-w /var/log/lastlog -p wa -k logins',
  '-w /var/run/faillock/ -p wa -k logins',
  '-w /etc/hosts -p wa -k system-locale',
  '-w /etc/hostname -p wa -k system-locale',
  '-w /etc/sysctl.conf -p wa -k sysctl',
  '-w /etc/sysctl.d/ -p wa -k sysctl',
  '-w /etc/modprobe.d/ -p wa -k modules',
  '-w /sbin/insmod -p x -k modules',
  '-w /sbin/rmmod -p x -k modules',
  '-w /sbin/modprobe -p x -k modules',
  '-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules',
  '-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change',
  '-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale',
  '-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts',
  '-a always,exit -F arch=b64 -C euid!=uid -F euid=0 -S execve -k privileged',
];

export const hardeningParams = Type.Object(
  {
    // ----------------------------------------------------------------- sysctl
    hardening_sysctl_enabled: Bool(
      true,
      'Write the kernel and network sysctl settings to a drop-in file and apply them where the kernel belongs to the host (in a container only writable net.* keys are applied; the others are reported and skipped).',
    ),
    hardening_sysctl: Type.Record(SysctlKey, SysctlValue, {
      additionalProperties: false,
      default: DEFAULT_SYSCTL,
      description:
        'The sysctl keys and values to set (dev-sec set plus lynis scan profile). Replacing it replaces the whole set: to change a few keys use hardening_sysctl_overrides.',
    }),
    hardening_sysctl_overrides: Type.Record(SysctlKey, Type.Union([SysctlValue, Type.Null()]), {
      additionalProperties: false,
      default: {},
      description:
        'Keys merged over hardening_sysctl: a value replaces or adds the key, null removes it from the set.',
    }),
    hardening_sysctl_file: Text(
      '/etc/sysctl.d/90-bosun-hardening.conf',
      'The drop-in file the sysctl settings are written to.',
      '^/.+\\.conf$',
    ),
    hardening_ip_forwarding: Bool(
      false,
      'Allow IP forwarding (routers, container and VPN hosts): sets net.ipv4.ip_forward and net.ipv6.conf.all.forwarding to 1 instead of 0.',
    ),
    hardening_disable_ipv6: Bool(
      false,
      'Disable IPv6 on every interface (net.ipv6.conf.all/default.disable_ipv6 = 1) and let sshd listen on IPv4 only.',
    ),

    // ------------------------------------------------------ login.defs, limits
    hardening_login_defs_enabled: Bool(true, 'Write /etc/login.defs from the role template.'),
    hardening_password_max_days: Int(60, 'PASS_MAX_DAYS: days a password may be used (new accounts).', 1),
    hardening_password_min_days: Int(7, 'PASS_MIN_DAYS: days before a password may be changed again.'),
    hardening_password_warn_days: Int(7, 'PASS_WARN_AGE: days of warning before a password expires.'),
    hardening_login_retries: Int(
      5,
      'Failed logins allowed: LOGIN_RETRIES, and the faillock deny count (0 turns faillock off).',
    ),
    hardening_login_timeout: Int(60, 'LOGIN_TIMEOUT: seconds to log in at a terminal.', 1),
    hardening_umask: Text(
      '027',
      'Default umask (UMASK in login.defs, and login shells through /etc/profile.d).',
      '^0?[0-7]{3}$',
    ),
    hardening_password_hash_rounds: Int(
      640000,
      'SHA_CRYPT_MIN_ROUNDS and SHA_CRYPT_MAX_ROUNDS in login.defs (ENCRYPT_METHOD is SHA512).',
      5000,
    ),
    hardening_uid_min: Int(1000, 'UID_MIN and GID_MIN: first id of regular accounts.', 1),
    hardening_uid_max: Int(60000, 'UID_MAX and GID_MAX: last id of regular accounts.', 1),
    hardening_sys_uid_min: Int(100, 'SYS_UID_MIN and SYS_GID_MIN: first id of system accounts.', 1),
    hardening_sys_uid_max: Int(999, 'SYS_UID_MAX and SYS_GID_MAX: last id of system accounts.', 1),
    hardening_core_dumps_disabled: Bool(
      true,
      'Disable core dumps: hard and soft core limit 0 (limits.d), systemd-coredump Storage=none, ulimit in login shells.',
    ),
    hardening_shell_timeout: Int(
      900,
      'Seconds after which an idle interactive shell is logged out (readonly TMOUT); 0 disables it.',
    ),

    // ---------------------------------------------------------------- modprobe
    hardening_modprobe_enabled: Bool(
      true,
      'Blacklist unused filesystems, network protocols and storage drivers in /etc/modprobe.d (modules in use, or needed such as vfat on an EFI system, are left alone).',
    ),
    hardening_disabled_filesystems: List(
      ['cramfs', 'freevxfs', 'jffs2', 'hfs', 'hfsplus', 'squashfs', 'udf', 'vfat'],
      'Filesystem modules to disable.',
      KernelModule,
    ),
    hardening_disabled_protocols: List(
      ['dccp', 'sctp', 'rds', 'tipc'],
      'Network protocol modules to disable.',
      KernelModule,
    ),
    hardening_disabled_drivers: List(
      ['usb-storage', 'firewire-core', 'firewire-ohci', 'firewire-sbp2'],
      'Driver modules to disable (removable storage).',
      KernelModule,
    ),
    hardening_modules_whitelist: List(
      [],
      'Modules never disabled, whatever the lists above say.',
      KernelModule,
    ),

    // ----------------------------------------------------------------- packages
    hardening_packages_clean: Bool(true, 'Purge the packages of hardening_packages_remove.'),
    hardening_packages_remove: List(
      [
        'xinetd',
        'openbsd-inetd',
        'inetutils-inetd',
        'rlinetd',
        'telnetd',
        'inetutils-telnetd',
        'telnetd-ssl',
        'rsh-server',
        'rsh-redone-server',
        'ypserv',
        'nis',
        'tftpd',
        'tftpd-hpa',
        'atftpd',
        'prelink',
        'libpam-ccreds',
      ],
      'Insecure packages to purge (inetd, xinetd, telnet and rsh servers, NIS, TFTP servers, prelink, and libpam-ccreds, which caches passwords of network accounts).',
      Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$' }),
    ),
    hardening_packages_install: List(
      ['libpam-tmpdir', 'acct', 'debsums', 'apt-show-versions', 'apt-listchanges'],
      'Security tools to install: per-user temp folders, process accounting, package checksum verification and upgrade tooling.',
      Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$' }),
    ),

    // ----------------------------------------------------------------- SUID/SGID
    hardening_suid_sgid_enabled: Bool(true, 'Remove SUID/SGID bits from known-dangerous programs.'),
    hardening_suid_sgid_blacklist: List(
      DEFAULT_SUID_SGID_BLACKLIST,
      'Programs whose SUID/SGID bits are removed (when they exist).',
      Path,
    ),
    hardening_suid_sgid_whitelist: List(
      DEFAULT_SUID_SGID_WHITELIST,
      'Programs whose SUID/SGID bits are kept, also by the sweep of unknown ones.',
      Path,
    ),
    hardening_suid_sgid_remove_unknown: Bool(
      false,
      'Also remove SUID/SGID bits from every program on the root filesystem that is not in the whitelist.',
    ),

    // ----------------------------------------------------------------- permissions
    hardening_permissions_enabled: Bool(
      true,
      'Enforce owners and modes (hardening_file_permissions), remove group/other write bits from programs in system paths and remove .rhosts, .shosts, .netrc and hosts.equiv files.',
    ),
    hardening_file_permissions: Type.Array(FilePermission, {
      default: DEFAULT_FILE_PERMISSIONS,
      description:
        'Owner, group and mode of system files and folders (shadow, passwd, cron, /boot, root home).',
    }),
    hardening_system_paths: List(
      ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
      'Folders where no file may be writable by group or others.',
      Type.String({ pattern: '^/\\S*$' }),
    ),
    hardening_home_dirs_mode: Text(
      '0700',
      'Mode of the home folders of regular users (under /home); empty leaves them alone.',
      '^([0-7]{3,4})?$',
    ),
    hardening_restrict_su: Bool(
      true,
      'Make su usable by root only (mode 0750 root:root, no setuid): use sudo to change user.',
    ),
    hardening_proc_hidepid: Int(
      2,
      'hidepid option of /proc: 2 hides other users processes, 1 hides their details, 0 leaves /proc alone. Written to /etc/fstab and applied live (not in a container, whose /proc belongs to the container runtime).',
      0,
      2,
    ),
    hardening_system_accounts_nologin: Bool(
      true,
      'Give system accounts (uid below UID_MIN) the nologin shell and a locked password.',
    ),
    hardening_nologin_exceptions: List(
      ['root', 'sync', 'shutdown', 'halt'],
      'System accounts that keep their shell and password.',
      Type.String({ pattern: ACCOUNT }),
    ),

    // ----------------------------------------------------------------- PAM
    hardening_pam_enabled: Bool(true, 'Configure PAM: password quality, failed-login lockout.'),
    hardening_pwquality_enabled: Bool(true, 'Check password strength with pam_pwquality.'),
    hardening_pwquality: Type.Record(
      Type.String({ pattern: '^[a-z_]+$' }),
      Type.Union([Word, Type.Integer()]),
      {
        additionalProperties: false,
        default: { minlen: 14, minclass: 3, maxrepeat: 3, maxsequence: 4, dictcheck: 1, usercheck: 1 },
        description: 'pwquality.conf settings (see pwquality.conf(5)).',
      },
    ),
    hardening_faillock_unlock_time: Int(
      600,
      'Seconds an account stays locked after hardening_login_retries failed logins (faillock).',
    ),
    hardening_faillock_fail_interval: Int(900, 'Seconds over which failed logins are counted (faillock).', 1),
    hardening_faillock_deny_root: Bool(
      true,
      'Lock root too after hardening_login_retries failed logins (faillock even_deny_root), for the same time as other accounts.',
    ),
    hardening_key_login_after_password_expiry: Bool(
      true,
      'Let SSH key logins work when the account password has expired: the sshd account stack ignores password expiry (account expiry still refuses). With password authentication on, an expired password is then not forced to change at an SSH login either; sudo still checks it.',
    ),

    // ----------------------------------------------------------------- auditd
    hardening_auditd_enabled: Bool(
      true,
      'Install and configure auditd (started where the kernel belongs to the host, not in containers).',
    ),
    hardening_auditd_max_log_file: Int(6, 'max_log_file: size of one audit log in MB.', 1),
    hardening_auditd_num_logs: Int(5, 'num_logs: audit log files kept.', 1),
    hardening_auditd_max_log_file_action: Type.Union(
      ['ignore', 'syslog', 'suspend', 'rotate', 'keep_logs'].map((v) => Type.Literal(v)),
      { default: 'keep_logs', description: 'max_log_file_action: what auditd does when a log is full.' },
    ),
    hardening_auditd_space_left_action: Type.Union(
      ['ignore', 'syslog', 'rotate', 'email', 'exec', 'suspend', 'single', 'halt'].map((v) =>
        Type.Literal(v),
      ),
      { default: 'syslog', description: 'space_left_action: what auditd does when the disk runs low.' },
    ),
    hardening_auditd_rules: List(
      DEFAULT_AUDIT_RULES,
      'Audit rules (auditctl syntax) written to /etc/audit/rules.d/90-bosun-hardening.rules.',
      Line,
    ),

    // ----------------------------------------------------------------- banner
    hardening_banner: Text(
      DEFAULT_BANNER,
      'Legal notice written to /etc/issue and /etc/issue.net and shown by sshd before login; empty leaves those files alone and turns the sshd banner off.',
    ),

    // ----------------------------------------------------------------- sshd
    hardening_ssh_enabled: Bool(true, 'Harden the SSH server and client configuration.'),
    hardening_ssh_ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), {
      default: [22],
      minItems: 1,
      description: 'Ports sshd listens on.',
    }),
    hardening_ssh_listen_addresses: List([], 'ListenAddress values; empty listens on every address.', Word),
    hardening_ssh_permit_root_login: Type.Union(
      ['no', 'prohibit-password', 'forced-commands-only', 'yes'].map((v) => Type.Literal(v)),
      { default: 'no', description: 'PermitRootLogin.' },
    ),
    hardening_ssh_password_authentication: Bool(
      false,
      'PasswordAuthentication and KbdInteractiveAuthentication; off means keys only.',
    ),
    hardening_ssh_ciphers: List(
      [],
      'Ciphers; empty chooses modern AEAD and CTR ciphers for the detected OpenSSH version.',
      Word,
    ),
    hardening_ssh_macs: List(
      [],
      'MACs; empty chooses encrypt-then-MAC SHA-2 MACs for the detected version.',
      Word,
    ),
    hardening_ssh_kex: List(
      [],
      'KexAlgorithms; empty chooses post-quantum hybrid, Curve25519 and large DH groups for the detected version.',
      Word,
    ),
    hardening_ssh_host_key_algorithms: List(
      [],
      'HostKeyAlgorithms; empty offers Ed25519 and RSA with SHA-2 (no ECDSA, no SHA-1).',
      Word,
    ),
    hardening_ssh_host_key_types: Type.Array(
      Type.Union(['ed25519', 'rsa', 'ecdsa'].map((v) => Type.Literal(v))),
      {
        default: ['ed25519', 'rsa'],
        minItems: 1,
        description: 'Host key types sshd uses (HostKey); missing keys are generated.',
      },
    ),
    hardening_ssh_rsa_host_key_bits: Int(
      4096,
      'Minimum size of the RSA host key: a smaller one is replaced by a new key of this size.',
      2048,
      16384,
    ),
    hardening_ssh_moduli_min_bits: Int(
      3072,
      'Diffie-Hellman group exchange moduli smaller than this are removed from /etc/ssh/moduli; 0 keeps them.',
    ),
    hardening_ssh_log_level: Type.Union(
      ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG'].map((v) => Type.Literal(v)),
      { default: 'VERBOSE', description: 'LogLevel (VERBOSE logs key fingerprints of logins).' },
    ),
    hardening_ssh_login_grace_time: Int(30, 'LoginGraceTime in seconds.', 1),
    hardening_ssh_max_auth_tries: Int(3, 'MaxAuthTries.', 1),
    hardening_ssh_max_sessions: Int(4, 'MaxSessions: sessions multiplexed on one connection.', 1),
    hardening_ssh_max_startups: Text(
      '10:30:60',
      'MaxStartups: unauthenticated connections.',
      '^[0-9]+(:[0-9]+:[0-9]+)?$',
    ),
    hardening_ssh_client_alive_interval: Int(300, 'ClientAliveInterval in seconds.'),
    hardening_ssh_client_alive_count_max: Int(2, 'ClientAliveCountMax.'),
    hardening_ssh_tcp_forwarding: Type.Union(
      ['no', 'yes', 'local', 'remote', 'all'].map((v) => Type.Literal(v)),
      { default: 'no', description: 'AllowTcpForwarding (a bastion needs yes or local).' },
    ),
    hardening_ssh_agent_forwarding: Bool(false, 'AllowAgentForwarding.'),
    hardening_ssh_x11_forwarding: Bool(false, 'X11Forwarding.'),
    hardening_ssh_permit_tunnel: Bool(false, 'PermitTunnel.'),
    hardening_ssh_gateway_ports: Bool(false, 'GatewayPorts.'),
    hardening_ssh_allow_users: List(
      [],
      'AllowUsers patterns; the role refuses to run when the connecting user would not match.',
      Word,
    ),
    hardening_ssh_allow_groups: List(
      [],
      'AllowGroups patterns; the role refuses to run when no group of the connecting user matches.',
      Word,
    ),
    hardening_ssh_deny_users: List(
      [],
      'DenyUsers patterns; refused when they match the connecting user.',
      Word,
    ),
    hardening_ssh_deny_groups: List(
      [],
      'DenyGroups patterns; refused when they match a group of the connecting user.',
      Word,
    ),
    hardening_ssh_accept_env: Text(
      '',
      'AcceptEnv: variables a client may pass (such as "LANG LC_*"); empty accepts none.',
      '^[^\\n\\r]*$',
    ),
    hardening_ssh_sftp_enabled: Bool(
      true,
      'Offer the SFTP subsystem (internal-sftp, logged to the auth log; uploaded files get hardening_umask).',
    ),
    hardening_ssh_revoked_keys: List([], 'Public keys written to /etc/ssh/revoked_keys (RevokedKeys).', Line),
    hardening_ssh_use_dropins: Bool(
      false,
      'Include /etc/ssh/sshd_config.d/*.conf (off: drop-ins such as cloud-init password settings cannot override the hardened values).',
    ),
    hardening_ssh_extra_config: List(
      [],
      'Lines appended at the end of sshd_config (Match blocks and options the parameters do not cover).',
      Line,
    ),
    hardening_ssh_client_enabled: Bool(true, 'Write a hardened /etc/ssh/ssh_config for the SSH client.'),
  },
  { additionalProperties: false },
);

export type HardeningParams = Static<typeof hardeningParams>;
