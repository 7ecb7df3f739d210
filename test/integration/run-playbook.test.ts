import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bosun,
  buildCli,
  type CliRun,
  events,
  fixtures,
  recap,
  recapOf,
  results,
  statuses,
} from './run-helpers.js';
import { useCliFleet } from './support/fleet-hooks.js';

// `bosun run` as a user runs it (the built CLI) against three plain hosts behind a bastion.
// One fleet for the whole file: the converge tests run first, the others use their own files.

const lab = useCliFleet({ hosts: 3, scratchPrefix: 'bosun-run-', alongside: buildCli });

const HOSTS = ['host1', 'host2', 'host3'];

function run(args: string[], env?: Record<string, string>): Promise<CliRun> {
  return bosun(args, { cwd: fixtures, home: lab.home, ...(env ? { env } : {}) });
}

async function onHost(host: string, command: string): Promise<{ exitCode: number; output: string }> {
  const node = lab.fleet.hosts.find((h) => h.name === host)!;
  return lab.fleet.exec(node, ['sh', '-c', command]);
}

describe('converge', () => {
  it('converges, then a second run changes nothing', async () => {
    const first = await run(['run', 'site.yml', '-i', lab.inventory]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const host of HOSTS) {
      expect(first.stdout).toMatch(
        new RegExp(
          `^${host} +: ok=4 +changed=4 +unreachable=0 +failed=0 +skipped=0 +ignored=0 +unknown=0$`,
          'm',
        ),
      );
      expect((await onHost(host, 'cat /etc/app.conf')).output).toBe(`name=${host}\nport=8080\n`);
      expect((await onHost(host, 'stat -c %a /opt/app; ls /opt/app')).output).toBe('755\ninitialized\n');
      // Notified by two tasks, the handler ran once.
      expect((await onHost(host, 'cat /var/log/app-restarts')).output).toBe('restarted\n');
    }
    expect(first.stdout).toContain('\nRUNNING HANDLER [restart app] ***');

    const second = await run(['run', 'site.yml', '-i', lab.inventory]);
    expect(second.code).toBe(0);
    for (const host of HOSTS) {
      expect(second.stdout).toMatch(
        new RegExp(
          `^${host} +: ok=3 +changed=0 +unreachable=0 +failed=0 +skipped=0 +ignored=0 +unknown=0$`,
          'm',
        ),
      );
      expect((await onHost(host, 'cat /var/log/app-restarts')).output).toBe('restarted\n');
    }
    expect(second.stdout).not.toContain('RUNNING HANDLER');
    console.log(`converge on 3 hosts: first run ${first.ms} ms, second run ${second.ms} ms`);
  });

  it('--diff shows a unified diff of a changed file under its host line', async () => {
    const changed = await run([
      'run',
      'site.yml',
      '-i',
      lab.inventory,
      '--limit',
      'host1',
      '-e',
      'port=9090',
      '--diff',
    ]);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(
      /\nTASK \[app config\] \*+\nchanged: \[host1\]\n--- before: \/etc\/app\.conf\n\+\+\+ after: \/etc\/app\.conf\n@@ -1,2 \+1,2 @@\n name=host1\n-port=8080\n\+port=9090\n\n/,
    );
    expect((await onHost('host1', 'cat /etc/app.conf')).output).toBe('name=host1\nport=9090\n');
    expect((await onHost('host2', 'cat /etc/app.conf')).output).toBe('name=host2\nport=8080\n');
    // Put it back, without diff output.
    const back = await run(['run', 'site.yml', '-i', lab.inventory, '--limit', 'host1']);
    expect(back.code).toBe(0);
    expect(back.stdout).not.toContain('--- before');
  });
});

