/**
 * The account modules (user, group, authorized_key, cron) on a fleet host over real SSH: the
 * four-step protocol for each (check mode predicts and touches nothing, converge, idempotence,
 * verify on the host), with comments, job names and paths full of quotes, blanks and shell
 * syntax; password hashes that never show in the output; exclusive keys; removal of a user with
 * its home; a crontab Ansible wrote taken over as it is.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectNoInjection, mustRun, q, useFleet } from './support/fleet-hooks.js';
import {
  expectProtocol,
  type FleetNode,
  hostRun,
  type RunOutcome,
  runTasks,
  total,
} from './support/harness.js';

const fleet = useFleet({
  hosts: 1,
  // The image has no cron; crontab comes with it (Debian's mirror through NAT).
  setup: (started) =>
    mustRun(
      started,
      started.hosts[0] as FleetNode,
      'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cron >/dev/null',
    ),
});

/** Text any unquoted use would break on or expand: quotes, blanks, $(), backticks, globs. */
const NASTY = `it's "q" $(touch /tmp/pwned) \`touch /tmp/pwned\` * ?`;
/** SHA-512 crypt hashes (openssl passwd -6) of two throwaway passwords. */
const HASH1 =
  '$6$bosunsalt$iTpwNzu6DaCcgyvNXnO5vURAdbaHfG3/HlRwTQBcTDHLDELbnbj2ScKn2cQ.W7OmlzIW2CAl3d0WnmEMihnvd0';
const HASH2 =
  '$6$othersalt$EZtx4LFMZqJqpkDzicWTmsiow8KfL5uBgpazHAMx8kV.YQmlwOahpKARkeznLitkLjAyLHFY0Xn8S/r8bRpD/1';

function node(): FleetNode {
  return fleet().hosts[0] as FleetNode;
}

const sh = (n: FleetNode, command: string) => mustRun(fleet(), n, command);
const noInjection = (n: FleetNode) => expectNoInjection(fleet(), n);

/** An ed25519 public key line, as ssh-keygen writes it. */
function publicKey(comment: string): string {
  const { publicKey: key } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64');
  return `ssh-ed25519 ${blob} ${comment}`;
}

function blobOf(line: string): string {
  return line.split(' ')[1] as string;
}

function expectNoSecret(...outcomes: RunOutcome[]): void {
  for (const outcome of outcomes) {
    expect(outcome.output).not.toContain(HASH1);
    expect(outcome.output).not.toContain(HASH2);
  }
}

