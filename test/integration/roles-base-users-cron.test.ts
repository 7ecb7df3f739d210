/**
 * Roles base, users and cron on systemd hosts over real SSH, the way operators run them:
 * each role passes check mode on a fresh host (changes predicted, container untouched), a
 * converging run, a second run with changed=0, and checks on the host; then the users role's
 * removals and its refusal to lock out the connecting user, the backup script at work, and
 * playbooks/site.yml with vars/LAB/vars.yml as the lab demo runs it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { budget } from '../support/budget.js';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import {
  changedTasks,
  expectFourSteps,
  type FleetNode,
  hostRun,
  type RunOutcome,
  runTasks,
  total,
} from './support/harness.js';

const fleet = useFleet({ hosts: 2, systemd: true });
let host1: FleetNode;
let host2: FleetNode;

beforeAll(() => {
  [host1, host2] = fleet().hosts as [FleetNode, FleetNode];
});

/** Debian's status line of each package ("install ok installed"). */
function packageStatus(packages: string): string {
  return `dpkg-query -W -f '\${Status}\\n' ${packages}`;
}

const shell = (node: FleetNode, command: string) => mustRun(fleet(), node, command);

/** Per task (loop items aside): its status. */
function statuses(outcome: RunOutcome): Map<string, string> {
  const map = new Map<string, string>();
  for (const result of outcome.results) if (result.item === undefined) map.set(result.task, result.status);
  return map;
}

/**
 * The four steps (support/harness.ts) for a play applying a role on one host: check mode
 * predicts as many changes as the real run makes (what it cannot know is unknown, not skipped).
 */
function expectRoleProtocol(
  node: FleetNode,
  run: (extra: string[]) => Promise<RunOutcome>,
  verify: () => Promise<void>,
  unknown: string[] = [],
) {
  return expectFourSteps([node], ({ check }) => run(check ? ['--check', '--diff'] : []), verify, { unknown });
}

const KEY_ANN = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMFWKG5LgPwfni8aPwhoJmcnQx1FiuQYhQtSd3kN1MBr ann@laptop';
const KEY_BOB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGacCLrOZd6hl3ZA1YX1JcjG2WsO1o+Oq1r7nnxAZeM bob@laptop';
const KEY_EVE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBAYdnxBKWjyl/NJWpgL/hM6VXfplr/XyfEOp0wvsqJU eve@laptop';
// A password hash of "secret" (openssl passwd -6 -salt saltsalt secret).
const HASH =
  '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';

const PEOPLE = {
  ann: { name: 'Ann Admin', uid: 1300, groups: ['devops', 'www-data'], ssh_keys: [KEY_ANN] },
  bob: {
    name: 'Bob Builder',
    uid: 1301,
    groups: ['devops', 'devs'],
    shell: '/bin/sh',
    ssh_keys: [KEY_BOB],
    password: HASH,
  },
  eve: { name: 'Eve Leaver', uid: 1302, groups: ['devs'], ssh_keys: [KEY_EVE] },
  // The account this run connects as (the fleet's), with a key that is not the one it uses.
  bosun: { name: 'Bosun', uid: 1000, groups: [], ssh_keys: [KEY_EVE] },
};

function applyRole(node: FleetNode, role: string, vars: Record<string, unknown>, extra: string[] = []) {
  const args = [...extra];
  for (const [name, value] of Object.entries(vars)) args.push('-e', JSON.stringify({ [name]: value }));
  return runTasks(fleet(), [], { hosts: [node.name], roles: [role], args });
}