describe('scheduling', () => {
  it('serial: 1 runs the hosts one batch after the other', async () => {
    const r = await run(['run', 'serial.yml', '-i', lab.inventory, '--json']);
    expect(r.code).toBe(0);
    const list = events(r);
    const order = list
      .filter((e) => e.type === 'play_start' || e.type === 'host_result')
      .map((e) =>
        e.type === 'play_start' ? `play ${e.batch}/${e.batches} ${e.hosts.join(',')}` : `${e.task}@${e.host}`,
      );
    expect(order).toEqual([
      'play 1/3 host1',
      'first@host1',
      'second@host1',
      'play 2/3 host2',
      'first@host2',
      'second@host2',
      'play 3/3 host3',
      'first@host3',
      'second@host3',
    ]);
    expect(results(list).find((e) => e.host === 'host2' && e.task === 'second')?.msg).toBe('host2 done');
  });

  it('a failing host leaves the play; the others finish; exit 2', async () => {
    await Promise.all(HOSTS.map((host) => onHost(host, 'rm -f /tmp/after-failure')));
    const r = await run(['run', 'failing.yml', '-i', lab.inventory]);
    expect(r.code).toBe(2);
    // host2: a command exits 1; host3: failed_when holds on the registered result.
    expect(r.stdout).toMatch(
      /^failed: \[host2\] => non-zero return code \(rc=1\)\n {2}stdout:\n {4}state of host2\n/m,
    );
    expect(r.stdout).toMatch(/^failed: \[host3\] => failed_when condition is true\n/m);
    expect(r.stdout).toMatch(/^host1 +: ok=4 +changed=4 +unreachable=0 +failed=0 /m);
    expect(r.stdout).toMatch(/^host2 +: ok=1 +changed=1 +unreachable=0 +failed=1 /m);
    expect(r.stdout).toMatch(/^host3 +: ok=2 +changed=2 +unreachable=0 +failed=1 /m);
    expect((await onHost('host1', 'ls /tmp/after-failure')).exitCode).toBe(0);
    for (const host of ['host2', 'host3'])
      expect((await onHost(host, 'ls /tmp/after-failure')).exitCode).not.toBe(0);
    // Failed hosts get no result for the tasks after their failure.
    const tasksAfter = r.stdout.slice(r.stdout.indexOf('TASK [after]'));
    expect(tasksAfter.slice(0, tasksAfter.indexOf('PLAY RECAP'))).toMatch(/^changed: \[host1\]\n$/m);
    expect(tasksAfter).not.toMatch(/\[host[23]\]/);
  });

  it('an unreachable host exits 3, is reported apart, and the others run', async () => {
    const ghost = await lab.writeInventory('ghost.yml', {
      all: { children: { ghosts: { hosts: { ghost: { bosun_host: '127.0.0.1', bosun_port: 1 } } } } },
    });
    const r = await run(['run', 'reach.yml', '-i', lab.inventory, '-i', ghost]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^fatal: \[ghost\]: UNREACHABLE! => BOSUN_UNREACHABLE: .*127\.0\.0\.1:1/m);
    expect(r.stdout).toMatch(/^ghost +: ok=0 +changed=0 +unreachable=1 +failed=0 /m);
    for (const host of HOSTS) {
      expect(r.stdout).toContain(`ok: [${host}] => ${host} answered\n`);
      expect(r.stdout).toMatch(new RegExp(`^${host} +: ok=2 +changed=0 +unreachable=0 +failed=0 `, 'm'));
    }
  });
});

