/**
 * What a hardening run left on a Debian host, read back in one shell script and parsed into
 * setting names and values: effective sshd and ssh client settings (`sshd -T`, `ssh -G`), the
 * configuration files the hardening roles write (comments and blank lines dropped), owners and
 * modes, packages, system accounts, SUID/SGID programs, mounts and units.
 *
 * Used by bench/devsec-compare.ts (dev-sec against Bosun, recorded as a fixture) and by the
 * hardening integration test (Bosun's host against roles/hardening/devsec-comparison.ts).
 */

/** Files whose settings the comparison looks at (globs expanded on the host). */
const FILES = [
  '/etc/login.defs',
  '/etc/security/faillock.conf',
  '/etc/security/pwquality.conf',
  '/etc/security/pwquality.conf.d/*.conf',
  '/etc/audit/auditd.conf',
  '/etc/audit/rules.d/*.rules',
  '/etc/sysctl.d/*.conf',
  '/etc/security/limits.d/*.conf',
  '/etc/systemd/coredump.conf.d/*.conf',
  '/etc/profile.d/*.sh',
  '/etc/modprobe.d/*.conf',
  '/etc/pam.d/common-auth',
  '/etc/pam.d/common-account',
  '/etc/pam.d/common-password',
  '/etc/pam.d/sshd',
  '/etc/fstab',
  '/etc/securetty',
  '/etc/default/ufw',
  '/etc/issue.net',
];

/** Paths whose owner and mode are recorded. */
const STAT = [
  '/etc/passwd',
  '/etc/passwd-',
  '/etc/group',
  '/etc/group-',
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/security/opasswd',
  '/etc/crontab',
  '/etc/cron.d',
  '/etc/cron.hourly',
  '/etc/cron.daily',
  '/etc/cron.weekly',
  '/etc/cron.monthly',
  '/etc/cron.allow',
  '/etc/at.allow',
  '/boot',
  '/root',
  '/home',
  '/home/bosun',
  '/tmp',
  '/var/tmp',
  '/dev/shm',
  '/var/log/audit',
  '/usr/bin/su',
  '/etc/login.defs',
  '/etc/ssh/sshd_config',
  '/etc/ssh/ssh_config',
  '/etc/ssh/revoked_keys',
  '/etc/ssh/ssh_host_ed25519_key',
  '/etc/ssh/ssh_host_rsa_key',
  '/etc/ssh/ssh_host_ecdsa_key',
];

/** Drop-ins of Debian's own packages, not of a hardening role. */
const DEBIAN_SYSCTL_FILES = ['/etc/sysctl.d/99-sysctl.conf'];

const PACKAGES = [
  'auditd',
  'libpam-pwquality',
  'libpam-passwdqc',
  'libpam-tmpdir',
  'libpam-ccreds',
  'acct',
  'debsums',
  'apt-show-versions',
  'apt-listchanges',
  'telnetd',
  'rsh-server',
  'xinetd',
  'prelink',
];

const UNITS = ['ssh.service', 'ssh.socket', 'auditd.service', 'systemd-journald-audit.socket'];

