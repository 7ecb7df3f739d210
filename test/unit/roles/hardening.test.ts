/**
 * The hardening role without a host: its parameters (defaults, descriptions, refusals with the
 * exact message a user sees), the templates rendered for each OpenSSH version (algorithm
 * choice), the merged sysctl set, and the shell scripts (syntax; the read-only ones run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import role from '../../../roles/hardening/index.js';
import { DEFAULT_SYSCTL, hardeningParams } from '../../../roles/hardening/params.js';
import * as scripts from '../../../roles/hardening/scripts.js';
import type { LoadedRole } from '../../../src/model/playbook-types.js';
import { checkRoleParams, packageRolesDir, RoleLoader } from '../../../src/model/role-loader.js';
import { registryCatalog } from '../../../src/model/task-modules.js';
import { parseYaml } from '../../../src/model/yaml-source.js';
import { VarScope } from '../../../src/vars/scope.js';
import { renderTemplateFile, renderValue } from '../../../src/vars/template.js';

const TEMPLATES = join(packageRolesDir(), 'hardening', 'templates');
const DEFAULTS = Value.Default(hardeningParams, {}) as Record<string, unknown>;

function scope(values: Record<string, unknown>): VarScope {
  return VarScope.from([
    { layer: 'role defaults', source: 'hardening defaults', values: DEFAULTS },
    {
      layer: 'facts',
      source: 'test',
      values: {
        hardening_openssh_version: 902,
        hardening_ssh_debian_banner: true,
        ansible_check_mode: false,
        ...values,
      },
    },
  ]);
}

function render(template: string, values: Record<string, unknown> = {}): string {
  const file = join(TEMPLATES, template);
  return renderTemplateFile(readFileSync(file, 'utf8'), scope(values), file);
}

/** The value of `Directive` in a rendered sshd_config (undefined when absent). */
function directive(config: string, name: string): string | undefined {
  const line = config.split('\n').find((l) => l.startsWith(`${name} `));
  return line?.slice(name.length + 1);
}

function task(name: string): Record<string, unknown> {
  const found = role.tasks.find((t) => t.name === name);
  if (!found) throw new Error(`no task "${name}"`);
  return found;
}

