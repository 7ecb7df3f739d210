/**
 * The system modules (service, sysctl, wait_for, get_url, unarchive, git) on systemd fleet hosts
 * over real SSH: the four-step protocol for each (check mode on a fresh host predicts and
 * touches nothing, converge, idempotence, verify on the host), with values full of shell
 * syntax. host1 serves files with python's http.server; host2 is the target. Every download
 * stays inside the fleet; apt reaches Debian's mirror through NAT for git and unzip.
 * Needs on this machine: tar and zip (to build the archives the controller sends).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustRun, q, serveFolder, shown, useFleet } from './support/fleet-hooks.js';
import {
  expectProtocol,
  expectUntouched,
  type FleetNode,
  hostRun,
  type RunOutcome,
  runTasks,
  total,
} from './support/harness.js';

const run = promisify(execFile);

/** A file name any unquoted use would break on or expand (a shell would create "pwned"). */
const NASTY = `it's "q" $(touch pwned) \`touch pwned\` *`;
const SERVED_NAME = "it's $(x).txt";
const SERVED_URL = "http://host1:8000/it's%20$(x).txt";
const SERVED_TEXT = `served text ${NASTY}\n`;

let host1: FleetNode;
let host2: FleetNode;
let work: string;
let binary: Buffer;
let archives: { tgz: Buffer; zip: Buffer };

const sh = (node: FleetNode, command: string) => mustRun(fleet(), node, command);

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function failure(outcome: RunOutcome): string {
  const failed = outcome.results.find((result) => result.status === 'failed');
  expect(failed, `no task failed:\n${outcome.output}`).toBeDefined();
  return failed?.msg ?? '';
}

async function noInjection(node: FleetNode): Promise<void> {
  expect(await sh(node, 'find / -xdev -name pwned 2>/dev/null'), 'a value was expanded').toBe('');
}

/** The tree the archives hold: a file with shell syntax in its name, a nested file, a symlink. */
async function buildArchives(): Promise<{ tgz: Buffer; zip: Buffer }> {
  const root = join(work, 'tree');
  await mkdir(join(root, 'app', 'sub'), { recursive: true });
  await writeFile(join(root, 'app', SERVED_NAME), `in the archive ${NASTY}\n`);
  await writeFile(join(root, 'app', 'sub', 'b.txt'), 'b\n');
  await symlink(SERVED_NAME, join(root, 'app', 'link'));
  await run('tar', ['-czf', join(work, 'app.tgz'), '-C', root, 'app']);
  await run('zip', ['-qry', join(work, 'app.zip'), 'app'], { cwd: root });
  return { tgz: await readFile(join(work, 'app.tgz')), zip: await readFile(join(work, 'app.zip')) };
}