/** One script, read-only, plain POSIX sh; sections start with `@@ name [argument...]`. */
export const COLLECT_SCRIPT = `set -u
echo '@@ sshd'
sshd -T 2>&1
echo '@@ sshd-compiled-defaults'
key=$(ls /etc/ssh/ssh_host_*_key 2>/dev/null | head -n 1)
sshd -T -f /dev/null -o "HostKey=$key" 2>&1
echo '@@ ssh'
ssh -G bosun-probe.invalid 2>&1
echo '@@ ssh-compiled-defaults'
ssh -G -F /dev/null bosun-probe.invalid 2>&1
for pattern in ${FILES.join(' ')}; do
  for file in $pattern; do
    [ -f "$file" ] || continue
    echo "@@ file $file $(stat -c '%a %U:%G' "$file")"
    cat "$file"
    echo
  done
done
echo '@@ stat'
for path in ${STAT.join(' ')}; do
  [ -e "$path" ] && echo "$path $(stat -c '%a %U:%G' "$path")"
done
echo '@@ rsa-host-key-bits'
ssh-keygen -l -f /etc/ssh/ssh_host_rsa_key.pub 2>/dev/null | cut -d' ' -f1
echo '@@ moduli'
awk '$1 !~ /^#/ && NF >= 7 { print $5 + 1 }' /etc/ssh/moduli | sort -n | uniq -c
echo '@@ packages'
for package in ${PACKAGES.join(' ')}; do
  status=$(dpkg-query -W -f '\${db:Status-Status}' "$package" 2>/dev/null || true)
  echo "$package \${status:-not-installed}"
done
echo '@@ system-accounts'
getent passwd | awk -F: '$3 < 1000 { print $1, $7 }' | while read -r name shell; do
  password=$(getent shadow "$name" | cut -d: -f2 | cut -c1)
  echo "$name $shell \${password:--}"
done
echo '@@ password-ageing'
getent shadow | awk -F: '$2 !~ /^[*!]/ { print $1, $4, $5, $6 }'
echo '@@ suid-sgid'
find / -xdev -type f -perm /6000 2>/dev/null | sort
echo '@@ mounts'
awk '$2 == "/proc" || $2 == "/dev/shm" || $2 == "/run" || $2 == "/dev" || $2 == "/tmp" { print $2, $4 }' /proc/mounts
echo '@@ units'
for unit in ${UNITS.join(' ')}; do
  echo "$unit $(systemctl is-enabled "$unit" 2>/dev/null || true) $(systemctl is-active "$unit" 2>/dev/null || true)"
done
`;

export interface ObservedFile {
  mode: string;
  owner: string;
  /** Lines without comments, blank lines and repeated blanks inside a line. */
  lines: string[];
}

export interface Observation {
  /** `sshd -T`: lower-case keyword to value; keywords given several times joined by a space. */
  sshd: Record<string, string>;
  /** `sshd -T` with an empty configuration: what OpenSSH uses where a config says nothing. */
  sshdCompiledDefaults: Record<string, string>;
  /** `ssh -G` for a host no config names: the client's effective defaults. */
  ssh: Record<string, string>;
  /** `ssh -G` with an empty configuration. */
  sshCompiledDefaults: Record<string, string>;
  files: Record<string, ObservedFile>;
  /** Path to "mode owner:group". */
  stat: Record<string, string>;
  rsaHostKeyBits: string;
  /** Modulus size in bits to count. */
  moduli: Record<string, number>;
  packages: Record<string, string>;
  /** System account to "shell first-character-of-password-field". */
  systemAccounts: Record<string, string>;
  /** Account with a usable password to "min max warn" days. */
  passwordAgeing: Record<string, string>;
  suidSgid: string[];
  /** Mount point to its options. */
  mounts: Record<string, string>;
  /** Unit to "enabled-state active-state". */
  units: Record<string, string>;
  /** The sysctl settings of the drop-ins a hardening role wrote (Debian's own files aside). */
  sysctl: Record<string, string>;
}

/** `keyword value...` lines (sshd -T, ssh -G) to a map; repeated keywords are joined. */
export function keywordMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!match) continue;
    const key = match[1]!.toLowerCase();
    map[key] = map[key] === undefined ? match[2]! : `${map[key]} ${match[2]}`;
  }
  return map;
}

/** Setting lines of a configuration file: no comments (trailing ones too), no blank lines, single spaces. */
export function settingLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/\s#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** `KEY value` or `key = value` lines of a file to a map (a bare word maps to ''). */
export function settingMap(lines: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([^\s=]+)\s*(?:=\s*|\s)?(.*)$/.exec(line);
    if (match) map[match[1]!] = match[2]!.trim();
  }
  return map;
}

function pairs(lines: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of lines) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key) map[key] = rest.join(' ');
  }
  return map;
}