describe('hardening parameters', () => {
  it('every parameter has a description and a default, and the defaults pass the schema', () => {
    const properties = (hardeningParams as TSchema & { properties: Record<string, TSchema> }).properties;
    const missing = Object.entries(properties)
      .filter(([, schema]) => typeof schema.description !== 'string' || !('default' in schema))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    expect(Value.Check(hardeningParams, DEFAULTS)).toBe(true);
    expect(Object.keys(properties).every((name) => name.startsWith('hardening_'))).toBe(true);
  });

  it('defaults cover the dev-sec sysctl set and lynis scan profile keys', () => {
    for (const key of [
      'fs.protected_hardlinks',
      'fs.protected_symlinks',
      'fs.protected_fifos',
      'fs.protected_regular',
      'fs.suid_dumpable',
      'kernel.kptr_restrict',
      'kernel.sysrq',
      'kernel.randomize_va_space',
      'kernel.yama.ptrace_scope',
      'net.ipv4.conf.all.rp_filter',
      'net.ipv4.icmp_echo_ignore_broadcasts',
      'net.ipv4.conf.all.accept_redirects',
      'net.ipv4.conf.all.send_redirects',
      'net.ipv4.conf.all.accept_source_route',
      'net.ipv4.conf.all.log_martians',
      'net.ipv4.tcp_syncookies',
      'net.ipv6.conf.all.accept_ra',
      'net.ipv6.conf.default.accept_ra',
    ]) {
      expect(DEFAULT_SYSCTL, key).toHaveProperty([key]);
    }
  });

  describe('bad parameters are refused before any host is touched, with a located message', async () => {
    const loaded: LoadedRole = await new RoleLoader({
      searchPath: [packageRolesDir()],
      catalog: registryCatalog,
    }).load('hardening');

    const cases: [string, string][] = [
      [
        'hardening_ssh_port: 2222',
        'playbook.yml:2:3: params.hardening_ssh_port: unknown parameter "hardening_ssh_port" of role "hardening"; did you mean "hardening_ssh_ports"?',
      ],
      [
        'hardening_ssh_permit_root_login: maybe',
        'playbook.yml:2:36: params.hardening_ssh_permit_root_login: must be one of: "no", "prohibit-password", "forced-commands-only", "yes"',
      ],
      [
        'hardening_ssh_max_auth_tries: 0',
        'playbook.yml:2:33: params.hardening_ssh_max_auth_tries: must be >= 1',
      ],
      [
        "hardening_umask: '0777x'",
        'playbook.yml:2:20: params.hardening_umask: must match pattern "^0?[0-7]{3}$"',
      ],
      [
        'hardening_file_permissions: [{path: etc/x, owner: root, group: root, mode: "0600"}]',
        'playbook.yml:2:39: params.hardening_file_permissions[0].path: must match pattern "^/[^\\s]*$"',
      ],
      [
        'hardening_sysctl_overrides: {"kernel.x": [1]}',
        'playbook.yml:2:44: params.hardening_sysctl_overrides["kernel.x"]: must be a string or a number or empty, got a list',
      ],
      [
        'hardening_ssh_host_key_types: [dsa]',
        'playbook.yml:2:34: params.hardening_ssh_host_key_types[0]: must be one of: "ed25519", "rsa", "ecdsa"; did you mean "rsa"?',
      ],
      [
        'hardening_ssh_ports: []',
        'playbook.yml:2:24: params.hardening_ssh_ports: must NOT have fewer than 1 items',
      ],
      [
        'hardening_disabled_filesystems: ["vfat; rm -rf /"]',
        'playbook.yml:2:36: params.hardening_disabled_filesystems[0]: must match pattern "^[A-Za-z0-9_-]+$"',
      ],
      [
        'hardening_ssh_allow_users: ["bosun\\nPermitRootLogin yes"]',
        'playbook.yml:2:31: params.hardening_ssh_allow_users[0]: must match pattern "^\\S+$"',
      ],
      [
        'hardening_ssh_extra_config: ["Match User x\\nX11Forwarding yes"]',
        'playbook.yml:2:32: params.hardening_ssh_extra_config[0]: must match pattern "^[^\\n\\r]*$"',
      ],
      [
        'hardening_ssh_rsa_host_key_bits: 1024',
        'playbook.yml:2:36: params.hardening_ssh_rsa_host_key_bits: must be >= 2048',
      ],
      [
        'hardening_sysctl_enabled: "yes"',
        'playbook.yml:2:29: params.hardening_sysctl_enabled: must be true or false, got a string',
      ],
      [
        'hardening_ssh_allow_users: alice',
        'playbook.yml:2:30: params.hardening_ssh_allow_users: must be a list, got a string',
      ],
    ];

    it.each(cases)('%s', (param, message) => {
      const source = parseYaml(`params:\n  ${param}\n`, 'playbook.yml');
      const params = (source.data as { params: Record<string, unknown> }).params;
      const ref = { name: 'hardening', params, at: source.positionOf([]), tags: [], source, path: [] };
      expect(() => checkRoleParams(loaded, ref)).toThrow(message);
    });

    it('accepts the defaults and typical overrides', () => {
      const source = parseYaml(
        [
          'params:',
          '  hardening_ssh_allow_groups: [ops, "adm*"]',
          '  hardening_ssh_tcp_forwarding: local',
          '  hardening_sysctl_overrides: {net.ipv4.ip_forward: 1, kernel.sysrq: null}',
          '  hardening_packages_install: []',
        ].join('\n'),
        'playbook.yml',
      );
      const params = (source.data as { params: Record<string, unknown> }).params;
      const ref = { name: 'hardening', params, at: source.positionOf([]), tags: [], source, path: [] };
      expect(() => checkRoleParams(loaded, ref)).not.toThrow();
    });
  });
});

