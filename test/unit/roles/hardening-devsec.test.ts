/**
 * roles/hardening/devsec-comparison.ts against both sides it describes: Bosun's column against
 * the role itself (parameter defaults, rendered templates and tasks, not a copy of them), so a
 * default changed without the table fails here; dev-sec's column against a recorded run of
 * dev-sec's roles (test/fixtures/hardening/devsec-observed.json, bench/devsec-compare.run.ts);
 * and the table against both runs' settings, so no setting either side manages is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  type Comparison,
  DEVSEC_COMPARISON,
  devsecReadmeSection,
  NOT_MANAGED,
  NOT_SET,
} from '../../../roles/hardening/devsec-comparison.js';
import role from '../../../roles/hardening/index.js';
import { DEFAULT_FILE_PERMISSIONS, hardeningParams } from '../../../roles/hardening/params.js';
import { SSH_SOCKET_SCRIPT } from '../../../roles/hardening/scripts.js';
import { packageRolesDir } from '../../../src/model/role-loader.js';
import { VarScope } from '../../../src/vars/scope.js';
import { renderTemplateFile, renderValue } from '../../../src/vars/template.js';
import {
  keywordMap,
  type Observation,
  observedSetting,
  restrictingOptions,
  settingLines,
  settingMap,
} from '../../support/hardening-observe.js';

interface Recorded {
  devsec: { collection: string; observed: Observation };
  bosun: { observed: Observation };
  untouched: { observed: Observation };
}

const RECORDED = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/hardening/devsec-observed.json'), 'utf8'),
) as Recorded;
const DEVSEC = RECORDED.devsec.observed;
const UNTOUCHED = RECORDED.untouched.observed;

// ------------------------------------------------------------------ Bosun's values, from the role
const DEFAULTS = Value.Default(hardeningParams, {}) as Record<string, unknown> & {
  hardening_disabled_filesystems: string[];
  hardening_disabled_protocols: string[];
  hardening_disabled_drivers: string[];
  hardening_modules_whitelist: string[];
  hardening_packages_remove: string[];
  hardening_suid_sgid_blacklist: string[];
  hardening_suid_sgid_whitelist: string[];
  hardening_auditd_rules: string[];
  hardening_pwquality: Record<string, string | number>;
};
const TEMPLATES = join(packageRolesDir(), 'hardening', 'templates');
const AT = { file: 'index.ts', line: 1, column: 1 };

/** The role's variables on a Debian 12 host (OpenSSH 9.2) where no candidate module is in use. */
const SCOPE = VarScope.from([
  { layer: 'role defaults', source: 'hardening defaults', values: DEFAULTS },
  {
    layer: 'facts',
    source: 'a Debian 12 host',
    values: {
      hardening_openssh_version: 902,
      hardening_ssh_debian_banner: true,
      hardening_in_container: false,
      hardening_systemd: true,
      ansible_check_mode: false,
      hardening_modprobe_facts: {
        stdout_lines: [
          ...DEFAULTS.hardening_disabled_filesystems,
          ...DEFAULTS.hardening_disabled_protocols,
          ...DEFAULTS.hardening_disabled_drivers,
        ].filter((name) => !DEFAULTS.hardening_modules_whitelist.includes(name)),
      },
    },
  },
]);

function rendered(template: string): string {
  const file = join(TEMPLATES, template);
  return renderTemplateFile(readFileSync(file, 'utf8'), SCOPE, file);
}

function task(name: string): Record<string, unknown> {
  const found = role.tasks.find((t) => t.name === name);
  if (!found) throw new Error(`no task "${name}" in the hardening role`);
  return found;
}

/** The module arguments of a task, rendered with the role's defaults. */
function args(name: string): Record<string, string> {
  const found = task(name);
  const module = found.template ?? found.copy ?? found.lineinfile;
  return renderValue(module, SCOPE, AT) as Record<string, string>;
}

/** Owner, group and mode a file task gives its file (literal values, nothing to render). */
function modeOf(name: string): string {
  const found = task(name);
  const module = (found.template ?? found.copy) as Record<string, string>;
  return `${module.mode} ${module.owner}:${module.group}`;
}

/**
 * sshd_config directives (outside Match blocks) in `sshd -T` spelling, over OpenSSH's own
 * defaults for what the file leaves out.
 */
function effectiveSshd(): Record<string, string> {
  const config = rendered('sshd_config.hbs');
  const global = config.split(/^Match /m)[0]!;
  const written = keywordMap(settingLines(global).join('\n'));
  const effective = { ...UNTOUCHED.sshdCompiledDefaults };
  for (const [keyword, value] of Object.entries(written)) {
    const key = keyword === 'challengeresponseauthentication' ? 'kbdinteractiveauthentication' : keyword;
    effective[key] = sshdSpelling(key, value);
  }
  return effective;
}

