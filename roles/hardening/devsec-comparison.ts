/**
 * The hardening role's defaults next to dev-sec's os_hardening and ssh_hardening (the
 * devsec.hardening Ansible collection), setting by setting, on Debian 12 with OpenSSH 9.2: what
 * operators compare Bosun against. Values are what each leaves in effect on the host (`sshd -T`
 * and `ssh -G` spelling for SSH, the written value for files).
 *
 * Held to the truth from both sides: test/unit/roles/hardening-devsec.test.ts reads Bosun's
 * column from the role itself (parameter defaults and rendered templates) and dev-sec's from a
 * recorded run of both roles on fresh hosts (test/fixtures/hardening/devsec-observed.json, made
 * by bench/devsec-compare.run.ts); the hardening integration test reads Bosun's column back from
 * a hardened host. A default changed without this list fails those tests; every difference
 * carries its reason, and the role's README lists them (generated from this file).
 */
import type { ReadmeSection } from '../../src/model/role.js';

export type ComparisonArea =
  | 'sshd'
  | 'ssh client'
  | 'sysctl'
  | 'login.defs'
  | 'faillock.conf'
  | 'auditd.conf'
  | 'file mode'
  | 'other';

export interface Comparison {
  area: ComparisonArea;
  /**
   * The `sshd -T` or `ssh -G` keyword, the sysctl key, the key in the file, the path whose
   * mode is compared, or a name the tests know for the other settings.
   */
  setting: string;
  /** dev-sec's default as its run leaves it on Debian 12. */
  devsec: string;
  /** Bosun's default, likewise. */
  bosun: string;
  /** Why Bosun differs: present exactly when the two values differ. */
  reason?: string;
}

/** The dev-sec release compared. */
export const DEVSEC_REFERENCE = 'devsec.hardening 10.6.0';

/** A file key or sysctl the role does not write. */
export const NOT_SET = '(not set)';
/** Something the role does not manage at all. */
export const NOT_MANAGED = '(not managed)';

const SSH_AUDIT = 'ssh-audit 2.5 rates it a weakness';
const LYNIS_SYSCTL = "lynis' scan profile (KRNL-6000) expects this value";
const DEBIAN_AUDITD =
  "Debian's packaged value, written so the file is complete; dev-sec leaves auditd's built-in value";

const DEVSEC_KEX =
  'sntrup761x25519-sha512@openssh.com,curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256';
const BOSUN_KEX =
  'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256';
const CIPHERS =
  'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr';
const DEVSEC_MACS =
  'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256';
const BOSUN_MACS = 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com';
const KEX_REASON =
  'Adds curve25519-sha256 (the RFC 8731 name of the same exchange, the only one some SSH libraries know) and the fixed 8192- and 4096-bit groups (RFC 8268) for clients without group exchange; all are rated good by ssh-audit.';
const MACS_REASON = `Encrypt-then-MAC only: the plain hmac-sha2 MACs authenticate before encrypting and ${SSH_AUDIT}. Every OpenSSH since 6.2 has the etm ones.`;
const ECDSA_REASON = `No ECDSA (NIST P-curves): ${SSH_AUDIT}. Ed25519 and RSA (4096 bits, SHA-2 signatures) remain.`;

/** Key exchanges and MACs: the server and the client use the same lists in both roles. */
function algorithms(area: ComparisonArea): Comparison[] {
  return [
    { area, setting: 'kexalgorithms', devsec: DEVSEC_KEX, bosun: BOSUN_KEX, reason: KEX_REASON },
    { area, setting: 'macs', devsec: DEVSEC_MACS, bosun: BOSUN_MACS, reason: MACS_REASON },
  ];
}

/** Rows whose value both write identically, by area. */
function same(area: ComparisonArea, values: Record<string, string>): Comparison[] {
  return Object.entries(values).map(([setting, value]) => ({ area, setting, devsec: value, bosun: value }));
}