describe('hardening tasks', () => {
  it('checks for a lock-out before any task that changes the host', () => {
    const names = role.tasks.map((t) => t.name);
    const refusal = names.indexOf('refuse SSH settings that would lock the connecting user out');
    expect(refusal).toBe(3);
    // Before it: facts only (read-only scripts and set_fact).
    for (const t of role.tasks.slice(0, refusal)) {
      expect(t.set_fact !== undefined || (t.check_mode === false && t.changed_when === false)).toBe(true);
    }
  });

  it('validates sshd_config with sshd -t and reloads (never restarts) sshd', () => {
    const sshd = task('write sshd_config (checked with sshd -t before it replaces the old one)');
    expect(sshd.template).toMatchObject({ validate: '/usr/sbin/sshd -t -f %s', mode: '0600' });
    expect(sshd.notify).toBe('reload sshd');
    const handler = role.handlers?.find((h) => h.name === 'reload sshd') ?? {};
    const script = (handler.shell as { cmd: string }).cmd;
    expect(script).toContain('systemctl reload ssh.service');
    expect(script).not.toMatch(/restart/);
  });

  it('merges the sysctl set: overrides replace, null removes, forwarding and IPv6 switches', () => {
    const lines = (values: Record<string, unknown>) =>
      String(
        renderValue(
          (task('compute the sysctl settings').set_fact as Record<string, unknown>).hardening_sysctl_lines,
          scope(values),
          { file: 'index.ts', line: 1, column: 1 },
        ),
      )
        .split('\n')
        .filter(Boolean);
    const plain = lines({});
    expect(plain).toContain('kernel.sysrq = 0');
    expect(plain).toContain('net.ipv4.ip_forward = 0');
    expect(plain).toContain('net.ipv6.conf.all.forwarding = 0');
    expect(plain.some((l) => l.includes('disable_ipv6'))).toBe(false);
    expect(plain).toHaveLength(Object.keys(DEFAULT_SYSCTL).length + 2);

    const changed = lines({
      hardening_sysctl_overrides: { 'kernel.sysrq': 176, 'vm.mmap_min_addr': null, 'vm.swappiness': 10 },
      hardening_ip_forwarding: true,
      hardening_disable_ipv6: true,
    });
    expect(changed).toContain('kernel.sysrq = 176');
    expect(changed).not.toContain('kernel.sysrq = 0');
    expect(changed.some((l) => l.startsWith('vm.mmap_min_addr'))).toBe(false);
    expect(changed).toContain('vm.swappiness = 10');
    expect(changed).toContain('net.ipv4.ip_forward = 1');
    expect(changed).toContain('net.ipv6.conf.all.disable_ipv6 = 1');

    const forwarding = lines({ hardening_sysctl_overrides: { 'net.ipv4.ip_forward': 1 } });
    expect(forwarding.filter((l) => l.startsWith('net.ipv4.ip_forward'))).toEqual([
      'net.ipv4.ip_forward = 1',
    ]);
  });

  it('passes lists to the scripts one per line', () => {
    const env = renderValue(task('remove SUID/SGID bits from dangerous programs').environment, scope({}), {
      file: 'index.ts',
      line: 1,
      column: 1,
    }) as Record<string, string>;
    expect(env.BLACKLIST!.split('\n')).toContain('/usr/lib/openssh/ssh-keysign');
    expect(env.WHITELIST!.split('\n')).toContain('/usr/bin/sudo');
  });
});