describe('group and user', () => {
  const home = '/srv/home of "alice"';

  it('creates groups and users with every attribute, the password only on stdin', async () => {
    const tasks = [
      { name: 'devs', group: { name: 'bosun-devs', gid: 4242 } },
      { name: 'ops', group: { name: 'bosun-ops', system: true } },
      {
        name: 'alice',
        user: {
          name: 'alice',
          uid: 4243,
          group: 'bosun-devs',
          groups: ['bosun-ops', 'adm'],
          comment: NASTY,
          home,
          shell: '/bin/bash',
          password: HASH1,
        },
      },
      {
        name: 'svc',
        user: {
          name: 'bosun-svc',
          system: true,
          create_home: false,
          shell: '/usr/sbin/nologin',
          password_lock: true,
        },
      },
    ];
    const { check, converge, again } = await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, 'getent group bosun-devs')).toBe('bosun-devs:x:4242:\n');
      const ops = Number((await sh(n, 'getent group bosun-ops')).split(':')[2]);
      expect(ops).toBeLessThan(1000);
      expect(await sh(n, 'getent passwd alice')).toBe(`alice:x:4243:4242:${NASTY}:${home}:/bin/bash\n`);
      expect((await sh(n, 'id -Gn alice')).trim().split(' ').sort()).toEqual([
        'adm',
        'bosun-devs',
        'bosun-ops',
      ]);
      expect((await sh(n, 'getent shadow alice')).split(':')[1]).toBe(HASH1);
      expect(await sh(n, `stat -c '%U:%G %a' ${q(home)}`)).toBe('alice:bosun-devs 755\n');
      expect(await sh(n, `ls -A ${q(home)}`)).toContain('.bashrc');
      const svc = (await sh(n, 'getent passwd bosun-svc')).split(':');
      expect(Number(svc[2])).toBeLessThan(1000);
      expect(svc[6]).toBe('/usr/sbin/nologin\n');
      expect((await hostRun(fleet(), n, `test -e ${q(svc[5] as string)}`)).exitCode).not.toBe(0);
      expect((await sh(n, 'getent shadow bosun-svc')).split(':')[1]).toMatch(/^!/);
      await noInjection(n);
    });
    expectNoSecret(check, converge, again);
    const diff = JSON.stringify(check.results.find((r) => r.task === 'alice')?.diffs);
    expect(diff).toContain('(set)');
    expect(diff).toContain('it');
  });

  it('refuses a comment with a tab: before connecting when written, before useradd when a variable gives it', async () => {
    const group = { name: 'first change', group: { name: 'bosun-tabbed' } };
    const written = await runTasks(fleet(), [
      group,
      { name: 'ann', user: { name: 'ann', comment: 'Ann\tLee' } },
    ]);
    expect(written.exitCode).toBe(4);
    expect(written.output).toMatch(
      /^bosun: error\[BOSUN_INPUT\]: .*playbook\.yml:\d+:\d+: \[0\]\.tasks\[1\]\.user\.comment: comment must not contain a tab: useradd and usermod refuse control characters/m,
    );
    expect(written.results).toEqual([]);
    expect((await hostRun(fleet(), node(), 'getent group bosun-tabbed')).exitCode).not.toBe(0);

    const given = await runTasks(
      fleet(),
      [group, { name: 'ann', user: { name: 'ann', comment: '{{ full_name }}' } }],
      { vars: { full_name: 'Ann\tLee' } },
    );
    expect(given.exitCode).toBe(2);
    const failed = given.results.find((r) => r.task === 'ann');
    expect(failed?.status).toBe('failed');
    expect(failed?.msg).toMatch(/user\.comment: comment must not contain a tab: /);
    expect(failed?.msg).not.toContain('useradd: failure');
    // No half-made account: useradd never ran.
    expect((await hostRun(fleet(), node(), 'getent passwd ann')).exitCode).not.toBe(0);
    await sh(node(), 'groupdel bosun-tabbed');
  });

  it('changes attributes, appends groups, changes and locks the password', async () => {
    const tasks = [
      { name: 'extra', group: { name: 'bosun-extra' } },
      {
        name: 'alice',
        user: {
          name: 'alice',
          groups: 'bosun-extra',
          append: true,
          comment: 'Alice "A." Liddell',
          password: HASH2,
          password_lock: true,
        },
      },
    ];
    const { check, converge, again } = await expectProtocol(fleet(), tasks, async (n) => {
      expect((await sh(n, 'getent passwd alice')).split(':')[4]).toBe('Alice "A." Liddell');
      expect((await sh(n, 'id -Gn alice')).trim().split(' ').sort()).toEqual([
        'adm',
        'bosun-devs',
        'bosun-extra',
        'bosun-ops',
      ]);
      expect((await sh(n, 'getent shadow alice')).split(':')[1]).toBe(`!${HASH2}`);
    });
    expectNoSecret(check, converge, again);
    const diff = JSON.stringify(check.results.find((r) => r.task === 'alice')?.diffs);
    expect(diff).toContain('password: (changed)');
  });

  it('sets the supplementary groups exactly without append, and moves the home', async () => {
    const moved = `/srv/moved "alice" it's`;
    await expectProtocol(
      fleet(),
      [{ name: 'alice', user: { name: 'alice', groups: ['bosun-ops'], home: moved, move_home: true } }],
      async (n) => {
        expect((await sh(n, 'id -Gn alice')).trim().split(' ').sort()).toEqual(['bosun-devs', 'bosun-ops']);
        expect((await sh(n, 'getent passwd alice')).split(':')[5]).toBe(moved);
        expect(await sh(n, `ls -A ${q(moved)}`)).toContain('.bashrc');
        expect((await hostRun(fleet(), n, `test -e ${q(home)}`)).exitCode).not.toBe(0);
      },
    );
  });

  it('removes a user with its home and mail spool, then its groups', async () => {
    await sh(node(), 'touch /var/mail/alice && chown alice /var/mail/alice');
    const tasks = [
      { name: 'alice', user: { name: 'alice', state: 'absent', remove: true } },
      { name: 'svc', user: { name: 'bosun-svc', state: 'absent' } },
      { name: 'devs', group: { name: 'bosun-devs', state: 'absent' } },
      { name: 'extra', group: { name: 'bosun-extra', state: 'absent' } },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect((await hostRun(fleet(), n, 'getent passwd alice')).exitCode).not.toBe(0);
      expect((await hostRun(fleet(), n, 'getent passwd bosun-svc')).exitCode).not.toBe(0);
      expect((await hostRun(fleet(), n, 'getent group bosun-devs')).exitCode).not.toBe(0);
      expect((await hostRun(fleet(), n, `ls -d /srv/moved*`)).exitCode).not.toBe(0);
      expect((await hostRun(fleet(), n, 'test -e /var/mail/alice')).exitCode).not.toBe(0);
    });
  });

  it('fails clearly on a group that does not exist', async () => {
    const outcome = await runTasks(fleet(), [
      { name: 'bad', user: { name: 'nogroup-user', groups: ['no-such-group'] } },
    ]);
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.results[0]?.status).toBe('failed');
    expect(outcome.results[0]?.msg).toContain("group 'no-such-group' does not exist");
  });
});