export const DEVSEC_COMPARISON: Comparison[] = [
  // ------------------------------------------------------------------ sshd (sshd -T)
  ...same('sshd', {
    permitrootlogin: 'no',
    port: '22',
    addressfamily: 'any',
    strictmodes: 'yes',
    syslogfacility: 'AUTH',
    loglevel: 'VERBOSE',
    ciphers: CIPHERS,
    logingracetime: '30',
    maxstartups: '10:30:60',
    pubkeyauthentication: 'yes',
    ignorerhosts: 'yes',
    ignoreuserknownhosts: 'yes',
    hostbasedauthentication: 'no',
    usepam: 'yes',
    authenticationmethods: 'publickey',
    passwordauthentication: 'no',
    permitemptypasswords: 'no',
    kbdinteractiveauthentication: 'no',
    kerberosauthentication: 'no',
    kerberosorlocalpasswd: 'no',
    kerberosticketcleanup: 'yes',
    gssapiauthentication: 'no',
    gssapicleanupcredentials: 'yes',
    tcpkeepalive: 'no',
    clientaliveinterval: '300',
    permittunnel: 'no',
    allowtcpforwarding: 'no',
    allowagentforwarding: 'no',
    gatewayports: 'no',
    x11forwarding: 'no',
    x11uselocalhost: 'yes',
    permituserenvironment: 'no',
    compression: 'no',
    usedns: 'no',
    printmotd: 'no',
    revokedkeys: '/etc/ssh/revoked_keys',
    fingerprinthash: 'SHA256',
  }),
  {
    area: 'sshd',
    setting: 'listenaddress',
    devsec: '0.0.0.0:22',
    bosun: '[::]:22 0.0.0.0:22',
    reason:
      'dev-sec listens on IPv4 only although its AddressFamily is any; Bosun listens on every address of the allowed families, so hosts in IPv6-only subnets stay reachable (hardening_disable_ipv6 or hardening_ssh_listen_addresses narrow it).',
  },
  {
    area: 'sshd',
    setting: 'hostkey',
    devsec: '/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key',
    bosun: '/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_rsa_key',
    reason: ECDSA_REASON,
  },
  {
    area: 'sshd',
    setting: 'hostkeyalgorithms',
    devsec:
      'ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256',
    bosun: 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    reason: `${ECDSA_REASON} dev-sec leaves OpenSSH's list.`,
  },
  ...algorithms('sshd'),
  {
    area: 'sshd',
    setting: 'maxauthtries',
    devsec: '2',
    bosun: '3',
    reason:
      'Each key an ssh-agent offers counts as a try: with 2, a user (or Bosun, which uses the agent when SSH_AUTH_SOCK is set) holding three keys cannot log in with the third. lynis accepts 3.',
  },
  {
    area: 'sshd',
    setting: 'maxsessions',
    devsec: '10',
    bosun: '4',
    reason:
      'lynis (SSH-7408) rates 2 sessions per connection good, up to 4 medium and more than 8 weak; 4 leaves room for a client that multiplexes a shell, a copy and a forward.',
  },
  {
    area: 'sshd',
    setting: 'clientalivecountmax',
    devsec: '3',
    bosun: '2',
    reason: 'lynis (SSH-7408) asks for 2: a dead client is dropped after 10 minutes instead of 15.',
  },
  {
    area: 'sshd',
    setting: 'allowstreamlocalforwarding',
    devsec: 'yes',
    bosun: 'no',
    reason:
      'Unix-socket forwarding is forwarding too (it reaches the Docker socket, say); dev-sec turns TCP forwarding off but leaves this at its default.',
  },
  {
    area: 'sshd',
    setting: 'printlastlog',
    devsec: 'no',
    bosun: 'yes',
    reason:
      'Showing the previous login lets a user notice a login that was not theirs; lynis (SSH-7408) expects yes.',
  },
  {
    area: 'sshd',
    setting: 'banner',
    devsec: 'none',
    bosun: '/etc/issue.net',
    reason:
      'A legal notice before login (CIS 5.2.x; lynis BANN-7126/7130 read /etc/issue and /etc/issue.net, which Bosun writes); an empty hardening_banner turns it off.',
  },
  {
    area: 'sshd',
    setting: 'rekeylimit',
    devsec: '0 0',
    bosun: '536870912 3600',
    reason:
      'Session keys are renewed after 512 MB or an hour, whichever comes first, not only at the cipher limit.',
  },
  {
    area: 'sshd',
    setting: 'subsystem',
    devsec: 'sftp internal-sftp -l INFO -f LOCAL6 -u 0027',
    bosun: 'sftp internal-sftp -f AUTHPRIV -l INFO -u 027',
    reason:
      "Transfers are logged to the auth facility, next to sshd's own records in /var/log/auth.log, instead of LOCAL6, which Debian's rsyslog only mixes into /var/log/syslog; the umask is hardening_umask (027, the same as dev-sec's).",
  },
  {
    area: 'sshd',
    setting: 'Match Group sftponly',
    devsec: 'ForceCommand internal-sftp, ChrootDirectory /home/%u, no forwarding',
    bosun: NOT_SET,
    reason:
      'dev-sec adds a chrooted SFTP block for a group sftponly that neither role creates; Bosun writes Match blocks only when asked (hardening_ssh_extra_config).',
  },

  // ------------------------------------------------------------------ ssh client (ssh -G)
  ...same('ssh client', {
    addressfamily: 'any',
    ciphers: CIPHERS,
    checkhostip: 'yes',
    stricthostkeychecking: 'ask',
    forwardagent: 'no',
    forwardx11: 'no',
    hostbasedauthentication: 'no',
    passwordauthentication: 'no',
    gssapiauthentication: 'no',
    permitlocalcommand: 'no',
    compression: 'no',
    port: '22',
    batchmode: 'no',
    gssapidelegatecredentials: 'no',
    tunnel: 'false',
    verifyhostkeydns: 'false',
  }),
  ...algorithms('ssh client'),
  {
    area: 'ssh client',
    setting: 'forwardx11trusted',
    devsec: 'yes',
    bosun: 'no',
    reason:
      "Debian's ssh turns trusted X11 forwarding on by default; X11 forwarding is off in both, and if a user turns it on the remote side stays under the X SECURITY extension.",
  },
  {
    area: 'ssh client',
    setting: 'hashknownhosts',
    devsec: 'no',
    bosun: 'yes',
    reason: "Host names in users' known_hosts are hashed, so a stolen file does not list where else to go.",
  },

  // ------------------------------------------------------------------ sysctl
  ...same('sysctl', {
    'fs.protected_hardlinks': '1',
    'fs.protected_symlinks': '1',
    'fs.protected_regular': '2',
    'fs.suid_dumpable': '0',
    'kernel.core_uses_pid': '1',
    'kernel.kptr_restrict': '2',
    'kernel.kexec_load_disabled': '1',
    'kernel.sysrq': '0',
    'kernel.randomize_va_space': '2',
    'kernel.yama.ptrace_scope': '2',
    'kernel.unprivileged_bpf_disabled': '1',
    'kernel.unprivileged_userns_clone': '0',
    'net.ipv4.ip_forward': '0',
    'net.ipv6.conf.all.forwarding': '0',
    'net.ipv4.conf.all.rp_filter': '1',
    'net.ipv4.conf.default.rp_filter': '1',
    'net.ipv4.icmp_echo_ignore_broadcasts': '1',
    'net.ipv4.icmp_ignore_bogus_error_responses': '1',
    'net.ipv4.icmp_ratelimit': '100',
    'net.ipv4.icmp_ratemask': '88089',
    'net.ipv4.conf.all.arp_ignore': '1',
    'net.ipv4.conf.all.arp_announce': '2',
    'net.ipv4.tcp_rfc1337': '1',
    'net.ipv4.tcp_syncookies': '1',
    'net.ipv4.conf.all.shared_media': '1',
    'net.ipv4.conf.default.shared_media': '1',
    'net.ipv4.conf.all.accept_source_route': '0',
    'net.ipv4.conf.default.accept_source_route': '0',
    'net.ipv6.conf.all.accept_source_route': '0',
    'net.ipv6.conf.default.accept_source_route': '0',
    'net.ipv4.conf.all.send_redirects': '0',
    'net.ipv4.conf.default.send_redirects': '0',
    'net.ipv4.conf.all.log_martians': '1',
    'net.ipv4.conf.default.log_martians': '1',
    'net.ipv4.conf.default.accept_redirects': '0',
    'net.ipv4.conf.all.accept_redirects': '0',
    'net.ipv4.conf.all.secure_redirects': '0',
    'net.ipv4.conf.default.secure_redirects': '0',
    'net.ipv6.conf.default.accept_redirects': '0',
    'net.ipv6.conf.all.accept_redirects': '0',
    'net.ipv6.conf.all.accept_ra': '0',
    'net.ipv6.conf.default.accept_ra': '0',
    'net.ipv6.conf.default.router_solicitations': '0',
    'net.ipv6.conf.all.router_solicitations': '0',
    'net.ipv6.conf.default.accept_ra_rtr_pref': '0',
    'net.ipv6.conf.default.accept_ra_pinfo': '0',
    'net.ipv6.conf.default.accept_ra_defrtr': '0',
    'net.ipv6.conf.default.autoconf': '0',
    'net.ipv6.conf.all.autoconf': '0',
    'net.ipv6.conf.default.dad_transmits': '0',
    'net.ipv6.conf.default.max_addresses': '1',
    'vm.mmap_min_addr': '65536',
    'vm.mmap_rnd_bits': '32',
    'vm.mmap_rnd_compat_bits': '16',
  }),
  {
    area: 'sysctl',
    setting: 'fs.protected_fifos',
    devsec: '1',
    bosun: '2',
    reason: `${LYNIS_SYSCTL}; 2 also covers FIFOs in group-writable sticky folders.`,
  },
  {
    area: 'sysctl',
    setting: 'net.ipv4.tcp_timestamps',
    devsec: '0',
    bosun: NOT_SET,
    reason:
      "Timestamps protect fast links against wrapped sequence numbers (PAWS) and help congestion control; the uptime leak dev-sec disables them for is gone since Linux 4.10, which randomises each connection's offset.",
  },
  ...(
    [
      'kernel.dmesg_restrict',
      'kernel.perf_event_paranoid',
      'net.core.bpf_jit_harden',
      'dev.tty.ldisc_autoload',
    ] as const
  ).map(
    (setting): Comparison => ({
      area: 'sysctl',
      setting,
      devsec: NOT_SET,
      bosun: {
        'kernel.dmesg_restrict': '1',
        'kernel.perf_event_paranoid': '3',
        'net.core.bpf_jit_harden': '2',
        'dev.tty.ldisc_autoload': '0',
      }[setting],
      reason: `Added: ${LYNIS_SYSCTL}.`,
    }),
  ),

  // ------------------------------------------------------------------ login.defs
  ...same('login.defs', {
    MAIL_DIR: '/var/mail',
    FAILLOG_ENAB: 'yes',
    LOG_UNKFAIL_ENAB: 'no',
    LOG_OK_LOGINS: 'yes',
    SYSLOG_SU_ENAB: 'yes',
    SYSLOG_SG_ENAB: 'yes',
    FTMP_FILE: '/var/log/btmp',
    SU_NAME: 'su',
    HUSHLOGIN_FILE: '.hushlogin',
    ENV_SUPATH: 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    TTYGROUP: 'tty',
    TTYPERM: '0600',
    ERASECHAR: '0177',
    KILLCHAR: '025',
    UMASK: '027',
    USERGROUPS_ENAB: 'yes',
    PASS_MAX_DAYS: '60',
    PASS_MIN_DAYS: '7',
    PASS_WARN_AGE: '7',
    UID_MIN: '1000',
    UID_MAX: '60000',
    SYS_UID_MIN: '100',
    SYS_UID_MAX: '999',
    GID_MIN: '1000',
    GID_MAX: '60000',
    SYS_GID_MIN: '100',
    SYS_GID_MAX: '999',
    SUB_UID_MIN: '100000',
    SUB_UID_MAX: '600100000',
    SUB_UID_COUNT: '65536',
    SUB_GID_MIN: '100000',
    SUB_GID_MAX: '600100000',
    SUB_GID_COUNT: '65536',
    LOGIN_RETRIES: '5',
    LOGIN_TIMEOUT: '60',
    DEFAULT_HOME: 'no',
    ENCRYPT_METHOD: 'SHA512',
    SHA_CRYPT_MIN_ROUNDS: '640000',
    SHA_CRYPT_MAX_ROUNDS: '640000',
  }),
  {
    area: 'login.defs',
    setting: 'ENV_PATH',
    devsec: 'PATH=/usr/local/bin:/usr/bin:/bin:',
    bosun: 'PATH=/usr/local/bin:/usr/bin:/bin',
    reason:
      "dev-sec's PATH ends with an empty entry (its extra paths joined to nothing), which the shell reads as the current folder: a program planted in a folder a user cd's into would run.",
  },
  {
    area: 'login.defs',
    setting: 'MD5_CRYPT_ENAB',
    devsec: 'no',
    bosun: NOT_SET,
    reason:
      'Obsolete since ENCRYPT_METHOD (SHA512 in both) decides the hash; shadow 4.13 only reads it when ENCRYPT_METHOD is missing.',
  },
  {
    area: 'login.defs',
    setting: 'NONEXISTENT',
    devsec: NOT_SET,
    bosun: '/nonexistent',
    reason: "Debian's value, kept: the home folder that useradd gives accounts that have none.",
  },
  {
    area: 'login.defs',
    setting: 'PREVENT_NO_AUTH',
    devsec: NOT_SET,
    bosun: 'superuser',
    reason: "Debian's value, kept: root with an empty password field cannot log in without one.",
  },

  // ------------------------------------------------------------------ faillock.conf
  ...same('faillock.conf', {
    deny: '5',
    unlock_time: '600',
    even_deny_root: '',
  }),
  {
    area: 'faillock.conf',
    setting: 'silent',
    devsec: NOT_SET,
    bosun: '',
    reason: 'A password guesser is not told that the account is locked.',
  },
  {
    area: 'faillock.conf',
    setting: 'fail_interval',
    devsec: NOT_SET,
    bosun: '900',
    reason: "pam_faillock's own default, written out so the window is visible next to deny and unlock_time.",
  },

  // ------------------------------------------------------------------ auditd.conf
  ...same('auditd.conf', {
    write_logs: 'yes',
    log_file: '/var/log/audit/audit.log',
    log_group: 'root',
    priority_boost: '4',
    freq: '20',
    num_logs: '5',
    max_log_file: '6',
    max_log_file_action: 'keep_logs',
    space_left: '75',
    action_mail_acct: 'root',
    admin_space_left: '50',
    admin_space_left_action: 'SUSPEND',
    disk_full_action: 'SUSPEND',
    disk_error_action: 'SUSPEND',
    tcp_listen_queue: '5',
    tcp_max_per_addr: '1',
    tcp_client_max_idle: '0',
    enable_krb5: 'no',
    krb5_principal: 'auditd',
  }),
  {
    area: 'auditd.conf',
    setting: 'space_left_action',
    devsec: 'SYSLOG',
    bosun: 'syslog',
    reason: 'The same action: auditd reads the keyword in any case.',
  },
  {
    area: 'auditd.conf',
    setting: 'flush',
    devsec: 'INCREMENTAL',
    bosun: 'INCREMENTAL_ASYNC',
    reason:
      "The same flush every freq records, done by auditd's flush thread so logging does not wait for the disk (auditd 3's packaged choice).",
  },
  {
    area: 'auditd.conf',
    setting: 'log_format',
    devsec: 'RAW',
    bosun: 'ENRICHED',
    reason:
      'Records carry user, group and syscall names resolved on the host, so they stay readable once shipped off it (CloudWatch, a SIEM).',
  },
  {
    area: 'auditd.conf',
    setting: 'name_format',
    devsec: 'NONE',
    bosun: 'HOSTNAME',
    reason: 'Each record names its host, which central collection needs.',
  },
  {
    area: 'auditd.conf',
    setting: 'disp_qos',
    devsec: 'lossy',
    bosun: NOT_SET,
    reason:
      'Not an auditd 3 setting (Debian 12 has 3.0.9): plugins in /etc/audit/plugins.d replaced the dispatcher.',
  },
  {
    area: 'auditd.conf',
    setting: 'dispatcher',
    devsec: '/sbin/audispd',
    bosun: NOT_SET,
    reason: 'Not an auditd 3 setting, and /sbin/audispd does not exist on Debian 12.',
  },
  ...(
    [
      ['local_events', 'yes'],
      ['verify_email', 'yes'],
      ['use_libwrap', 'yes'],
      ['transport', 'TCP'],
      ['distribute_network', 'no'],
      ['q_depth', '2000'],
      ['overflow_action', 'SYSLOG'],
      ['max_restarts', '10'],
      ['plugin_dir', '/etc/audit/plugins.d'],
      ['end_of_event_timeout', '2'],
    ] as const
  ).map(
    ([setting, bosun]): Comparison => ({
      area: 'auditd.conf',
      setting,
      devsec: NOT_SET,
      bosun,
      reason: DEBIAN_AUDITD,
    }),
  ),

  // ------------------------------------------------------------------ owners and modes
  ...same('file mode', {
    '/etc/passwd': '0644 root:root',
    '/etc/passwd-': '0644 root:root',
    '/etc/group': '0644 root:root',
    '/etc/group-': '0644 root:root',
    '/etc/shadow': '0640 root:shadow',
    '/etc/shadow-': '0640 root:shadow',
    '/etc/gshadow': '0640 root:shadow',
    '/etc/gshadow-': '0640 root:shadow',
    '/etc/crontab': '0600 root:root',
    '/etc/cron.d': '0700 root:root',
    '/etc/cron.hourly': '0700 root:root',
    '/etc/cron.daily': '0700 root:root',
    '/etc/cron.weekly': '0700 root:root',
    '/etc/cron.monthly': '0700 root:root',
    '/boot': '0700 root:root',
    '/root': '0700 root:root',
    '/usr/bin/su': '0750 root:root',
    '/etc/ssh/sshd_config': '0600 root:root',
    '/etc/ssh/ssh_config': '0644 root:root',
    '/etc/audit/auditd.conf': '0640 root:root',
  }),
  {
    area: 'file mode',
    setting: '/etc/login.defs',
    devsec: '0444 root:root',
    bosun: '0644 root:root',
    reason: "Debian's mode: only root may write in both cases and the file holds no secret.",
  },
  {
    area: 'file mode',
    setting: '/etc/ssh/revoked_keys',
    devsec: '0600 root:root',
    bosun: '0644 root:root',
    reason: 'It lists public keys, which are no secret; only root may write it in both cases.',
  },
  {
    area: 'file mode',
    setting: 'sysctl drop-in',
    devsec: '0440 root:root',
    bosun: '0644 root:root',
    reason: 'Every value in it can be read from /proc/sys anyway; only root may write it in both cases.',
  },
  {
    area: 'file mode',
    setting: 'core dump limits file',
    devsec: '0440 root:root',
    bosun: '0644 root:root',
    reason: 'Every user can read the limit with ulimit anyway; only root may write it in both cases.',
  },
  {
    area: 'file mode',
    setting: 'profile.d core dump file',
    devsec: '0750 root:root',
    bosun: '0644 root:root',
    reason:
      "/etc/profile only sources the profile.d files a user can read: with dev-sec's 0750 only root's shells run its ulimit.",
  },

  // ------------------------------------------------------------------ everything else
  ...same('other', {
    'core dump size limit (limits.d, every user)': '0',
    'systemd-coredump Storage': 'none',
    'Diffie-Hellman moduli kept': '3072 4096 6144 7680 8192',
    'RSA host key bits': '4096',
    'SUID/SGID bits removed from':
      'rcp, rlogin, rsh, ssh-keysign, netreport, usernetctl, userisdnctl, pppd, lockfile, mail-lock, mail-unlock, mail-touchlock, dotlockfile, arping, uuidd, mtr, camel-lock-helper-1.2, pt_chown, dmcrypt-get-device, cons.saver',
    'SUID/SGID bits removed from every other program': 'no',
    '/proc mount options': 'nosuid,nodev,noexec,hidepid=2',
    'system accounts': 'nologin shell, password locked',
    'home folders of regular users': '0700',
    'group/other write bits in system paths': 'removed',
    '.rhosts, .netrc, hosts.equiv': 'removed',
    'faillock in PAM (common-auth, common-account)': 'preauth, authfail, account',
    'sshd_config.d drop-ins read': 'no',
  }),
  {
    area: 'other',
    setting: 'kernel modules disabled',
    devsec: 'cramfs dccp freevxfs hfs hfsplus jffs2 rds sctp squashfs tipc udf vfat',
    bosun:
      'cramfs dccp firewire-core firewire-ohci firewire-sbp2 freevxfs hfs hfsplus jffs2 rds sctp squashfs tipc udf usb-storage vfat',
    reason:
      'Adds USB mass storage and FireWire (lynis USB-1000, STRG-1846): a server has no use for them and they are a way to copy data off. Each is also blacklisted, and a module loaded now is left alone.',
  },
  {
    area: 'other',
    setting: 'packages purged',
    devsec: 'inetd libpam-ccreds prelink rsh-server telnet-server xinetd ypserv',
    bosun:
      'atftpd inetutils-inetd inetutils-telnetd libpam-ccreds nis openbsd-inetd prelink rlinetd rsh-redone-server rsh-server telnetd telnetd-ssl tftpd tftpd-hpa xinetd ypserv',
    reason:
      "Debian's package names: dev-sec's inetd and telnet-server are not Debian packages, so its purge misses the inetd and telnet servers Debian has; Bosun also purges NIS and TFTP servers.",
  },
  {
    area: 'other',
    setting: 'password strength module',
    devsec: 'pam_passwdqc min=disabled,disabled,16,12,8',
    bosun: 'pam_pwquality minlen=14 minclass=3 maxrepeat=3 maxsequence=4 dictcheck=1 usercheck=1',
    reason:
      "pwquality is the module Debian's PAM profiles are built for and it checks a dictionary; its rules are about as strict (14 characters of 3 classes, against dev-sec's 16 of 2 or 12 of 3). lynis (AUTH-9262) accepts either.",
  },
  {
    area: 'other',
    setting: 'key logins after the password expired',
    devsec: 'allowed for every PAM service (pam_unix no_pass_expiry)',
    bosun: 'allowed for sshd (its own account stack)',
    reason:
      "Bosun lifts the expiry check for sshd only; dev-sec's no_pass_expiry lifts it for every PAM service whenever pam_unix did not ask for the password (su from root, cron, another login method).",
  },
  {
    area: 'other',
    setting: 'idle shell timeout (TMOUT)',
    devsec: '0',
    bosun: '900',
    reason: 'lynis (SHLL-6220) and CIS 5.4.5 ask for idle shells to end: 15 minutes.',
  },
  {
    area: 'other',
    setting: 'umask of login shells (profile.d)',
    devsec: NOT_SET,
    bosun: '027',
    reason: "lynis (AUTH-9328) reads the shells' umask; the same 027 as login.defs.",
  },
  {
    area: 'other',
    setting: 'systemd-coredump ProcessSizeMax',
    devsec: NOT_SET,
    bosun: '0',
    reason: 'systemd-coredump does not even process a dump, instead of processing it and storing nothing.',
  },
  {
    area: 'other',
    setting: 'SUID/SGID whitelist',
    devsec: '48 paths',
    bosun: '40 paths',
    reason:
      "Matters only when bits are removed from every program (off in both). Bosun's list names where Debian 12 (merged /usr) installs its SUID programs (fusermount3, polkit-agent-helper-1, mount.nfs); dev-sec's also names RHEL, Xorg, squid and Kerberos programs.",
  },
  {
    area: 'other',
    setting: 'ssh.socket',
    devsec: 'masked',
    bosun: 'disabled',
    reason:
      'Both start sshd from ssh.service, so Port and ListenAddress apply; Bosun disables the socket only where it was enabled (Ubuntu 22.10 and later) and does not mask it.',
  },
  {
    area: 'other',
    setting: 'password ageing of existing accounts',
    devsec: '7/60/7 days for every regular account with a password',
    bosun: NOT_MANAGED,
    reason:
      'Accounts belong to the users role: ageing the password hashes it sets from vars would expire them 60 days later, with no vars change to show for it. login.defs gives new accounts the ageing.',
  },
  {
    area: 'other',
    setting: 'mount options of /dev, /dev/shm and /run (fstab)',
    devsec: '/dev nosuid,noexec; /dev/shm nosuid,nodev,noexec; /run nosuid,nodev',
    bosun: NOT_MANAGED,
    reason:
      'systemd already mounts /dev/shm and /run nosuid,nodev and /dev nosuid; noexec on /dev and /dev/shm is not implemented yet.',
  },
  {
    area: 'other',
    setting: '/etc/securetty',
    devsec: 'console tty1 tty2 tty3 tty4 tty5 tty6',
    bosun: NOT_MANAGED,
    reason: 'No PAM stack of Debian 12 loads pam_securetty, so the file has no effect there.',
  },
  {
    area: 'other',
    setting: '/etc/default/ufw',
    devsec: 'input DROP, output ACCEPT, forward DROP',
    bosun: NOT_MANAGED,
    reason:
      'ufw is not installed by either role, so the file does nothing; on AWS, security groups filter traffic.',
  },
  {
    area: 'other',
    setting: 'systemd-journald-audit.socket',
    devsec: 'masked',
    bosun: NOT_MANAGED,
    reason:
      'With auditd running, the journal socket only receives copies of the records auditd writes; masking it saves journal space, not security.',
  },
  {
    area: 'other',
    setting: 'pam_motd in /etc/pam.d/sshd',
    devsec: 'removed',
    bosun: NOT_MANAGED,
    reason: "Debian's message of the day is static text; dev-sec removes it for Ubuntu's dynamic one.",
  },
  {
    area: 'other',
    setting: 'audit rules',
    devsec: NOT_SET,
    bosun: '27 rules',
    reason:
      'Added: changes to accounts, sudoers, sshd, PAM, login.defs, sysctl and kernel modules; time, hostname and mount calls; root commands run by other users. dev-sec installs auditd without rules; lynis (ACCT-9630) asks for them.',
  },
];