/** How `sshd -T` prints a value written in sshd_config. */
function sshdSpelling(key: string, value: string): string {
  if (key === 'fingerprinthash') return value.toUpperCase();
  if (key === 'rekeylimit') {
    const [size = '', time = ''] = value.split(' ');
    const bytes = Number.parseInt(size, 10) * 1024 ** ' KMG'.indexOf(size.slice(-1).toUpperCase());
    const seconds = Number.parseInt(time, 10) * { s: 1, m: 60, h: 3600 }[time.slice(-1) as 's' | 'm' | 'h'];
    return `${bytes} ${seconds}`;
  }
  return value;
}

/** ssh_config's `Host *` settings in `ssh -G` spelling, over the client's own defaults. */
function effectiveSsh(): Record<string, string> {
  const config = rendered('ssh_config.hbs');
  const host = config.split(/^Host \*$/m)[1] ?? '';
  const written = keywordMap(settingLines(host).join('\n'));
  const effective = { ...UNTOUCHED.sshCompiledDefaults };
  for (const [key, value] of Object.entries(written)) {
    // ssh -G prints some yes/no options as true/false.
    const boolean = /^(true|false)$/.test(effective[key] ?? '');
    effective[key] = boolean ? value.replace(/^yes$/, 'true').replace(/^no$/, 'false') : value;
  }
  return effective;
}

function sysctl(): Record<string, string> {
  const lines = renderValue(task('compute the sysctl settings').set_fact, SCOPE, AT) as Record<
    string,
    string
  >;
  return settingMap(settingLines(lines.hardening_sysctl_lines ?? ''));
}