export function parseObservation(output: string): Observation {
  const sections = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith('@@ ')) {
      current = [];
      sections.set(line.slice(3), current);
    } else {
      current.push(line);
    }
  }
  const section = (name: string) => sections.get(name) ?? [];
  const files: Record<string, ObservedFile> = {};
  for (const [header, lines] of sections) {
    const match = /^file (\S+) (\d+) (\S+)$/.exec(header);
    if (match)
      files[match[1]!] = { mode: match[2]!, owner: match[3]!, lines: settingLines(lines.join('\n')) };
  }
  const sysctl: Record<string, string> = {};
  for (const [path, file] of Object.entries(files)) {
    if (path.startsWith('/etc/sysctl.d/') && !DEBIAN_SYSCTL_FILES.includes(path)) {
      Object.assign(sysctl, settingMap(file.lines));
    }
  }
  const moduli: Record<string, number> = {};
  for (const line of section('moduli')) {
    const [count, bits] = line.trim().split(/\s+/);
    if (count && bits) moduli[bits] = Number(count);
  }
  return {
    sshd: keywordMap(section('sshd').join('\n')),
    sshdCompiledDefaults: keywordMap(section('sshd-compiled-defaults').join('\n')),
    ssh: keywordMap(section('ssh').join('\n')),
    sshCompiledDefaults: keywordMap(section('ssh-compiled-defaults').join('\n')),
    files,
    stat: pairs(section('stat')),
    rsaHostKeyBits: section('rsa-host-key-bits').join('').trim(),
    moduli,
    packages: pairs(section('packages')),
    systemAccounts: pairs(section('system-accounts')),
    passwordAgeing: pairs(section('password-ageing')),
    suidSgid: section('suid-sgid').filter(Boolean),
    mounts: pairs(section('mounts')),
    units: pairs(section('units')),
    sysctl,
  };
}

/** A mode as the comparison writes it: four octal digits, then owner:group. */
function modeOf(mode: string | undefined, owner: string | undefined): string | undefined {
  return mode === undefined ? undefined : `${mode.padStart(4, '0')} ${owner}`;
}

function statMode(obs: Observation, path: string): string | undefined {
  const [mode, owner] = (obs.stat[path] ?? '').split(' ');
  return mode ? modeOf(mode, owner) : undefined;
}

/** The first file a role wrote among `paths` (a prefix), Debian's own files aside. */
function writtenFile(obs: Observation, prefix: string, test: (file: ObservedFile) => boolean = () => true) {
  return Object.entries(obs.files).find(
    ([path, file]) => path.startsWith(prefix) && !DEBIAN_SYSCTL_FILES.includes(path) && test(file),
  )?.[1];
}

function fileSettings(obs: Observation, path: string): Record<string, string> | undefined {
  const file = obs.files[path];
  return file ? settingMap(file.lines) : undefined;
}

/** The options of an fstab-style line that say what a mount may do (hidepid included). */
export function restrictingOptions(options: string): string {
  return options
    .split(',')
    .filter((option) => /^(nosuid|nodev|noexec|hidepid=.*)$/.test(option))
    .join(',');
}

const lines = (obs: Observation, path: string) => obs.files[path]?.lines ?? [];

/**
 * What `obs` shows for a setting of roles/hardening/devsec-comparison.ts, in the table's
 * spelling; undefined when a host cannot show it (the value lives only in a role's variables).
 */
export function observedSetting(
  obs: Observation,
  area: string,
  setting: string,
  notSet: string,
): string | undefined {
  switch (area) {
    case 'sshd':
      return setting.startsWith('Match ') ? undefined : (obs.sshd[setting] ?? notSet);
    case 'ssh client':
      return obs.ssh[setting] ?? notSet;
    case 'sysctl':
      return obs.sysctl[setting] ?? notSet;
    case 'login.defs':
      return fileSettings(obs, '/etc/login.defs')?.[setting] ?? notSet;
    case 'faillock.conf':
      return fileSettings(obs, '/etc/security/faillock.conf')?.[setting] ?? notSet;
    case 'auditd.conf':
      return fileSettings(obs, '/etc/audit/auditd.conf')?.[setting] ?? notSet;
    case 'file mode':
      return observedMode(obs, setting);
    default:
      return OTHER[setting]?.(obs, notSet);
  }
}