/** The files host1 serves, and the archives the controller sends, built while the fleet starts. */
async function buildWww(): Promise<void> {
  work = await mkdtemp(join(tmpdir(), 'bosun-system-'));
  archives = await buildArchives();
  binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
  const www = join(work, 'www');
  await mkdir(www);
  await writeFile(join(www, SERVED_NAME), SERVED_TEXT);
  await writeFile(join(www, 'bin.dat'), binary);
  await writeFile(join(www, 'app.tgz'), archives.tgz);
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const fleet = useFleet({
  hosts: 2,
  systemd: true,
  timeout: 180_000,
  alongside: buildWww,
  setup: async (started) => {
    [host1, host2] = started.hosts as [FleetNode, FleetNode];
    await Promise.all([
      sh(
        host2,
        'apt-get update -qq -o Acquire::Languages=none && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git unzip > /dev/null',
      ),
      serveFolder(started, join(work, 'www'), host1, host2),
    ]);
  },
});

const UNIT = (port: number) =>
  `[Unit]\nDescription=Bosun test web server\n[Service]\nExecStart=/usr/bin/python3 -m http.server ${port} --bind 127.0.0.1 --directory /srv\n[Install]\nWantedBy=multi-user.target\n`;

describe('service', () => {
  it('starts and enables a unit installed with copy', async () => {
    const copied = await runTasks(
      fleet(),
      [{ copy: { dest: '/etc/systemd/system/bosun-web.service', content: UNIT(8080) } }],
      { hosts: ['host2'] },
    );
    expect(copied.exitCode, copied.output).toBe(0);
    const { check } = await expectProtocol(
      fleet(),
      [{ name: 'web', service: { name: 'bosun-web', state: 'started', enabled: true, daemon_reload: true } }],
      async (node) => {
        expect(await sh(node, 'systemctl is-active bosun-web; systemctl is-enabled bosun-web')).toBe(
          'active\nenabled\n',
        );
      },
      { hosts: ['host2'], changes: 1 },
    );
    expect(check.results[0]?.diffs).toEqual([
      {
        unified:
          '--- before\n+++ after\n@@ -1,3 +1,3 @@\n name: bosun-web.service\n-enabled: disabled\n-state: stopped\n+enabled: true\n+state: started\n',
      },
    ]);
  });

  it('reloads unit files that changed on disk, restarts (always a change), then waits for the new port', async () => {
    await sh(host2, `printf '%s' ${q(UNIT(8081))} > /etc/systemd/system/bosun-web.service`);
    const tasks = [{ systemd: { name: 'bosun-web', daemon_reload: true } }];
    const check = await expectUntouched([host2], () =>
      runTasks(fleet(), tasks, { hosts: ['host2'], check: true }),
    );
    expect(total(check, 'changed'), check.output).toBe(1);
    expect(await sh(host2, 'systemctl show -p NeedDaemonReload bosun-web')).toBe('NeedDaemonReload=yes\n');
    const reloaded = await runTasks(fleet(), tasks, { hosts: ['host2'] });
    expect(total(reloaded, 'changed'), reloaded.output).toBe(1);
    expect(await sh(host2, 'systemctl show -p NeedDaemonReload bosun-web')).toBe('NeedDaemonReload=no\n');
    expect(total(await runTasks(fleet(), tasks, { hosts: ['host2'] }), 'changed')).toBe(0);

    const restart = [
      { service: { name: 'bosun-web.service', state: 'restarted' } },
      { wait_for: { port: 8081, timeout: 20 } },
    ];
    for (let i = 0; i < 2; i += 1) {
      const restarted = await runTasks(fleet(), restart, { hosts: ['host2'] });
      expect(
        restarted.results.map((r) => r.status),
        restarted.output,
      ).toEqual(['changed', 'ok']);
    }
  });

  it('stops, disables and masks it', async () => {
    await expectProtocol(
      fleet(),
      [{ service: { name: 'bosun-web', state: 'stopped', enabled: false } }],
      async (node) => {
        const r = await hostRun(
          fleet(),
          node,
          'systemctl is-active bosun-web; systemctl is-enabled bosun-web',
        );
        expect(r.output).toBe('inactive\ndisabled\n');
      },
      { hosts: ['host2'], changes: 1 },
    );
    // systemctl mask refuses a unit whose file is in /etc itself: mask one shipped in /lib.
    await expectProtocol(
      fleet(),
      [{ service: { name: 'e2scrub_reap.service', masked: true, state: 'stopped' } }],
      async (node) => {
        expect(await sh(node, 'readlink /etc/systemd/system/e2scrub_reap.service')).toBe('/dev/null\n');
      },
      { hosts: ['host2'], changes: 1 },
    );
    const start = await runTasks(fleet(), [{ service: { name: 'e2scrub_reap', state: 'started' } }], {
      hosts: ['host2'],
    });
    expect(failure(start)).toBe('e2scrub_reap.service is masked: it cannot be started (set masked: false)');
    const unmask = [{ service: { name: 'e2scrub_reap', masked: false } }];
    expect(total(await runTasks(fleet(), unmask, { hosts: ['host2'] }), 'changed')).toBe(1);
    expect(total(await runTasks(fleet(), unmask, { hosts: ['host2'] }), 'changed')).toBe(0);
  });

  it('fails on a unit that does not exist, and refuses a name with shell syntax', async () => {
    const missing = await runTasks(fleet(), [{ service: { name: 'bosun-nosuch', state: 'started' } }], {
      hosts: ['host2'],
    });
    expect(failure(missing)).toBe('could not find the requested service bosun-nosuch.service: no such unit');
    const nasty = await runTasks(fleet(), [{ service: { name: NASTY, state: 'started' } }], {
      hosts: ['host2'],
    });
    expect(nasty.exitCode).not.toBe(0);
    expect(nasty.output).toContain('is not a unit name');
    await noInjection(host2);
  });
});

describe('sysctl', () => {
  it('writes the persistent file; in a container the live value is not applied, with a notice', async () => {
    const file = `/etc/sysctl.d/60-${NASTY}.conf`;
    const tasks = [
      {
        name: 'net key',
        sysctl: { name: 'net.ipv4.tcp_keepalive_time', value: 600, sysctl_file: file },
        register: 'net',
      },
      { name: 'kernel key', sysctl: { name: 'kernel.panic', value: '10' }, register: 'kern' },
      { name: 'net notice', debug: { var: 'net.warnings' } },
      { name: 'kernel notice', debug: { var: 'kern.warnings' } },
    ];
    const liveBefore = await sh(host2, 'cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/kernel/panic');
    const { converge, again } = await expectProtocol(
      fleet(),
      tasks,
      async (node) => {
        expect(await sh(node, `cat ${q(file)}`)).toBe('net.ipv4.tcp_keepalive_time=600\n');
        expect(await sh(node, 'cat /etc/sysctl.d/99-bosun.conf')).toBe('kernel.panic=10\n');
        expect(await sh(node, 'cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/kernel/panic')).toBe(
          liveBefore,
        );
      },
      { hosts: ['host2'], changes: 2 },
    );
    expect(shown(converge, 'net notice')).toEqual([
      `live value not applied: /proc/sys/net/ipv4/tcp_keepalive_time is not writable here (a read-only /proc/sys, as in containers); ${file} is written all the same`,
    ]);
    expect(shown(converge, 'kernel notice')).toEqual([
      "live value not applied: kernel.panic is not namespaced: in this container it is the host kernel's setting; /etc/sysctl.d/99-bosun.conf is written all the same",
    ]);
    // The notices reach the user as warnings too, not only through register.
    const warned = converge.events.flatMap((e) =>
      e.type === 'warning' && e.host === 'host2' ? [e.message] : [],
    );
    expect(warned.filter((m) => m.startsWith('live value not applied:'))).toHaveLength(2);
    // Second run: the file is right, the live value is left alone without a notice.
    expect(shown(again, 'net notice')).toBe('VARIABLE IS NOT DEFINED!');
    await noInjection(host2);
  });

  it('removes the key with state absent', async () => {
    await expectProtocol(
      fleet(),
      [{ sysctl: { name: 'kernel.panic', state: 'absent' } }],
      async (node) => {
        expect(await sh(node, 'cat /etc/sysctl.d/99-bosun.conf')).toBe('');
      },
      { hosts: ['host2'], changes: 1 },
    );
  });
});

describe('wait_for', () => {
  it('waits for ports and paths on the host without changing anything, in check mode too', async () => {
    await sh(host2, `mkdir -p /tmp/wf && printf 'starting\\nready on port 80 ${'`x`'}\\n' > /tmp/wf/log`);
    // /tmp/wf/later appears 1.5 s after the check run's wait_for starts looking for it (its
    // first pause, `sleep 2`, seen on the host: the script itself comes on stdin, not in argv),
    // however long the run takes to get there. The pattern and the path are spelled so that
    // this shell's own argv matches neither.
    await sh(
      host2,
      `nohup sh -c 'until pgrep -f "^sleep [2]$" > /dev/null; do sleep 0.1; done; sleep 1.5; touch /tmp/wf/late""r' > /dev/null 2>&1 &`,
    );
    const tasks = [
      { name: 'remote port', wait_for: { host: 'host1', port: 8000, timeout: 20 } },
      { name: 'closed port', wait_for: { port: 9, state: 'stopped', timeout: 5 } },
      {
        name: 'regex',
        wait_for: { path: '/tmp/wf/log', search_regex: 'ready on port [0-9]+ `x`', timeout: 5 },
      },
      { name: 'later', wait_for: { path: '/tmp/wf/later', timeout: 20, sleep: 2 }, register: 'later' },
      { name: 'gone', wait_for: { path: `/tmp/wf/${NASTY}`, state: 'absent', timeout: 5 } },
      { name: 'elapsed', debug: { var: 'later.elapsed' } },
    ];
    // /tmp/wf/later is the test's own doing, not the module's.
    const check = await expectUntouched(
      [host2],
      () => runTasks(fleet(), tasks, { hosts: ['host2'], check: true }),
      { skip: ['/tmp/wf/later'] },
    );
    expect(
      check.results.map((r) => r.status),
      check.output,
    ).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(Number(shown(check, 'elapsed'))).toBeGreaterThanOrEqual(1);
    const real = await runTasks(fleet(), tasks, { hosts: ['host2'] });
    expect(real.exitCode, real.output).toBe(0);
    expect(total(real, 'changed')).toBe(0);
    await noInjection(host2);
  });

  it("fails at the timeout with Ansible's message", async () => {
    const started = Date.now();
    const outcome = await runTasks(fleet(), [{ wait_for: { port: 9, timeout: 2, connect_timeout: 1 } }], {
      hosts: ['host2'],
    });
    expect(failure(outcome)).toBe('Timeout when waiting for 127.0.0.1:9');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });
});

describe('get_url', () => {
  it('downloads with python3 (no curl or wget on the host), atomically, with mode and checksum', async () => {
    await sh(host2, 'mkdir -p /opt/dl && ! command -v curl && ! command -v wget');
    await expectProtocol(
      fleet(),
      [
        { name: 'into folder', get_url: { url: SERVED_URL, dest: '/opt/dl/', mode: '0640' } },
        {
          name: 'checksum',
          get_url: {
            url: 'http://host1:8000/bin.dat',
            dest: '/opt/dl/bin.dat',
            checksum: `sha256:${sha256(binary)}`,
          },
        },
        {
          name: 'forced',
          get_url: { url: 'http://host1:8000/bin.dat', dest: `/opt/dl/${NASTY}.dat`, force: true },
        },
      ],
      async (node) => {
        expect(
          await sh(node, `cat ${q(`/opt/dl/${SERVED_NAME}`)}; stat -c %a ${q(`/opt/dl/${SERVED_NAME}`)}`),
        ).toBe(`${SERVED_TEXT}640\n`);
        expect(await sh(node, `sha256sum < /opt/dl/bin.dat; sha256sum < ${q(`/opt/dl/${NASTY}.dat`)}`)).toBe(
          `${sha256(binary)}  -\n`.repeat(2),
        );
        expect(await sh(node, 'ls -a /opt/dl | grep -c bosun || true')).toBe('0\n');
      },
      { hosts: ['host2'], changes: 3 },
    );
    await noInjection(host2);
  });

  it('replaces a forced download when the served file changes, keeping a backup', async () => {
    await sh(host1, `printf 'new\\n' > ${q(`/srv/www/${SERVED_NAME}`)}`);
    const task = [{ get_url: { url: SERVED_URL, dest: '/opt/dl/', force: true, backup: true } }];
    const replaced = await runTasks(fleet(), task, { hosts: ['host2'] });
    expect(total(replaced, 'changed'), replaced.output).toBe(1);
    expect(
      await sh(host2, `cat ${q(`/opt/dl/${SERVED_NAME}`)}; stat -c %a ${q(`/opt/dl/${SERVED_NAME}`)}`),
    ).toBe('new\n640\n');
    expect(await sh(host2, `cat /opt/dl/it\\'s*~`)).toBe(SERVED_TEXT);
    expect(total(await runTasks(fleet(), task, { hosts: ['host2'] }), 'changed')).toBe(0);
  });

  it('fails on a checksum mismatch and leaves dest alone', async () => {
    const outcome = await runTasks(
      fleet(),
      [
        {
          get_url: {
            url: 'http://host1:8000/bin.dat',
            dest: '/opt/dl/wrong.dat',
            checksum: `sha256:${'0'.repeat(64)}`,
          },
        },
      ],
      { hosts: ['host2'] },
    );
    expect(failure(outcome)).toBe(
      `the checksum of http://host1:8000/bin.dat is ${sha256(binary)}, not the one asked for (sha256:${'0'.repeat(64)}); /opt/dl/wrong.dat was left alone`,
    );
    expect((await hostRun(fleet(), host2, 'ls /opt/dl/wrong.dat')).exitCode).not.toBe(0);
  });
});

describe('unarchive', () => {
  const files = () => ({ 'app.tgz': archives.tgz, 'app.zip': archives.zip });
  const tree = async (node: FleetNode, dir: string) =>
    sh(node, `cd ${q(dir)} && cat ${q(SERVED_NAME)} sub/b.txt && readlink link`);

  it('extracts controller archives (tar.gz, zip) and one the host downloads, comparing their content', async () => {
    await sh(host2, `mkdir -p /opt/tgz /opt/zip ${q(`/opt/url ${NASTY}`)}`);
    const tasks = [
      { name: 'tgz', unarchive: { src: 'app.tgz', dest: '/opt/tgz' } },
      { name: 'zip', unarchive: { src: 'app.zip', dest: '/opt/zip' } },
      {
        name: 'url',
        unarchive: {
          src: 'http://host1:8000/app.tgz',
          remote_src: true,
          dest: `/opt/url ${NASTY}`,
          extra_opts: ['--strip-components=1'],
        },
      },
    ];
    const expected = `in the archive ${NASTY}\nb\n${SERVED_NAME}\n`;
    await expectProtocol(
      fleet(),
      tasks,
      async (node) => {
        expect(await tree(node, '/opt/tgz/app')).toBe(expected);
        expect(await tree(node, '/opt/zip/app')).toBe(expected);
        expect(await tree(node, `/opt/url ${NASTY}`)).toBe(expected);
      },
      { hosts: ['host2'], changes: 3, files: files() },
    );
    // Content drift is found and repaired; creates skips the comparison entirely.
    await sh(host2, 'echo drift > /opt/zip/app/sub/b.txt && echo drift > /opt/tgz/app/sub/b.txt');
    const repaired = await runTasks(fleet(), tasks, { hosts: ['host2'], files: files() });
    expect(
      repaired.results.map((r) => r.status),
      repaired.output,
    ).toEqual(['changed', 'changed', 'ok']);
    expect(await tree(host2, '/opt/zip/app')).toBe(expected);
    await sh(host2, 'echo drift > /opt/tgz/app/sub/b.txt');
    const skipped = await runTasks(
      fleet(),
      [{ unarchive: { src: 'app.tgz', dest: '/opt/tgz', creates: '/opt/tgz/app' } }],
      { hosts: ['host2'], files: files() },
    );
    expect(total(skipped, 'changed'), skipped.output).toBe(0);
    await noInjection(host2);
  });
});

describe('git', () => {
  let v1: string;
  let main: string;
  const dest = `/opt/src ${NASTY}`;
  const checkout = (version?: string, force?: boolean) => [
    {
      git: {
        repo: 'file:///srv/git/app.git',
        dest,
        ...(version ? { version } : {}),
        ...(force ? { force } : {}),
      },
    },
  ];
  const head = () => sh(host2, `git -C ${q(dest)} rev-parse HEAD`);

  beforeAll(async () => {
    await sh(
      host2,
      [
        'set -e',
        'git init -q --bare -b main /srv/git/app.git',
        'w=$(mktemp -d) && cd "$w" && git init -q -b main && git config user.email t@bosun.invalid && git config user.name t',
        'echo one > f && git add f && git commit -qm one && git tag -a v1 -m v1',
        'echo two > f && git commit -qam two',
        'git push -q /srv/git/app.git main --tags',
      ].join('\n'),
    );
    [v1, main] = (await sh(host2, 'git --git-dir=/srv/git/app.git rev-parse "v1^{commit}" main'))
      .trim()
      .split('\n') as [string, string];
  });

  it('clones at a tag, then follows the default branch', async () => {
    await expectProtocol(
      fleet(),
      checkout('v1'),
      async () => {
        expect(await head()).toBe(`${v1}\n`);
      },
      { hosts: ['host2'], changes: 1 },
    );
    const moved = await runTasks(fleet(), checkout(), { hosts: ['host2'] });
    expect(total(moved, 'changed'), moved.output).toBe(1);
    expect(await head()).toBe(`${main}\n`);
    expect(await sh(host2, `git -C ${q(dest)} symbolic-ref --short HEAD`)).toBe('main\n');
    expect(total(await runTasks(fleet(), checkout(), { hosts: ['host2'] }), 'changed')).toBe(0);
  });

  it('refuses to discard local modifications unless forced', async () => {
    await sh(host2, `echo local > ${q(`${dest}/f`)}`);
    const refused = await runTasks(fleet(), checkout(v1), { hosts: ['host2'] });
    expect(failure(refused)).toBe(`local modifications exist in ${dest} (force: true discards them)`);
    expect(await head()).toBe(`${main}\n`);
    const forced = await runTasks(fleet(), checkout(v1, true), { hosts: ['host2'] });
    expect(total(forced, 'changed'), forced.output).toBe(1);
    expect(await head()).toBe(`${v1}\n`);
    expect(await sh(host2, `cat ${q(`${dest}/f`)}`)).toBe('one\n');
    expect(total(await runTasks(fleet(), checkout(v1, true), { hosts: ['host2'] }), 'changed')).toBe(0);
    await noInjection(host2);
  });

  it('fails with what to do when git is missing', async () => {
    const outcome = await runTasks(fleet(), checkout(), { hosts: ['host1'] });
    expect(failure(outcome)).toBe(
      'git is not installed on this host (install it first, e.g. with apt: name=git)',
    );
  });
});

describe('host facts', () => {
  it('gathers, in check mode too and changing nothing, what the host itself says', async () => {
    const facts = await expectUntouched([host1], () =>
      runTasks(fleet(), [{ name: 'show', debug: { msg: '{{ to_json bosun_facts }}' } }], {
        hosts: [host1.name],
        gatherFacts: true,
        check: true,
      }),
    );
    expect(facts.exitCode, facts.output).toBe(0);
    const shownFacts = JSON.parse(facts.results.find((r) => r.task === 'show')!.msg!);
    const [osId, codename, debianVersion, machine, kernel, cpus, name, addresses] = (
      await sh(
        host1,
        '. /etc/os-release; echo "$ID"; echo "$VERSION_CODENAME"; cat /etc/debian_version; uname -m; uname -r; nproc; hostname; hostname -I',
      )
    ).split('\n');
    expect(osId).toBe('debian');
    expect(shownFacts).toMatchObject({
      distribution: 'Debian',
      distribution_version: debianVersion,
      distribution_major_version: debianVersion!.split('.')[0],
      codename,
      os_family: 'Debian',
      architecture: machine,
      kernel,
      init: 'systemd',
      container: 'docker',
      cpus: Number(cpus),
      hostname: name,
      pkg_mgr: 'apt',
      python: { present: true },
    });
    expect(addresses!.trim().split(/\s+/)).toContain(shownFacts.default_ipv4.address);
  });
});