/** The README section: what was compared and every difference with its reason. */
export function devsecReadmeSection(rows: Comparison[] = DEVSEC_COMPARISON): ReadmeSection {
  const differ = rows.filter((row) => row.devsec !== row.bosun);
  const added = differ.filter((row) => row.devsec === NOT_SET);
  const unmanaged = differ.filter((row) => row.bosun === NOT_MANAGED);
  const changed = differ.filter((row) => !added.includes(row) && !unmanaged.includes(row));
  // A bare keyword (faillock's even_deny_root) has no value: it is there or not.
  const cell = (text: string) => (text === '' ? '(present)' : text).replace(/\|/g, '\\|');
  const table = (header: string[], body: string[][]) => [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((cells) => `| ${cells.map(cell).join(' | ')} |`),
  ];
  return {
    title: 'Deviations from dev-sec',
    markdown: [
      `Compared with ${DEVSEC_REFERENCE} (os_hardening and ssh_hardening) on Debian 12 with OpenSSH 9.2, as each leaves the host: ${rows.length} settings, ${rows.length - differ.length} the same. The whole list is \`devsec-comparison.ts\`; \`test/unit/roles/hardening-devsec.test.ts\` holds the role's defaults to it.`,
      '',
      `### Different values (${changed.length})`,
      '',
      ...table(
        ['Area', 'Setting', 'dev-sec', 'Bosun', 'Why'],
        changed.map((row) => [row.area, row.setting, row.devsec, row.bosun, row.reason ?? '']),
      ),
      '',
      `### Set by Bosun only (${added.length})`,
      '',
      ...table(
        ['Area', 'Setting', 'Bosun', 'Why'],
        added.map((row) => [row.area, row.setting, row.bosun, row.reason ?? '']),
      ),
      '',
      `### Done by dev-sec only (${unmanaged.length})`,
      '',
      ...table(
        ['Setting', 'dev-sec', 'Why not'],
        unmanaged.map((row) => [row.setting, row.devsec, row.reason ?? '']),
      ),
    ].join('\n'),
  };
}