describe('role base', () => {
  it(
    'converges a fresh host, idempotently, as check mode predicts',
    async () => {
      const started = Date.now();
      // 16384: a container cannot raise its hard limit (20000 here) as a VM's sessions can.
      const vars = {
        base_timezone: 'Europe/Paris',
        base_sysctl: { 'net.ipv4.tcp_fin_timeout': 30 },
        base_nofile_limit: 16384,
      };
      const { converge } = await expectRoleProtocol(
        host1,
        (extra) => applyRole(host1, 'base', vars, extra),
        async () => {
          expect(await shell(host1, 'readlink /etc/localtime; cat /etc/timezone')).toBe(
            '/usr/share/zoneinfo/Europe/Paris\nEurope/Paris\n',
          );
          expect(await shell(host1, 'cat /etc/hostname; hostname')).toBe('host1\nhost1\n');
          expect(await shell(host1, 'cat /etc/default/locale')).toBe('LANG=C.UTF-8\n');
          expect(await shell(host1, packageStatus('curl less systemd-timesyncd unattended-upgrades'))).toBe(
            'install ok installed\n'.repeat(4),
          );
          expect(await shell(host1, packageStatus('telnet 2>/dev/null || echo none'))).not.toContain(
            'install ok installed',
          );
          expect(await shell(host1, 'cat /etc/systemd/timesyncd.conf.d/bosun.conf')).toContain(
            '[Time]\nNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org 2.debian.pool.ntp.org\n',
          );
          // A container shares its host's clock: enabled, not started.
          expect(await shell(host1, 'systemctl is-enabled systemd-timesyncd')).toBe('enabled\n');
          expect(await shell(host1, 'cat /etc/apt/apt.conf.d/20auto-upgrades')).toContain(
            'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
          );
          expect(await shell(host1, 'cat /etc/sysctl.d/60-bosun-base.conf')).toBe(
            'net.ipv4.tcp_keepalive_time=60\nnet.ipv4.tcp_keepalive_intvl=10\nnet.ipv4.tcp_keepalive_probes=6\nnet.ipv4.tcp_fin_timeout=30\n',
          );
          expect(await shell(host1, 'cat /etc/security/limits.d/60-bosun-nofile.conf')).toContain(
            '*    soft nofile 16384\n*    hard nofile 16384\n',
          );
          expect(await shell(host1, 'systemctl show --property DefaultLimitNOFILE')).toBe(
            'DefaultLimitNOFILE=16384\n',
          );
          // A login session gets the raised limit (pam_limits reads limits.d).
          const session = await runTasks(fleet(), [{ shell: 'ulimit -n' }], {
            hosts: ['host1'],
            become: false,
          });
          expect(session.results[0]?.stdout, session.output).toBe('16384');
          expect(await shell(host1, 'getent passwd app | cut -d: -f6,7; stat -c %U:%G /srv/app')).toBe(
            '/srv/app:/usr/sbin/nologin\napp:app\n',
          );
        },
        // Not known before the real run: the file unattended-upgrades' postinst writes from
        // debconf, and the gid groupadd gives a system group (taken from the top of its range).
        ['unattended upgrades switched on or off', 'service account'],
      );
      console.log(
        `base: protocol ${Date.now() - started} ms; changed ${changedTasks(converge).length} tasks`,
      );
      // Measured 51 to 66 s (check, converge, second run on a fresh systemd host).
    },
    budget(66),
  );

  it(
    'switches to chrony and a generated locale, and unattended upgrades off',
    async () => {
      const vars = { base_ntp: 'chrony', base_locale: 'en_US.UTF-8', base_unattended_upgrades: false };
      const first = await applyRole(host1, 'base', vars);
      expect(first.exitCode, first.output).toBe(0);
      const again = await applyRole(host1, 'base', vars);
      expect(total(again, 'changed'), again.output).toBe(0);
      expect(await shell(host1, packageStatus('chrony'))).toBe('install ok installed\n');
      expect(await shell(host1, packageStatus('systemd-timesyncd 2>&1 || true'))).not.toContain(
        'install ok installed',
      );
      expect(await shell(host1, 'cat /etc/chrony/sources.d/bosun.sources')).toContain(
        'server 0.debian.pool.ntp.org iburst\nserver 1.debian.pool.ntp.org iburst\n',
      );
      expect(await shell(host1, 'cat /etc/default/locale; locale -a | grep -i en_us')).toBe(
        'LANG=en_US.UTF-8\nen_US.utf8\n',
      );
      expect(await shell(host1, 'cat /etc/apt/apt.conf.d/20auto-upgrades')).toContain(
        'APT::Periodic::Unattended-Upgrade "0";',
      );
      // Measured 25 to 30 s.
    },
    budget(30),
  );

  it('refuses an unknown time zone on the host, naming it', async () => {
    const outcome = await applyRole(host1, 'base', { base_timezone: 'Mars/Olympus' });
    expect(outcome.exitCode).toBe(2);
    const failed = outcome.results.find((result) => result.status === 'failed');
    expect(failed?.task).toBe('time zone');
    expect(failed?.msg).toContain('/usr/share/zoneinfo/Mars/Olympus');
    // The zone of the run before (the default) is left as it was.
    expect(await shell(host1, 'readlink /etc/localtime')).toBe('/usr/share/zoneinfo/Etc/UTC\n');
  });
});