describe('sshd_config: algorithms chosen by OpenSSH version', () => {
  const cases: {
    version: number;
    kex: string | undefined;
    ciphers: string | undefined;
    macs: string | undefined;
    hostKeys: string | undefined;
  }[] = [
    {
      version: 0,
      kex: undefined,
      ciphers: undefined,
      macs: undefined,
      hostKeys: undefined,
    },
    {
      version: 702,
      kex: 'curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256',
      ciphers:
        'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr',
      macs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
      hostKeys: 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    },
    {
      // Debian 10 (7.9), Ubuntu 20.04 (8.2): no post-quantum exchange yet.
      version: 802,
      kex: 'curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256',
      ciphers:
        'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr',
      macs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
      hostKeys: 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    },
    {
      // Debian 12 (9.2), Ubuntu 22.04 (8.9): sntrup761x25519.
      version: 902,
      kex: 'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256',
      ciphers:
        'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr',
      macs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
      hostKeys: 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    },
    {
      // Debian 13 (10.0): ML-KEM hybrid first.
      version: 1000,
      kex: 'mlkem768x25519-sha256,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256',
      ciphers:
        'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr',
      macs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
      hostKeys: 'ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
    },
  ];

  it.each(cases)('OpenSSH $version', ({ version, kex, ciphers, macs, hostKeys }) => {
    const config = render('sshd_config.hbs', { hardening_openssh_version: version });
    expect(directive(config, 'KexAlgorithms')).toBe(kex);
    expect(directive(config, 'Ciphers')).toBe(ciphers);
    expect(directive(config, 'MACs')).toBe(macs);
    expect(directive(config, 'HostKeyAlgorithms')).toBe(hostKeys);
    // No weak choice whatever the version.
    expect(config).not.toMatch(/ecdh-sha2|diffie-hellman-group1-|group14-sha1|hmac-sha1|-cbc|ssh-rsa[,\n]/);
  });

  it('uses the 8.7 name of keyboard-interactive authentication only where it exists', () => {
    expect(
      directive(
        render('sshd_config.hbs', { hardening_openssh_version: 806 }),
        'ChallengeResponseAuthentication',
      ),
    ).toBe('no');
    expect(
      directive(
        render('sshd_config.hbs', { hardening_openssh_version: 807 }),
        'KbdInteractiveAuthentication',
      ),
    ).toBe('no');
  });

  it('takes algorithm lists and host key types from the parameters', () => {
    const config = render('sshd_config.hbs', {
      hardening_ssh_kex: ['curve25519-sha256'],
      hardening_ssh_ciphers: ['aes256-gcm@openssh.com'],
      hardening_ssh_macs: ['hmac-sha2-256-etm@openssh.com'],
      hardening_ssh_host_key_types: ['ed25519'],
    });
    expect(directive(config, 'KexAlgorithms')).toBe('curve25519-sha256');
    expect(directive(config, 'Ciphers')).toBe('aes256-gcm@openssh.com');
    expect(directive(config, 'MACs')).toBe('hmac-sha2-256-etm@openssh.com');
    expect(directive(config, 'HostKeyAlgorithms')).toBe('ssh-ed25519');
    expect(config.split('\n').filter((l) => l.startsWith('HostKey '))).toEqual([
      'HostKey /etc/ssh/ssh_host_ed25519_key',
    ]);
  });
});