describe('authorized_key', () => {
  const laptop = publicKey(`laptop of "carol"`);
  const desktop = publicKey('desktop');
  const stranger = publicKey('stranger');

  it('creates ~/.ssh (0700, the user) and the file (0600), with a comment full of shell syntax', async () => {
    const tasks = [
      { name: 'carol', user: { name: 'carol' } },
      { name: 'keys', authorized_key: { user: 'carol', key: `${laptop}\n\n${desktop}\n`, comment: NASTY } },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, 'stat -c "%U:%G %a" /home/carol/.ssh /home/carol/.ssh/authorized_keys')).toBe(
        'carol:carol 700\ncarol:carol 600\n',
      );
      expect(await sh(n, 'cat /home/carol/.ssh/authorized_keys')).toBe(
        `ssh-ed25519 ${blobOf(laptop)} ${NASTY}\nssh-ed25519 ${blobOf(desktop)} ${NASTY}\n`,
      );
      await noInjection(n);
    });
  });

  it('with exclusive removes a key that is not listed, and applies key_options', async () => {
    await sh(node(), `echo ${q(stranger)} >> /home/carol/.ssh/authorized_keys`);
    const options = 'no-port-forwarding,from="127.0.0.1,10.0.0.0/8"';
    const tasks = [
      {
        name: 'only laptop',
        authorized_key: { user: 'carol', key: laptop, exclusive: true, key_options: options },
      },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, 'cat /home/carol/.ssh/authorized_keys')).toBe(`${options} ${laptop}\n`);
      expect(await sh(n, 'stat -c "%U:%G %a" /home/carol/.ssh/authorized_keys')).toBe('carol:carol 600\n');
    });
  });

  it('removes a key (state absent), in a file given by a ~/ path', async () => {
    await sh(
      node(),
      `mkdir -p '/home/carol/keys dir' && echo ${q(desktop)} > '/home/carol/keys dir/keys' && echo ${q(stranger)} >> '/home/carol/keys dir/keys'`,
    );
    const tasks = [
      {
        name: 'drop',
        authorized_key: { user: 'carol', key: desktop, state: 'absent', path: '~/keys dir/keys' },
      },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, `cat '/home/carol/keys dir/keys'`)).toBe(`${stranger}\n`);
    });
  });
});