describe('features', () => {
  it('register + when, loop, run_once, handlers only where notified, once', async () => {
    await Promise.all(
      HOSTS.map((host) => onHost(host, 'rm -f /tmp/loop-* /tmp/once /tmp/flag /tmp/handler-ran')),
    );
    const r = await run(['run', 'features.yml', '-i', lab.inventory, '--json']);
    expect(r.code).toBe(0);
    const list = events(r);
    const byTask = statuses(list);
    expect(byTask['only on host1|host1']).toBe('ok');
    expect(byTask['only on host1|host2']).toBe('skipped');
    expect(byTask['only on host1|host3']).toBe('skipped');
    expect(results(list).find((e) => e.task === 'only on host1' && e.host === 'host1')?.msg).toBe(
      'I am host1',
    );

    for (const host of HOSTS) {
      const items = results(list).filter((e) => e.task === 'files in a loop' && e.host === host);
      expect(items.map((e) => [e.item, e.status])).toEqual([
        ['a', 'changed'],
        ['b', 'changed'],
        [undefined, 'changed'],
      ]);
      expect((await onHost(host, 'ls /tmp/loop-a /tmp/loop-b')).exitCode).toBe(0);
    }

    // run_once: one result line, the command ran on host1 only, every host sees its result.
    expect(
      results(list)
        .filter((e) => e.task === 'once for all')
        .map((e) => e.host),
    ).toEqual(['host1']);
    expect((await onHost('host1', 'cat /tmp/once')).output).toBe('host1\n');
    for (const host of ['host2', 'host3']) expect((await onHost(host, 'ls /tmp/once')).exitCode).not.toBe(0);
    for (const host of HOSTS) {
      expect(
        results(list).find((e) => e.task === 'everyone sees the run_once result' && e.host === host)?.msg,
      ).toBe('once ran on host1');
    }

    // Two tasks notified the handler on host3 only: it ran once, there.
    const handlerStarts = list.filter((e) => e.type === 'handler_start');
    expect(handlerStarts).toEqual([
      { type: 'handler_start', task: 'note flag', id: expect.any(String), hosts: ['host3'] },
    ]);
    expect((await onHost('host3', 'cat /tmp/handler-ran')).output).toBe('handled\n');
    for (const host of ['host1', 'host2'])
      expect((await onHost(host, 'ls /tmp/handler-ran')).exitCode).not.toBe(0);
    expect(recapOf(list).host3).toEqual(recap({ ok: 6, changed: 4, skipped: 1 }));
  });

  it('a YAML role: defaults, params, files/, templates/, handlers, tags and when of the reference', async () => {
    const r = await run(['run', 'roles.yml', '-i', lab.inventory, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const list = events(r);
    expect(
      list
        .filter((e) => e.type === 'task_start')
        .map((e) => (e.type === 'task_start' ? [e.role, e.task] : [])),
    ).toEqual([
      ['app', 'app config'],
      ['app', 'app banner'],
      ['app', 'app template'],
      [undefined, 'after the role'],
    ]);
    for (const host of ['host1', 'host2']) {
      expect((await onHost(host, 'cat /etc/role-app.conf /etc/role-banner')).output).toBe(
        'shop:7000\nWelcome, from the app role\n',
      );
    }
    expect((await onHost('host2', 'cat /etc/role-app.ini')).output).toBe(
      '[shop]\nport = 7000\nhost = host2\n',
    );
    expect((await onHost('host3', 'ls /etc/role-app.conf')).exitCode).not.toBe(0);
    expect(statuses(list)['app config|host3']).toBe('skipped');
    const handled = results(list).filter((e) => e.task === 'app changed');
    expect(handled.map((e) => [e.host, e.msg]).sort()).toEqual([
      ['host1', 'shop restarted on host1'],
      ['host2', 'shop restarted on host2'],
    ]);

    const skipped = await run([
      'run',
      'roles.yml',
      '-i',
      lab.inventory,
      '--skip-tags',
      'app',
      '--list-tasks',
    ]);
    expect(skipped.stdout).toContain('    tasks:\n      after the role\tTAGS: []\n');
    expect(skipped.stdout).not.toContain('app config');
  });

  it('--tags and --limit select tasks and hosts', async () => {
    const r = await run([
      'run',
      'features.yml',
      '-i',
      lab.inventory,
      '--json',
      '--tags',
      'loop,facts',
      '--limit',
      'host2:host3',
    ]);
    expect(r.code).toBe(0);
    const list = events(r);
    expect([
      ...new Set(
        list.filter((e) => e.type === 'task_start').map((e) => (e.type === 'task_start' ? e.task : '')),
      ),
    ]).toEqual(['read the hostname', 'only on host1', 'files in a loop']);
    expect(Object.keys(recapOf(list))).toEqual(['host2', 'host3']);

    const skipped = await run([
      'run',
      'features.yml',
      '-i',
      lab.inventory,
      '--json',
      '--skip-tags',
      'facts,loop,once',
      '-l',
      'host3',
    ]);
    expect(skipped.code).toBe(0);
    const tasks = events(skipped).flatMap((e) => (e.type === 'task_start' ? [e.task] : []));
    expect(tasks).toEqual(['flag on host3 only', 'second notifier, same handler']);

    const listed = await run([
      'run',
      'features.yml',
      '-i',
      lab.inventory,
      '--list-tasks',
      '--list-hosts',
      '--tags',
      'once',
      '-l',
      'host1',
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      '\nplaybook: features.yml\n\n  play #1 (lab): features\tTAGS: []\n    pattern: lab\n    hosts (1):\n      host1\n' +
        '    tasks:\n      once for all\tTAGS: [once]\n      everyone sees the run_once result\tTAGS: [once]\n',
    );
  });
});

describe('task keywords', () => {
  it('delegate_to, environment, become_user, no_log, retries/until, check_mode', async () => {
    await Promise.all(
      HOSTS.map((host) => onHost(host, 'rm -f /tmp/delegated /tmp/attempts /tmp/never /tmp/always')),
    );
    const secret = `hunter2-${Date.now()}`;
    const r = await run(['run', 'extras.yml', '-i', lab.inventory, '--json', '-e', `secret=${secret}`]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
    const list = events(r);
    const result = (task: string, host: string) =>
      results(list).find((e) => e.task === task && e.host === host);

    // Each host's delegated command ran on host1, with that host's variables.
    expect((await onHost('host1', 'sort /tmp/delegated')).output).toBe('host1\nhost2\nhost3\n');
    for (const host of ['host2', 'host3']) {
      expect((await onHost(host, 'ls /tmp/delegated')).exitCode).not.toBe(0);
      expect(result('delegated', host)?.delegatedTo).toBe('host1');
    }
    expect(result('delegated', 'host1')?.delegatedTo).toBeUndefined();

    for (const host of HOSTS) {
      expect(result('show greeting', host)?.msg).toBe(`hello ${host} from ${host}`);
      expect(result('as nobody', host)?.status).toBe('ok');
      expect(result('secret', host)).toEqual({
        type: 'host_result',
        host,
        task: 'secret',
        taskId: expect.any(String),
        status: 'changed',
        censored: true,
        durationMs: expect.any(Number),
      });
      // Failed once, retried, then passed.
      expect(list).toContainEqual({
        type: 'warning',
        host,
        message: `FAILED - RETRYING: [${host}]: until it works (3 retries left)`,
      });
      expect(result('until it works', host)?.status).toBe('changed');
      expect(result('show attempts', host)?.msg).toBe('2 attempts');
      // check_mode: true predicts without writing; check_mode: false runs.
      expect(result('never really', host)?.status).toBe('changed');
      expect((await onHost(host, 'ls /tmp/never')).exitCode).not.toBe(0);
      expect((await onHost(host, 'ls /tmp/always && rm /tmp/always')).exitCode).toBe(0);
    }

    // meta: flush_handlers ran the handler there, once, before the next task.
    const order = list.flatMap((e) =>
      e.type === 'handler_start' || e.type === 'task_start' ? [`${e.type}:${e.task}`] : [],
    );
    expect(order.filter((e) => e.startsWith('handler_start'))).toEqual(['handler_start:early handler']);
    expect(order.indexOf('handler_start:early handler')).toBe(
      order.indexOf('task_start:after the flush') - 1,
    );

    const checked = await run(['run', 'extras.yml', '-i', lab.inventory, '--check', '--tags', 'really']);
    expect(checked.code).toBe(0);
    for (const host of HOSTS) {
      expect((await onHost(host, 'ls /tmp/always')).exitCode).toBe(0);
      expect((await onHost(host, 'ls /tmp/never')).exitCode).not.toBe(0);
    }
  });

  it('any_errors_fatal stops the play and the run at the first failure', async () => {
    const r = await run(['run', 'fatal.yml', '-i', lab.inventory, '--json']);
    expect(r.code).toBe(2);
    const list = events(r);
    expect(list.filter((e) => e.type === 'play_start')).toHaveLength(1);
    expect(list.some((e) => e.type === 'task_start' && e.task === 'never reached')).toBe(false);
    expect(list).toContainEqual({
      type: 'play_end',
      name: 'stop everything on the first failure',
      batch: 1,
      aborted: 'any_errors_fatal: a host failed',
    });
    expect(recapOf(list)).toEqual({
      host1: recap({ ok: 1, changed: 1 }),
      host2: recap({ failed: 1 }),
      host3: recap({ ok: 1, changed: 1 }),
    });
  });

  it('-K takes the sudo password from BOSUN_BECOME_PASSWORD and never shows it', async () => {
    const pw = await lab.passwordUserInventory();
    const ok = await run(['run', 'whoami.yml', '-i', pw, '-K', '--json'], {
      BOSUN_BECOME_PASSWORD: lab.fleet.password,
    });
    expect(ok.code).toBe(0);
    expect(results(events(ok)).find((e) => e.task === 'tell')?.msg).toBe('root');
    const wrong = await run(['run', 'whoami.yml', '-i', pw, '-K'], {
      BOSUN_BECOME_PASSWORD: 'not-the-password',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/^failed: \[host1\] => BOSUN_BECOME_FAILED: /m);
    for (const output of [ok, wrong]) {
      expect(output.stdout + output.stderr).not.toContain(lab.fleet.password);
      expect(output.stdout + output.stderr).not.toContain('not-the-password');
    }
  });
});

describe('bad input', () => {
  let server: Server;
  let connections = 0;
  let trap: string;

  beforeAll(async () => {
    // A TCP listener on 127.0.0.1 standing in for a host: it counts connection attempts.
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    trap = await lab.writeInventory('trap.yml', {
      all: { hosts: { trap: { bosun_host: '127.0.0.1', bosun_port: port, bosun_user: 'nobody' } } },
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('exits 4 with a located message and connects to nothing', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['bad-undefined.yml'],
        /^bosun: error\[BOSUN_INPUT\]: bad-undefined\.yml:4:7: \[0\]\.vars_files\[0\]: undefined variable "environment_name"/,
      ],
      [['bad-module.yml'], /^bosun: error\[BOSUN_INPUT\]: bad-module\.yml:5:7: .*"coppy"/],
      [['good.yml', '-e', '@missing.yml'], /^bosun: error\[BOSUN_INPUT\]: .*missing\.yml/],
      [['good.yml', '--limit', 'nowhere'], /^bosun: error\[BOSUN_INPUT\]: --limit "nowhere" matches no host/],
      [['missing-playbook.yml'], /^bosun: error\[BOSUN_INPUT\]: missing-playbook\.yml/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['run', ...args, '-i', trap]);
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(connections).toBe(0);

    // The same inventory with a valid playbook does connect: the trap works.
    const valid = await run(['run', 'good.yml', '-i', trap]);
    expect([2, 3]).toContain(valid.code);
    expect(connections).toBeGreaterThan(0);
  });
});