describe('sshd_config: the other settings', () => {
  it('defaults: keys only, no root, no forwarding, verbose logging, short grace time, sftp', () => {
    const config = render('sshd_config.hbs');
    const expected: Record<string, string> = {
      PermitRootLogin: 'no',
      PasswordAuthentication: 'no',
      AuthenticationMethods: 'publickey',
      PubkeyAuthentication: 'yes',
      KbdInteractiveAuthentication: 'no',
      PermitEmptyPasswords: 'no',
      StrictModes: 'yes',
      LogLevel: 'VERBOSE',
      LoginGraceTime: '30',
      MaxAuthTries: '3',
      MaxSessions: '4',
      AllowTcpForwarding: 'no',
      AllowAgentForwarding: 'no',
      X11Forwarding: 'no',
      PermitTunnel: 'no',
      GatewayPorts: 'no',
      ClientAliveInterval: '300',
      ClientAliveCountMax: '2',
      TCPKeepAlive: 'no',
      Compression: 'no',
      UseDNS: 'no',
      UsePAM: 'yes',
      IgnoreRhosts: 'yes',
      HostbasedAuthentication: 'no',
      PermitUserEnvironment: 'no',
      Banner: '/etc/issue.net',
      DebianBanner: 'no',
      Subsystem: 'sftp internal-sftp -f AUTHPRIV -l INFO -u 027',
      KerberosOrLocalPasswd: 'no',
      Port: '22',
      AddressFamily: 'any',
    };
    for (const [name, value] of Object.entries(expected)) expect(directive(config, name), name).toBe(value);
    expect(config).not.toContain('Include');
    expect(config).not.toContain('AllowUsers');
    // Clients pass no environment variables unless hardening_ssh_accept_env names them.
    expect(config).not.toContain('AcceptEnv');
    expect(directive(render('sshd_config.hbs', { hardening_ssh_accept_env: 'LANG LC_*' }), 'AcceptEnv')).toBe(
      'LANG LC_*',
    );
  });

  it('follows the parameters', () => {
    const config = render('sshd_config.hbs', {
      hardening_ssh_ports: [22, 2222],
      hardening_ssh_password_authentication: true,
      hardening_ssh_allow_users: ['bosun', 'ops@10.0.0.*'],
      hardening_ssh_allow_groups: ['adm'],
      hardening_ssh_tcp_forwarding: 'local',
      hardening_ssh_sftp_enabled: false,
      hardening_ssh_use_dropins: true,
      hardening_banner: '',
      hardening_disable_ipv6: true,
      hardening_ssh_debian_banner: false,
      hardening_ssh_extra_config: ['Match User backup', '  ForceCommand /usr/local/bin/backup'],
    });
    expect(config.split('\n').filter((l) => l.startsWith('Port '))).toEqual(['Port 22', 'Port 2222']);
    expect(directive(config, 'PasswordAuthentication')).toBe('yes');
    expect(directive(config, 'AuthenticationMethods')).toBeUndefined();
    expect(directive(config, 'AllowUsers')).toBe('bosun ops@10.0.0.*');
    expect(directive(config, 'AllowGroups')).toBe('adm');
    expect(directive(config, 'AllowTcpForwarding')).toBe('local');
    expect(directive(config, 'Subsystem')).toBeUndefined();
    expect(directive(config, 'Banner')).toBe('none');
    expect(directive(config, 'AddressFamily')).toBe('inet');
    expect(directive(config, 'DebianBanner')).toBeUndefined();
    expect(directive(config, 'Include')).toBe('/etc/ssh/sshd_config.d/*.conf');
    expect(config.trimEnd().endsWith('Match User backup\n  ForceCommand /usr/local/bin/backup')).toBe(true);
  });

  it('hardens the client with the same algorithms', () => {
    const client = render('ssh_config.hbs');
    expect(client).toContain('    KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,');
    expect(client).toContain(
      '    MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
    );
    expect(client).toContain('    ForwardAgent no');
    expect(client).toContain('    HashKnownHosts yes');
  });
});