describe('role users', () => {
  const vars = {
    users: PEOPLE,
    users_state: { ann: 'present', bob: 'present', eve: 'present' },
    users_enabled_as_root: { ann: 'present', bob: 'absent' },
  };

  it('creates accounts, groups, keys and sudo rights, idempotently, as check mode predicts', async () => {
    await expectRoleProtocol(
      host1,
      (extra) => applyRole(host1, 'users', vars, extra),
      async () => {
        expect(await shell(host1, 'id ann; id bob; id eve')).toBe(
          [
            'uid=1300(ann) gid=1300(ann) groups=1300(ann),33(www-data),1303(devops)',
            'uid=1301(bob) gid=1301(bob) groups=1301(bob),1303(devops),1304(devs)',
            'uid=1302(eve) gid=1302(eve) groups=1302(eve),1304(devs)',
            '',
          ].join('\n'),
        );
        expect(await shell(host1, 'getent passwd ann bob | cut -d: -f5-7')).toBe(
          'Ann Admin:/home/ann:/bin/bash\nBob Builder:/home/bob:/bin/sh\n',
        );
        expect(await shell(host1, 'getent shadow bob | cut -d: -f2')).toBe(`${HASH}\n`);
        expect(
          await shell(
            host1,
            'cat /home/ann/.ssh/authorized_keys; stat -c "%a %U" /home/ann/.ssh /home/ann/.ssh/authorized_keys',
          ),
        ).toBe(`${KEY_ANN}\n700 ann\n600 ann\n`);
        expect(
          await shell(host1, 'cat /etc/sudoers.d/bosun-user-ann; stat -c %a /etc/sudoers.d/bosun-user-ann'),
        ).toBe(
          '# Managed by bosun (role users): ann is enabled as root.\nann ALL=(ALL:ALL) NOPASSWD: ALL\n440\n',
        );
        expect(await shell(host1, 'ls /etc/sudoers.d; visudo -c >/dev/null && echo valid')).toBe(
          'README\nbosun\nbosun-user-ann\npwuser\nvalid\n',
        );
        expect(await shell(host1, 'sudo -l -U ann | tail -1; sudo -l -U bob | tail -1')).toBe(
          '    (ALL : ALL) NOPASSWD: ALL\nUser bob is not allowed to run sudo on host1.\n',
        );
      },
    );
  });

  it('keeps authorized_keys exclusive: a key added by hand is removed', async () => {
    await shell(host1, `echo '${KEY_EVE}' >> /home/ann/.ssh/authorized_keys`);
    const outcome = await applyRole(host1, 'users', vars);
    expect(outcome.exitCode, outcome.output).toBe(0);
    expect(statuses(outcome).get('authorized keys (exactly those listed)')).toBe('changed');
    expect(await shell(host1, 'cat /home/ann/.ssh/authorized_keys')).toBe(`${KEY_ANN}\n`);
  });

  it('removes a user: sessions ended, sudo drop-in, account and home', async () => {
    await applyRole(host1, 'users', { ...vars, users_enabled_as_root: { ann: 'present', eve: 'present' } });
    expect(await shell(host1, 'test -f /etc/sudoers.d/bosun-user-eve && echo yes')).toBe('yes\n');
    // A session of eve's: a process that would outlive a plain userdel.
    await shell(host1, 'su -s /bin/sh -c "nohup sleep 600 >/dev/null 2>&1 &" eve');
    expect(await shell(host1, 'pgrep -u eve sleep >/dev/null && echo running')).toBe('running\n');

    const leave = {
      ...vars,
      users_state: { ann: 'present', bob: 'present', eve: 'absent' },
      users_enabled_as_root: { ann: 'present', bob: 'absent', eve: 'present' },
    };
    const check = await applyRole(host1, 'users', leave, ['--check']);
    expect(check.exitCode, check.output).toBe(0);
    expect(statuses(check).get('removed accounts')).toBe('changed');
    expect(await shell(host1, 'id -u eve')).toBe('1302\n');

    const outcome = await applyRole(host1, 'users', leave);
    expect(outcome.exitCode, outcome.output).toBe(0);
    const done = statuses(outcome);
    expect(done.get('sudo rights of removed users')).toBe('changed');
    expect(done.get('sessions of removed users ended')).toBe('changed');
    expect(done.get('removed accounts')).toBe('changed');
    // enabled_as_root present does not bring the drop-in of an absent user back.
    expect(done.get('sudo rights')).toBe('ok');
    expect(
      await shell(
        host1,
        'id eve 2>&1 || true; test -e /home/eve || echo no-home; test -e /etc/sudoers.d/bosun-user-eve || echo no-sudo; pgrep -u 1302 || echo no-process',
      ),
    ).toBe("id: 'eve': no such user\nno-home\nno-sudo\nno-process\n");
    const again = await applyRole(host1, 'users', leave);
    expect(total(again, 'changed'), again.output).toBe(0);
  });

  it('never removes nor locks out the user this run connects as', async () => {
    // A group that gives the account rights elsewhere (sudo, on Ubuntu's images), not listed in users.
    await shell(host1, 'usermod -aG adm bosun');
    const root = await applyRole(host1, 'users', {
      users: PEOPLE,
      users_state: { bosun: 'present' },
      users_enabled_as_root: { bosun: 'present' },
    });
    expect(root.exitCode, root.output).toBe(0);
    expect(await shell(host1, 'test -f /etc/sudoers.d/bosun-user-bosun && echo yes')).toBe('yes\n');
    // Its authorized_keys are kept although users lists another key for it, and its groups.
    expect(statuses(root).get('authorized keys (exactly those listed)')).toBe('skipped');
    expect(
      root.results.find((result) => result.task === 'the connecting user keeps its keys and groups')?.msg,
    ).toBe(
      'users: this run connects as bosun: its authorized_keys are left as they are and it keeps the groups users does not list',
    );
    expect(await shell(host1, 'id -nG bosun')).toBe('bosun adm\n');

    const outcome = await applyRole(host1, 'users', {
      users: PEOPLE,
      users_state: { bosun: 'absent' },
      users_enabled_as_root: { bosun: 'absent' },
    });
    expect(outcome.exitCode, outcome.output).toBe(0);
    const kept = outcome.results.find((result) => result.task === 'the connecting user is kept');
    expect(kept?.status).toBe('ok');
    expect(kept?.msg).toBe('users: not removing bosun nor its sudo rights: this run connects as bosun');
    const done = statuses(outcome);
    for (const task of ['sudo rights withdrawn', 'sudo rights of removed users', 'removed accounts']) {
      expect(done.get(task), task).toBe('skipped');
    }
    expect(await shell(host1, 'id -u bosun; test -f /etc/sudoers.d/bosun-user-bosun && echo sudo-kept')).toBe(
      '1000\nsudo-kept\n',
    );
    // And the next run still gets in.
    const next = await runTasks(fleet(), [{ command: 'true' }], { hosts: ['host1'] });
    expect(next.exitCode, next.output).toBe(0);
    await shell(host1, 'rm /etc/sudoers.d/bosun-user-bosun');
  });
});

