import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/cli/io.js';
import { bosunVersion } from '../../../src/cli/main.js';
import { connectionOverrides } from '../../../src/cli/options.js';
import { type InProcessRun, runInProcess } from '../../support/in-process-cli.js';

// The CLI run in-process: argument parsing, exit codes, and ad-hoc runs through the local
// transport (a real /bin/sh on this machine) and an SSH host on a closed loopback port.

const dir = mkdtempSync(join(tmpdir(), 'bosun-cli-'));
const fixtures = join(import.meta.dirname, '../../fixtures/inventory');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const local = write(
  'local.yml',
  `all:
  vars:
    bosun_connection: local
  children:
    web:
      hosts:
        web1: { greeting: hello-web1 }
        web2: { greeting: hello-web2 }
    db:
      hosts:
        db1:
`,
);

function bosun(
  argv: string[],
  env: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<InProcessRun> {
  return runInProcess(argv, { cwd: dir, env, signal });
}

describe('bosun command line', () => {
  it('prints the version (command and flag)', async () => {
    expect(await bosun(['version'])).toEqual({ code: 0, stdout: `bosun ${bosunVersion()}\n`, stderr: '' });
    expect((await bosun(['--version'])).stdout).toBe(`${bosunVersion()}\n`);
    expect(bosunVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints help with exit 0, and usage with exit 4 when no command is given', async () => {
    const help = await bosun(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('exec [options] <pattern> [command...]');
    const execHelp = await bosun(['exec', '--help']);
    expect(execHelp.code).toBe(0);
    expect(execHelp.stdout).toContain(
      'Exit codes: 0 all hosts ok, 2 a command failed, 3 a host was unreachable',
    );
    const none = await bosun([]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('Usage: bosun');
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['exec'], "missing required argument 'pattern'"],
    [['exec', 'all', '-i', 'x', '--bogus', '--', 'true'], "unknown option '--bogus'"],
    [
      ['exec', 'all', '-i', 'x', '--forks', '0', '--', 'true'],
      "argument '0' is invalid. must be a positive integer",
    ],
    [['exec', 'all', '-i', 'x', '-T', 'soon', '--', 'true'], 'must be a number of seconds above 0'],
    [['lab', 'up', '--hops', '3'], 'must be 1 or 2'],
    [['run', 'x.yml', '-i', 'x', '--keepalive-interval', '0'], 'must be a number of seconds above 0'],
    [['exec', 'all', '-i', 'x', '--keepalive-count', '1.5', '--', 'true'], 'must be a positive integer'],
    [['inventory', 'graph', 'a', 'b', '-i', 'x'], 'too many arguments'],
  ])('bad arguments %j exit 4', async (argv, message) => {
    const run = await bosun(argv);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('bosun: error[BOSUN_INPUT]: ');
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('turns --keepalive-interval and --keepalive-count into connection overrides', async () => {
    const io = { stdin: Readable.from([]), env: {}, stderr: { write: () => true } } as unknown as CliIO;
    expect(await connectionOverrides({ keepaliveInterval: 0.5, keepaliveCount: 2 }, io)).toMatchObject({
      keepaliveInterval: 500,
      keepaliveCountMax: 2,
    });
    expect(await connectionOverrides({}, io)).toMatchObject({
      keepaliveInterval: undefined,
      keepaliveCountMax: undefined,
    });
  });

  it('needs an inventory and a command', async () => {
    expect(await bosun(['exec', 'all', '--', 'true'])).toEqual({
      code: 4,
      stdout: '',
      stderr:
        'bosun: error[BOSUN_INPUT]: no inventory given: use -i FILE (for the lab: -i inventory/lab.yml)\n',
    });
    expect(await bosun(['exec', 'all', '-i', local])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'bosun: error[BOSUN_INPUT]: no command given: bosun exec PATTERN -i INVENTORY -- COMMAND...\n',
    });
  });

  it('reports a bad inventory with file:line:col and exit 4', async () => {
    const run = await bosun(['exec', 'all', '-i', join(fixtures, 'bad/hosts-list.yml'), '--', 'true']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `bosun: error[BOSUN_INVENTORY]: ${join(fixtures, 'bad/hosts-list.yml')}:5:9: all.children.web.hosts: must be a mapping or empty, got a list\n`,
    );
    const missing = await bosun(['exec', 'all', '-i', 'missing.yml', '--', 'true']);
    expect(missing).toMatchObject({
      code: 4,
      stderr: 'bosun: error[BOSUN_INVENTORY]: inventory missing.yml not found\n',
    });
  });

  it('checks every host connection before running anything (exit 4)', async () => {
    const marker = join(dir, 'ran-despite-bad-port');
    const bad = write(
      'bad-port.yml',
      'all:\n  hosts:\n    ok1: { bosun_connection: local }\n    broken: { bosun_port: nope }\n',
    );
    const run = await bosun(['exec', 'all', '-i', bad, '--', `touch ${marker}`]);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `bosun: error[BOSUN_INVENTORY]: ${bad}:4:15: host broken: bosun_port must be a port number (1-65535), got "nope"\n`,
    );
    expect(run.stdout).toBe('');
    await expect(import('node:fs/promises').then((fs) => fs.access(marker))).rejects.toThrow();
  });

  it('refuses a bad host pattern with exit 4', async () => {
    expect(await bosun(['exec', '~web(', '-i', local, '--', 'true'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'bosun: error[BOSUN_INPUT]: invalid regular expression in host pattern "~web("\n',
    });
  });

  it('warns and exits 0 when the pattern matches no host', async () => {
    const run = await bosun(['exec', 'nosuch:&web', '-i', local, '--', 'echo should-not-run']);
    expect(run).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'bosun: warning: could not match host pattern, ignoring: nosuch\n' +
        'bosun: warning: no hosts matched "nosuch:&web"; nothing to do\n',
    });
  });

  it('runs the command words as one shell line on each host, with an Ansible-like report', async () => {
    const run = await bosun([
      'exec',
      'web',
      '-i',
      local,
      '--',
      'echo',
      '$greeting',
      '|',
      'tr',
      'a-z',
      'A-Z;',
      'echo',
      'err',
      '>&2',
    ]);
    expect(run.code).toBe(0);
    // Hosts finish in any order; each block is whole.
    const recap = '2 ok, 0 failed, 0 unreachable\n';
    expect(run.stdout.endsWith(recap)).toBe(true);
    const blocks = run.stdout.slice(0, -recap.length).split(/(?=^\S+ \| )/m);
    // Inventory variables are not environment variables: $greeting expands to nothing.
    expect(blocks.sort()).toEqual(['web1 | CHANGED | rc=0 >>\n\nerr\n', 'web2 | CHANGED | rc=0 >>\n\nerr\n']);
    expect(run.stderr).toBe('');
  });

  it('passes shell syntax through untouched (it is the user command line)', async () => {
    const run = await bosun([
      'exec',
      'db1',
      '-i',
      local,
      '--',
      'for i in 1 2; do printf "%s-" "$i"; done; echo',
    ]);
    expect(run).toEqual({
      code: 0,
      stdout: 'db1 | CHANGED | rc=0 >>\n1-2-\n1 ok, 0 failed, 0 unreachable\n',
      stderr: '',
    });
  });

  it('exits 2 and shows rc when the command fails', async () => {
    const run = await bosun(['exec', 'db1', '-i', local, '--', 'echo out; echo bad >&2; exit 7']);
    expect(run).toEqual({
      code: 2,
      stdout: 'db1 | FAILED | rc=7 >>\nout\nbad\n0 ok, 1 failed, 0 unreachable\n',
      stderr: '',
    });
  });

  it('fails a host whose command runs past --timeout', async () => {
    const run = await bosun(['exec', 'db1', '-i', local, '-T', '0.3', '--', 'sleep 5']);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^db1 \| FAILED! => BOSUN_COMMAND_TIMEOUT: .*timed out after 300 ms\n0 ok, 1 failed, 0 unreachable\n$/,
    );
  });

  const mixed = () =>
    write(
      'mixed.yml',
      `all:
  hosts:
    fine: { bosun_connection: local }
    gone: { bosun_host: 127.0.0.1, bosun_port: 1, bosun_known_hosts_file: ${join(dir, 'kh')} }
`,
    );

  it('exits 3 when a host is unreachable while the others still run', async () => {
    const run = await bosun(['exec', 'all', '-i', mixed(), '--connect-timeout', '5', '--', 'echo up']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('fine | CHANGED | rc=0 >>\nup\n');
    expect(run.stdout).toMatch(/^gone \| UNREACHABLE! => BOSUN_UNREACHABLE: .*127\.0\.0\.1:1/m);
    expect(run.stdout).toMatch(/1 ok, 0 failed, 1 unreachable\n$/);
  });

  it('prints one JSON object per host with --json, recap on stderr', async () => {
    const run = await bosun(['exec', 'all', '-i', mixed(), '--json', '--', 'echo up; echo warn >&2']);
    expect(run.code).toBe(3);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const byHost = Object.fromEntries(lines.map((l) => [l.host, l]));
    expect(Object.keys(byHost).sort()).toEqual(['fine', 'gone']);
    expect(byHost.fine).toEqual({
      host: 'fine',
      rc: 0,
      stdout: 'up\n',
      stderr: 'warn\n',
      status: 'ok',
      durationMs: expect.any(Number),
    });
    expect(byHost.gone).toMatchObject({ host: 'gone', rc: null, stdout: '', status: 'unreachable' });
    expect(byHost.gone.error.code).toBe('BOSUN_UNREACHABLE');
    expect(run.stderr).toBe('1 ok, 0 failed, 1 unreachable\n');
  });

  it('runs at most --forks hosts at once', async () => {
    const log = join(dir, 'forks.log');
    // Each host waits (up to 20 s) until all three have started: only hosts run at once can
    // all finish waiting, however slow the machine.
    const command = `echo start >> ${log}; i=0; while [ "$(grep -c start ${log})" -lt 3 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; echo end >> ${log}`;
    writeFileSync(log, '');
    expect((await bosun(['exec', 'all', '-i', local, '--', command])).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('start\nstart\nstart\nend\nend\nend\n');
    // One at a time: every start is followed by its end.
    writeFileSync(log, '');
    const one = `echo start >> ${log}; sleep 0.1; echo end >> ${log}`;
    expect((await bosun(['exec', 'all', '-i', local, '--forks', '1', '--', one])).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('start\nend\n'.repeat(3));
  });

  it('stops at once on Ctrl-C (the abort signal) with exit 130', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const run = await bosun(['exec', 'all', '-i', local, '--', 'sleep 5'], {}, controller.signal);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(run).toEqual({ code: 130, stdout: '', stderr: 'bosun: warning: interrupted\n' });
  });

  it('prints the stack of an error only with BOSUN_DEBUG=1', async () => {
    const quiet = await bosun(['exec', 'all', '-i', join(fixtures, 'bad/cycle.yml'), '--', 'true']);
    expect(quiet.stderr.split('\n')).toHaveLength(2);
    const loud = await bosun(['exec', 'all', '-i', join(fixtures, 'bad/cycle.yml'), '--', 'true'], {
      BOSUN_DEBUG: '1',
    });
    expect(loud.stderr).toContain('BosunError:');
    expect(loud.stderr).toMatch(/\n\s+at /);
  });

  it('--ask-become-pass without a terminal needs BOSUN_BECOME_PASSWORD', async () => {
    const run = await bosun(['exec', 'db1', '-i', local, '-K', '--', 'true']);
    expect(run).toEqual({
      code: 4,
      stdout: '',
      stderr:
        'bosun: error[BOSUN_INPUT]: --ask-become-pass needs a terminal to prompt on, or the password in BOSUN_BECOME_PASSWORD\n',
    });
  });
});

describe('bosun inventory', () => {
  it('draws the group tree like ansible-inventory --graph', async () => {
    const run = await bosun(['inventory', 'graph', '-i', join(fixtures, 'basic/hosts.yml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        '@all:',
        '  |--@ab:',
        '  |  |--web01',
        '  |--@db:',
        '  |  |--db1',
        '  |  |--web01',
        '  |--@monitoring:',
        '  |  |--@app:',
        '  |  |  |--web02',
        '  |--@ungrouped:',
        '  |  |--loner',
        '  |--@web:',
        '  |  |--@app:',
        '  |  |  |--web02',
        '  |  |--web01',
        '  |  |--web02',
        '  |  |--web03',
        '',
      ].join('\n'),
    );
    const sub = await bosun(['inventory', 'graph', 'web', '-i', join(fixtures, 'basic/hosts.yml')]);
    expect(sub.stdout.split('\n')[0]).toBe('@web:');
    const missing = await bosun(['inventory', 'graph', 'nosuch', '-i', join(fixtures, 'basic/hosts.yml')]);
    expect(missing).toMatchObject({
      code: 4,
      stderr: 'bosun: error[BOSUN_INPUT]: no group "nosuch" in the inventory\n',
    });
  });

  it('lists hosts and their groups, for a pattern', async () => {
    const hosts = join(fixtures, 'basic/hosts.yml');
    const run = await bosun(['inventory', 'list', 'web:!web03', '-i', hosts]);
    expect(run).toEqual({
      code: 0,
      stdout: `HOST   GROUPS                SOURCE\nweb01  ab, db, web           ${hosts}\nweb02  monitoring, web, app  ${hosts}\n`,
      stderr: '',
    });
    const json = await bosun(['inventory', 'list', '--json', '-i', local]);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { host: 'web1', groups: ['web'], source: local },
      { host: 'web2', groups: ['web'], source: local },
      { host: 'db1', groups: ['db'], source: local },
    ]);
  });

  it('prints inventory warnings on stderr', async () => {
    const run = await bosun(['inventory', 'list', '-i', write('empty.yml', '')]);
    expect(run).toEqual({
      code: 0,
      stdout: '',
      stderr: `bosun: warning: ${join(dir, 'empty.yml')}: inventory is empty\n`,
    });
  });
});