describe('other templates', () => {
  it('login.defs: ageing, retries, timeout, umask 027, SHA512 rounds, id ranges', () => {
    const defs = render('login.defs.hbs');
    for (const line of [
      /^PASS_MAX_DAYS\s+60$/m,
      /^PASS_MIN_DAYS\s+7$/m,
      /^PASS_WARN_AGE\s+7$/m,
      /^LOGIN_RETRIES\s+5$/m,
      /^LOGIN_TIMEOUT\s+60$/m,
      /^UMASK\s+027$/m,
      /^ENCRYPT_METHOD\s+SHA512$/m,
      /^SHA_CRYPT_MIN_ROUNDS\s+640000$/m,
      /^UID_MIN\s+1000$/m,
      /^SYS_UID_MAX\s+999$/m,
    ]) {
      expect(defs).toMatch(line);
    }
  });

  it('modprobe: install /bin/true and blacklist for each module the facts script kept', () => {
    const text = render('modprobe.conf.hbs', {
      hardening_modprobe_facts: { stdout_lines: ['cramfs', 'dccp'] },
    });
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l)).toEqual([
      'install cramfs /bin/true',
      'blacklist cramfs',
      'install dccp /bin/true',
      'blacklist dccp',
    ]);
  });

  it('profile: umask, no core dumps, readonly TMOUT; no TMOUT when the timeout is 0', () => {
    const on = render('profile.sh.hbs');
    expect(on).toContain('umask 027');
    expect(on).toContain('ulimit -c 0');
    expect(on).toContain('TMOUT=900');
    expect(on).toContain('readonly TMOUT');
    expect(render('profile.sh.hbs', { hardening_shell_timeout: 0 })).not.toContain('TMOUT');
  });

  it('faillock and pwquality take the parameters', () => {
    const faillock = render('faillock.conf.hbs', { hardening_login_retries: 4 });
    expect(faillock).toMatch(/^deny = 4$/m);
    expect(faillock).toMatch(/^unlock_time = 600$/m);
    expect(faillock).toMatch(/^even_deny_root$/m);
    expect(render('faillock.conf.hbs', { hardening_faillock_deny_root: false })).not.toContain(
      'even_deny_root',
    );
    expect(render('pwquality.conf.hbs')).toMatch(/^minlen = 14$/m);
  });
});

describe('hardening scripts', () => {
  const all = Object.entries(scripts).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );

  it.each(all)('%s is valid POSIX sh', (_name, text) => {
    const result = spawnSync('sh', ['-n'], { input: text });
    expect(result.stderr.toString()).toBe('');
    expect(result.status).toBe(0);
  });

  // Read-only scripts: safe to run here.
  const lockout = (env: Record<string, string>) =>
    execFileSync('sh', ['-c', scripts.LOCKOUT_SCRIPT], {
      env: { PATH: process.env.PATH, ...env },
    }).toString();

  it('lock-out check: passes when the connecting user matches', () => {
    expect(lockout({ LOGIN_USER: 'root', ALLOW_USERS: 'ro* ops', PERMIT_ROOT: 'prohibit-password' })).toBe(
      '',
    );
    expect(lockout({ LOGIN_USER: 'root', ALLOW_USERS: 'root@10.0.0.*', PERMIT_ROOT: 'yes' })).toBe('');
    expect(lockout({ LOGIN_USER: 'root', ALLOW_GROUPS: 'ro?t', PERMIT_ROOT: 'yes' })).toBe('');
  });

  it('lock-out check: names each problem', () => {
    const out = lockout({
      LOGIN_USER: 'root',
      ALLOW_USERS: 'alice bob',
      ALLOW_GROUPS: 'wheel',
      DENY_USERS: 'r*',
      PERMIT_ROOT: 'no',
      USES_PASSWORD: 'true',
      PASSWORD_AUTH: 'false',
    });
    expect(out.split('\n').filter(Boolean)).toEqual([
      'hardening_ssh_allow_users (alice bob) does not let in "root", the user Bosun connects as: add it, or this host would lock Bosun out',
      'hardening_ssh_allow_groups (wheel) matches none of the groups of "root" (root), the user Bosun connects as: this host would lock Bosun out',
      'hardening_ssh_deny_users (r*) denies "root", the user Bosun connects as',
      'hardening_ssh_permit_root_login is "no" but Bosun connects as root: connect as another user with sudo, or allow root',
      'Bosun connects to this host with a password but hardening_ssh_password_authentication is false: install a key for "root" first',
    ]);
  });

  it('modprobe facts: leaves out the whitelist and what is mounted', () => {
    const mounted = readFileSync('/proc/mounts', 'utf8').split('\n')[0]!.split(' ')[2]!;
    const out = execFileSync('sh', ['-c', scripts.MODPROBE_FACTS_SCRIPT], {
      env: { PATH: process.env.PATH, CANDIDATES: `cramfs dccp ${mounted}`, WHITELIST: 'dccp' },
    }).toString();
    expect(out.split('\n')).not.toContain('dccp');
    expect(out.split('\n')).not.toContain(mounted);
  });
});