describe('cron', () => {
  const job = `/usr/bin/backup --to "/srv/my backups" $(date +\\%F) > /dev/null 2>&1`;
  const jobName = `nightly "backup" it's * ?`;

  it('manages jobs, a variable, @reboot, a disabled job in a user crontab and a cron.d file', async () => {
    const tasks = [
      { name: 'dave', user: { name: 'dave' } },
      { name: 'path', cron: { name: 'PATH', env: true, job: '/usr/local/bin:/usr/bin:/bin', user: 'dave' } },
      { name: 'backup', cron: { name: jobName, job, minute: 30, hour: 2, weekday: 'mon-fri', user: 'dave' } },
      { name: 'boot', cron: { name: 'at boot', special_time: 'reboot', job: 'echo booted', user: 'dave' } },
      {
        name: 'paused job',
        cron: { name: 'paused', job: 'echo paused', minute: '*/5', disabled: true, user: 'dave' },
      },
      {
        name: 'file',
        cron: {
          name: 'sweep',
          job: 'find /tmp -mtime +7 -delete',
          hour: 4,
          minute: 0,
          user: 'dave',
          cron_file: 'bosun_sweep',
        },
      },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, 'crontab -l -u dave')).toBe(
        [
          'PATH="/usr/local/bin:/usr/bin:/bin"',
          `#Ansible: ${jobName}`,
          `30 2 * * mon-fri ${job}`,
          '#Ansible: at boot',
          '@reboot echo booted',
          '#Ansible: paused',
          '#*/5 * * * * echo paused',
          '',
        ].join('\n'),
      );
      expect(await sh(n, 'cat /etc/cron.d/bosun_sweep')).toBe(
        '#Ansible: sweep\n0 4 * * * dave find /tmp -mtime +7 -delete\n',
      );
      expect(await sh(n, 'stat -c "%U:%G %a" /etc/cron.d/bosun_sweep')).toBe('root:root 644\n');
      await noInjection(n);
    });
  });

  it('removes entries; the last entry of a cron.d file takes the file with it', async () => {
    const tasks = [
      { name: 'backup', cron: { name: jobName, state: 'absent', user: 'dave', backup: true } },
      { name: 'path', cron: { name: 'PATH', env: true, state: 'absent', user: 'dave' } },
      { name: 'file', cron: { name: 'sweep', state: 'absent', cron_file: 'bosun_sweep' } },
    ];
    await expectProtocol(fleet(), tasks, async (n) => {
      expect(await sh(n, 'crontab -l -u dave')).toBe(
        '#Ansible: at boot\n@reboot echo booted\n#Ansible: paused\n#*/5 * * * * echo paused\n',
      );
      expect((await hostRun(fleet(), n, 'test -e /etc/cron.d/bosun_sweep')).exitCode).not.toBe(0);
    });
    // The converge run saved the crontab it changed (the second run had nothing to save).
    expect(await sh(node(), 'cat /tmp/crontab.*')).toContain(
      `#Ansible: ${jobName}\n30 2 * * mon-fri ${job}\n`,
    );
  });

  it('takes over a crontab Ansible wrote: same marker, nothing to change; an unmarked line is adopted', async () => {
    await sh(
      node(),
      `printf '%s\\n' '#Ansible: rotate' '0 1 * * * /usr/sbin/logrotate /etc/logrotate.conf' '15 * * * * /usr/bin/ping-home' | crontab -u dave -`,
    );
    const same = [
      {
        name: 'rotate',
        cron: {
          name: 'rotate',
          job: '/usr/sbin/logrotate /etc/logrotate.conf',
          hour: 1,
          minute: 0,
          user: 'dave',
        },
      },
    ];
    const outcome = await runTasks(fleet(), same);
    expect(outcome.exitCode, outcome.output).toBe(0);
    expect(total(outcome, 'changed')).toBe(0);

    await expectProtocol(
      fleet(),
      [{ name: 'ping', cron: { name: 'ping', job: '/usr/bin/ping-home', minute: 15, user: 'dave' } }],
      async (n) => {
        expect(await sh(n, 'crontab -l -u dave')).toBe(
          '#Ansible: rotate\n0 1 * * * /usr/sbin/logrotate /etc/logrotate.conf\n#Ansible: ping\n15 * * * * /usr/bin/ping-home\n',
        );
      },
    );
  });
});