describe('role cron', () => {
  const vars = {
    cron_jobs: [
      { name: 'disk usage report', job: 'df -h / > /var/tmp/disk-usage.txt', minute: '*/30' },
      {
        name: 'app report',
        job: 'echo "$GREETING" > /var/tmp/app',
        minute: '0',
        hour: '6',
        user: 'bosun',
        environment: { GREETING: "it's $(late)" },
      },
      { name: 'reboot marker', special_time: 'reboot', job: 'date > /var/tmp/booted-at' },
    ],
    cron_backup_enabled: true,
    cron_backup_sources: ['/etc/hostname', '/etc/default'],
    cron_backup_retention: '3 months',
  };

  it(
    'installs cron, named entries and the backup job, idempotently, as check mode predicts',
    async () => {
      await expectRoleProtocol(
        host2,
        (extra) => applyRole(host2, 'cron', vars, extra),
        async () => {
          expect(await shell(host2, 'systemctl is-active cron')).toBe('active\n');
          expect(await shell(host2, 'crontab -l')).toBe(
            [
              '#Ansible: disk usage report',
              '*/30 * * * * df -h / > /var/tmp/disk-usage.txt',
              '#Ansible: reboot marker',
              '@reboot date > /var/tmp/booted-at',
              '',
            ].join('\n'),
          );
          expect(await shell(host2, 'crontab -l -u bosun')).toBe(
            `#Ansible: app report\n0 6 * * * export GREETING='it'\\''s $(late)'; echo "$GREETING" > /var/tmp/app\n`,
          );
          expect(await shell(host2, 'grep -v "^#" /etc/cron.d/bosun-backup')).toBe(
            [
              'SHELL=/bin/sh',
              'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
              '0 1 * * * root /usr/local/sbin/bosun-backup daily',
              '0 2 * * 7 root /usr/local/sbin/bosun-backup weekly',
              '0 3 1 * * root /usr/local/sbin/bosun-backup monthly',
              '0 1 * * * root /usr/local/sbin/bosun-backup clean',
              '',
            ].join('\n'),
          );
          expect(await shell(host2, 'stat -c "%a %U" /usr/local/sbin/bosun-backup /var/backups/bosun')).toBe(
            '755 root\n700 root\n',
          );
        },
        // cron's postinst starts cron.service: whether it then runs is known once it is installed.
        ['cron running'],
      );
      // The command of the job line, run by /bin/sh as cron runs it: the value arrives intact.
      await shell(
        host2,
        'crontab -l -u bosun | tail -1 | cut -d" " -f6- > /tmp/job && su -s /bin/sh -c "sh /tmp/job" bosun',
      );
      expect(await shell(host2, 'cat /var/tmp/app')).toBe("it's $(late)\n");
      // Measured 29 to 37 s.
    },
    budget(40),
  );

  it("backs up and cleans up as the operators' crontab did", async () => {
    const archive = (await shell(host2, '/usr/local/sbin/bosun-backup daily')).trim();
    expect(archive).toMatch(/^\/var\/backups\/bosun\/daily\/host2-\d{8}-\d{6}\.tar\.gz$/);
    expect(await shell(host2, `tar -tzf ${archive} | sort`)).toContain('etc/hostname\n');
    await shell(
      host2,
      [
        'mkdir -p /var/backups/bosun/monthly',
        "touch -d '4 months ago' /var/backups/bosun/monthly/old.tar.gz",
        "touch -d '2 months ago' /var/backups/bosun/monthly/recent.tar.gz",
      ].join(' && '),
    );
    await shell(host2, '/usr/local/sbin/bosun-backup clean');
    expect(await shell(host2, 'ls /var/backups/bosun/monthly; ls /var/backups/bosun/daily | wc -l')).toBe(
      'recent.tar.gz\n1\n',
    );
    expect((await hostRun(fleet(), host2, '/usr/local/sbin/bosun-backup yearly')).exitCode).toBe(2);
  });

  it('removes an entry said absent, and the backup job when switched off', async () => {
    const off = {
      ...vars,
      cron_jobs: [{ name: 'disk usage report', state: 'absent' }],
      cron_backup_enabled: false,
    };
    const outcome = await applyRole(host2, 'cron', off);
    expect(outcome.exitCode, outcome.output).toBe(0);
    expect(await shell(host2, 'crontab -l')).toBe(
      '#Ansible: reboot marker\n@reboot date > /var/tmp/booted-at\n',
    );
    expect(
      await shell(
        host2,
        'test -e /etc/cron.d/bosun-backup || echo gone; test -e /usr/local/sbin/bosun-backup || echo gone; ls /var/backups/bosun',
      ),
    ).toBe('gone\ngone\ndaily\nmonthly\n');
    const again = await applyRole(host2, 'cron', off);
    expect(total(again, 'changed'), again.output).toBe(0);
  });
});

// The lab demo (playbooks/site.yml with vars/LAB/vars.yml: check, converge, changed=0) runs on
// fresh hosts in check-site.test.ts.