function copied(name: string): string[] {
  return settingLines(args(name).content ?? '');
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const permission = (path: string) => {
  const entry = DEFAULT_FILE_PERMISSIONS.find((p) => p.path === path);
  return entry && `${entry.mode} ${entry.owner}:${entry.group}`;
};

const FILE_MODES: Record<string, () => string | undefined> = {
  '/etc/login.defs': () => modeOf('write /etc/login.defs'),
  '/etc/ssh/sshd_config': () =>
    modeOf('write sshd_config (checked with sshd -t before it replaces the old one)'),
  '/etc/ssh/ssh_config': () => modeOf('write the SSH client defaults'),
  '/etc/ssh/revoked_keys': () => modeOf('revoked SSH keys'),
  '/etc/audit/auditd.conf': () => modeOf('auditd settings'),
  'sysctl drop-in': () => modeOf('write the sysctl drop-in file'),
  'core dump limits file': () => modeOf('disable core dumps (limits)'),
  'profile.d core dump file': () => modeOf('login shells: umask, core dumps and idle timeout'),
  '/usr/bin/su': () => (DEFAULTS.hardening_restrict_su ? '0750 root:root' : undefined),
};

const OTHER: Record<string, () => string> = {
  'core dump size limit (limits.d, every user)': () =>
    copied('disable core dumps (limits)')
      .map((l) => /^\* hard core (\S+)$/.exec(l)?.[1])
      .find(Boolean) ?? NOT_SET,
  'systemd-coredump Storage': () =>
    settingMap(copied('disable core dumps (systemd-coredump)').map((l) => l.replace('=', ' '))).Storage ??
    NOT_SET,
  'systemd-coredump ProcessSizeMax': () =>
    settingMap(copied('disable core dumps (systemd-coredump)').map((l) => l.replace('=', ' ')))
      .ProcessSizeMax ?? NOT_SET,
  'Diffie-Hellman moduli kept': () =>
    Object.keys(UNTOUCHED.moduli)
      .filter((bits) => Number(bits) >= Number(DEFAULTS.hardening_ssh_moduli_min_bits))
      .sort((a, b) => Number(a) - Number(b))
      .join(' '),
  'RSA host key bits': () => String(DEFAULTS.hardening_ssh_rsa_host_key_bits),
  'SUID/SGID bits removed from': () =>
    [...new Set(DEFAULTS.hardening_suid_sgid_blacklist.map(basename))].join(', '),
  'SUID/SGID bits removed from every other program': () =>
    DEFAULTS.hardening_suid_sgid_remove_unknown ? 'yes' : 'no',
  'SUID/SGID whitelist': () => `${DEFAULTS.hardening_suid_sgid_whitelist.length} paths`,
  '/proc mount options': () =>
    restrictingOptions(
      args('hide the processes of other users (/proc hidepid, in /etc/fstab)').line!.split(' ')[3]!,
    ),
  'system accounts': () =>
    DEFAULTS.hardening_system_accounts_nologin ? 'nologin shell, password locked' : 'open',
  'home folders of regular users': () => String(DEFAULTS.hardening_home_dirs_mode),
  'group/other write bits in system paths': () =>
    DEFAULTS.hardening_permissions_enabled && (DEFAULTS.hardening_system_paths as string[]).length > 0
      ? 'removed'
      : 'kept',
  '.rhosts, .netrc, hosts.equiv': () => (DEFAULTS.hardening_permissions_enabled ? 'removed' : 'kept'),
  'faillock in PAM (common-auth, common-account)': () => {
    const profiles = rendered('pam-faillock.hbs') + rendered('pam-faillock-authfail.hbs');
    return [
      /pam_faillock\.so preauth/.test(profiles) && 'preauth',
      /pam_faillock\.so authfail/.test(profiles) && 'authfail',
      /Account:\s+required\s+pam_faillock\.so/.test(profiles) && 'account',
    ]
      .filter(Boolean)
      .join(', ');
  },
  'sshd_config.d drop-ins read': () => (DEFAULTS.hardening_ssh_use_dropins ? 'yes' : 'no'),
  'kernel modules disabled': () =>
    settingLines(rendered('modprobe.conf.hbs'))
      .map((l) => /^install (\S+) \/bin\/true$/.exec(l)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort()
      .join(' '),
  'packages purged': () =>
    DEFAULTS.hardening_packages_clean ? [...DEFAULTS.hardening_packages_remove].sort().join(' ') : NOT_SET,
  'password strength module': () =>
    `pam_pwquality ${Object.entries(DEFAULTS.hardening_pwquality)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  'key logins after the password expired': () =>
    DEFAULTS.hardening_key_login_after_password_expiry
      ? 'allowed for sshd (its own account stack)'
      : 'refused',
  'idle shell timeout (TMOUT)': () => String(DEFAULTS.hardening_shell_timeout),
  'umask of login shells (profile.d)': () =>
    settingLines(rendered('profile.sh.hbs'))
      .map((l) => /^umask (\d+)$/.exec(l)?.[1])
      .find(Boolean) ?? NOT_SET,
  'ssh.socket': () => (/systemctl disable ssh\.socket/.test(SSH_SOCKET_SCRIPT) ? 'disabled' : 'enabled'),
  'audit rules': () => `${DEFAULTS.hardening_auditd_rules.length} rules`,
};

/** What the role does not do at all: no task touches these. */
const UNMANAGED: Record<string, RegExp> = {
  'password ageing of existing accounts': /chage|password_expire/,
  'mount options of /dev, /dev/shm and /run (fstab)': /\/dev\/shm/,
  '/etc/securetty': /securetty/,
  '/etc/default/ufw': /ufw/,
  'systemd-journald-audit.socket': /journald-audit/,
  'pam_motd in /etc/pam.d/sshd': /pam_motd/,
};

function bosunValue(row: Comparison): string | undefined {
  switch (row.area) {
    case 'sshd':
      return row.setting.startsWith('Match ')
        ? rendered('sshd_config.hbs').includes(row.setting)
          ? 'present'
          : NOT_SET
        : effectiveSshd()[row.setting];
    case 'ssh client':
      return effectiveSsh()[row.setting];
    case 'sysctl':
      return sysctl()[row.setting] ?? NOT_SET;
    case 'login.defs':
      return settingMap(settingLines(rendered('login.defs.hbs')))[row.setting] ?? NOT_SET;
    case 'faillock.conf':
      return settingMap(settingLines(rendered('faillock.conf.hbs')))[row.setting] ?? NOT_SET;
    case 'auditd.conf':
      return settingMap(settingLines(rendered('auditd.conf.hbs')))[row.setting] ?? NOT_SET;
    case 'file mode':
      return (FILE_MODES[row.setting] ?? (() => permission(row.setting)))();
    default: {
      if (OTHER[row.setting]) return OTHER[row.setting]!();
      const unmanaged = UNMANAGED[row.setting];
      if (!unmanaged) return undefined;
      const everything = JSON.stringify([role.tasks, role.handlers]);
      return unmanaged.test(everything) ? 'managed' : NOT_MANAGED;
    }
  }
}

const key = (row: Comparison) => `${row.area} ${row.setting}`;

describe('the dev-sec comparison', () => {
  it('names each setting once', () => {
    const keys = DEVSEC_COMPARISON.map(key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('gives a reason exactly where Bosun differs from dev-sec', () => {
    const missing = DEVSEC_COMPARISON.filter((row) => row.devsec !== row.bosun && !row.reason?.trim());
    const needless = DEVSEC_COMPARISON.filter((row) => row.devsec === row.bosun && row.reason !== undefined);
    expect(missing.map(key), 'differences without a reason').toEqual([]);
    expect(needless.map(key), 'a reason for a value that is the same').toEqual([]);
  });

  it.each(DEVSEC_COMPARISON.map((row) => [key(row), row] as const))(
    "Bosun's column is the role's default: %s",
    (_key, row) => {
      const actual = bosunValue(row);
      expect(actual, `no way to read "${row.setting}" from the role: add one to this test`).toBeDefined();
      expect(
        actual,
        `the role's default for ${key(row)} is not what roles/hardening/devsec-comparison.ts says: update the table (and the reason for the difference)`,
      ).toBe(row.bosun);
    },
  );

  it.each(DEVSEC_COMPARISON.map((row) => [key(row), row] as const))(
    "dev-sec's column is what its recorded run left: %s",
    (_key, row) => {
      const observed = observedSetting(DEVSEC, row.area, row.setting, NOT_SET);
      if (observed === undefined) return; // only in dev-sec's variables (read from its defaults)
      expect(observed, `dev-sec's run left another value for ${key(row)}`).toBe(row.devsec);
    },
  );

  it('covers every setting either side writes', () => {
    const listed = (area: string) =>
      new Set(DEVSEC_COMPARISON.filter((r) => r.area === area).map((r) => r.setting));
    const missing = (area: string, settings: Iterable<string>) =>
      [...settings].filter((s) => !listed(area).has(s));
    // sshd and the client: all dev-sec sets (what differs from OpenSSH's defaults) and all Bosun writes.
    const devsecSshd = Object.keys(DEVSEC.sshd).filter(
      (k) => DEVSEC.sshd[k] !== UNTOUCHED.sshdCompiledDefaults[k],
    );
    const bosunSshd = Object.keys(
      keywordMap(settingLines(rendered('sshd_config.hbs').split(/^Match /m)[0]!).join('\n')),
    )
      .map((k) => (k === 'challengeresponseauthentication' ? 'kbdinteractiveauthentication' : k))
      // Debian's own option: its sshd -T does not print it, so neither run can show it.
      .filter((k) => k !== 'debianbanner');
    expect(missing('sshd', [...devsecSshd, ...bosunSshd])).toEqual([]);
    const devsecSsh = Object.keys(DEVSEC.ssh).filter(
      (k) => DEVSEC.ssh[k] !== UNTOUCHED.sshCompiledDefaults[k],
    );
    const bosunSsh = Object.keys(
      keywordMap(settingLines(rendered('ssh_config.hbs').split(/^Host \*$/m)[1]!).join('\n')),
    );
    expect(missing('ssh client', [...devsecSsh, ...bosunSsh])).toEqual([]);
    expect(missing('sysctl', [...Object.keys(DEVSEC.sysctl), ...Object.keys(sysctl())])).toEqual([]);
    const file = (path: string, template: string) => [
      ...Object.keys(settingMap(DEVSEC.files[path]?.lines ?? [])),
      ...Object.keys(settingMap(settingLines(rendered(template)))),
    ];
    expect(missing('login.defs', file('/etc/login.defs', 'login.defs.hbs'))).toEqual([]);
    expect(missing('faillock.conf', file('/etc/security/faillock.conf', 'faillock.conf.hbs'))).toEqual([]);
    expect(missing('auditd.conf', file('/etc/audit/auditd.conf', 'auditd.conf.hbs'))).toEqual([]);
  });

  it('was recorded against the dev-sec release it names', async () => {
    const { DEVSEC_REFERENCE } = await import('../../../roles/hardening/devsec-comparison.js');
    expect(RECORDED.devsec.collection).toBe(DEVSEC_REFERENCE);
  });

  it('puts every difference, with its reason, into the README', () => {
    expect(role.readme).toContainEqual(devsecReadmeSection());
    const { markdown } = devsecReadmeSection();
    for (const row of DEVSEC_COMPARISON.filter((r) => r.devsec !== r.bosun)) {
      expect(markdown).toContain(`| ${row.bosun === NOT_MANAGED ? '' : `${row.area} | `}${row.setting} |`);
      expect(markdown).toContain(row.reason!.replace(/\|/g, '\\|'));
    }
  });
});