function observedMode(obs: Observation, setting: string): string | undefined {
  const file = (found: ObservedFile | undefined) => (found ? modeOf(found.mode, found.owner) : undefined);
  switch (setting) {
    case 'sysctl drop-in':
      return file(writtenFile(obs, '/etc/sysctl.d/'));
    case 'core dump limits file':
      return file(writtenFile(obs, '/etc/security/limits.d/', (f) => f.lines.some((l) => / core /.test(l))));
    case 'profile.d core dump file':
      return file(writtenFile(obs, '/etc/profile.d/', (f) => f.lines.some((l) => l.startsWith('ulimit'))));
    default:
      return obs.files[setting] ? file(obs.files[setting]) : statMode(obs, setting);
  }
}

type Probe = (obs: Observation, notSet: string) => string | undefined;

const OTHER: Record<string, Probe> = {
  'core dump size limit (limits.d, every user)': (obs) =>
    Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/security/limits.d/'))
      .flatMap(([, file]) => file.lines)
      .map((line) => /^\* (?:hard|-) core (\S+)$/.exec(line)?.[1])
      .find((value) => value !== undefined),
  'mount options of /dev, /dev/shm and /run (fstab)': (obs, notSet) => {
    const mounts = lines(obs, '/etc/fstab')
      .map((line) => line.split(' '))
      .filter(([, point]) => point === '/dev' || point === '/dev/shm' || point === '/run')
      .map(([, point, , options]) => `${point} ${restrictingOptions(options ?? '')}`);
    return mounts.length > 0 ? mounts.join('; ') : notSet;
  },
  'audit rules': (obs, notSet) => {
    const rules = Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/audit/rules.d/'))
      .flatMap(([, file]) => file.lines)
      .filter((line) => /^-[wa] /.test(line));
    return rules.length > 0 ? `${rules.length} rules` : notSet;
  },
  'systemd-coredump Storage': (obs, notSet) => coredump(obs).Storage ?? notSet,
  'systemd-coredump ProcessSizeMax': (obs, notSet) => coredump(obs).ProcessSizeMax ?? notSet,
  'Diffie-Hellman moduli kept': (obs) =>
    Object.keys(obs.moduli)
      .sort((a, b) => Number(a) - Number(b))
      .join(' '),
  'RSA host key bits': (obs) => obs.rsaHostKeyBits || undefined,
  '/proc mount options': (obs) => {
    const line = lines(obs, '/etc/fstab').find((l) => /^proc \/proc proc /.test(l));
    return line ? restrictingOptions(line.split(' ')[3] ?? '') : undefined;
  },
  'system accounts': (obs) => {
    const open = Object.entries(obs.systemAccounts)
      .filter(([name]) => !['root', 'sync', 'shutdown', 'halt'].includes(name))
      .filter(([, shellAndPassword]) => {
        const [shell, password] = shellAndPassword.split(' ');
        return !/\/(nologin|false)$/.test(shell ?? '') || !/^[*!]$/.test(password ?? '');
      })
      .map(([name]) => name);
    return open.length === 0 ? 'nologin shell, password locked' : `open: ${open.join(' ')}`;
  },
  'home folders of regular users': (obs) => statMode(obs, '/home/bosun')?.split(' ')[0],
  'faillock in PAM (common-auth, common-account)': (obs) => {
    const auth = lines(obs, '/etc/pam.d/common-auth').join('\n');
    const account = lines(obs, '/etc/pam.d/common-account').join('\n');
    const found = [
      /pam_faillock\.so preauth/.test(auth) && 'preauth',
      /pam_faillock\.so authfail/.test(auth) && 'authfail',
      /pam_faillock\.so/.test(account) && 'account',
    ].filter(Boolean);
    return found.join(', ');
  },
  'kernel modules disabled': (obs) =>
    Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/modprobe.d/'))
      .flatMap(([, file]) => file.lines)
      .map((line) => /^install (\S+) \/bin\/(true|false)$/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort()
      .join(' '),
  'password strength module': (obs) => {
    const line = lines(obs, '/etc/pam.d/common-password').find((l) => /pam_(passwdqc|pwquality)\.so/.test(l));
    if (!line) return undefined;
    if (line.includes('pam_passwdqc.so')) {
      return `pam_passwdqc ${line.split('pam_passwdqc.so ')[1]?.trim() ?? ''}`.trim();
    }
    const settings = Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/security/pwquality.conf'))
      .flatMap(([, file]) => file.lines);
    return `pam_pwquality ${settings.map((l) => l.replace(/ = /, '=')).join(' ')}`.trim();
  },
  'key logins after the password expired': (obs) => {
    if (lines(obs, '/etc/pam.d/common-account').some((l) => /pam_unix\.so.*no_pass_expiry/.test(l))) {
      return 'allowed for every PAM service (pam_unix no_pass_expiry)';
    }
    return lines(obs, '/etc/pam.d/sshd').includes('@include bosun-sshd-account')
      ? 'allowed for sshd (its own account stack)'
      : 'refused';
  },
  'idle shell timeout (TMOUT)': (obs, notSet) => {
    const profile = Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/profile.d/'))
      .flatMap(([, file]) => file.lines);
    return profile.map((l) => /^(?:export )?TMOUT=(\d+)$/.exec(l)?.[1]).find(Boolean) ?? notSet;
  },
  'umask of login shells (profile.d)': (obs, notSet) => {
    const profile = Object.entries(obs.files)
      .filter(([path]) => path.startsWith('/etc/profile.d/'))
      .flatMap(([, file]) => file.lines);
    return profile.map((l) => /^umask (\d+)$/.exec(l)?.[1]).find(Boolean) ?? notSet;
  },
  'ssh.socket': (obs) => obs.units['ssh.socket']?.split(' ')[0],
  'systemd-journald-audit.socket': (obs) => obs.units['systemd-journald-audit.socket']?.split(' ')[0],
  // Debian's own ageing ('0 99999 7') cannot tell a role that leaves it from one turned off.
  'password ageing of existing accounts': (obs) => {
    const ageing = obs.passwordAgeing.pwuser;
    return ageing === undefined || ageing === '0 99999 7'
      ? undefined
      : `${ageing.split(' ').join('/')} days for every regular account with a password`;
  },
  '/etc/securetty': (obs, notSet) =>
    obs.files['/etc/securetty'] ? lines(obs, '/etc/securetty').join(' ') : notSet,
  '/etc/default/ufw': (obs, notSet) => {
    const ufw = fileSettings(obs, '/etc/default/ufw');
    if (!ufw) return notSet;
    const policy = (key: string) => ufw[key]?.replace(/^=?"?|"$/g, '');
    return `input ${policy('DEFAULT_INPUT_POLICY')}, output ${policy('DEFAULT_OUTPUT_POLICY')}, forward ${policy('DEFAULT_FORWARD_POLICY')}`;
  },
  'pam_motd in /etc/pam.d/sshd': (obs) =>
    lines(obs, '/etc/pam.d/sshd').some((l) => l.includes('pam_motd.so')) ? 'kept' : 'removed',
};

function coredump(obs: Observation): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [path, file] of Object.entries(obs.files)) {
    if (!path.startsWith('/etc/systemd/coredump.conf.d/')) continue;
    for (const line of file.lines) {
      const match = /^(\w+)=(.*)$/.exec(line);
      if (match) settings[match[1]!] = match[2]!;
    }
  }
  return settings;
}
