/**
 * The first modules (command, shell, copy, file) on a fleet host over real SSH, through the
 * four-step protocol (check mode on a fresh path predicts and touches nothing, converge,
 * idempotence, verify on the host), with values full of shell syntax; and the controller
 * modules (debug, set_fact, assert, fail, meta) in a real run, where they never change a host.
 */
import { describe, expect, it } from 'vitest';
import { expectNoInjection, mustRun, q, useFleet } from './support/fleet-hooks.js';
import { expectProtocol, type FleetNode, runTasks, total } from './support/harness.js';

const fleet = useFleet({ hosts: 1 });

const NASTY = `core it's "q" $(touch /tmp/pwned) \`touch /tmp/pwned\` * ? [a]`;
const VALUE = `it's "q" $(touch /tmp/pwned) \`touch /tmp/pwned\` * $HOME\nsecond line`;
/** A file name (no slash) with shell syntax in it. */
const FILE_NAME = `copied it's "q" $HOME * ? [a] \`id\``;

const sh = (node: FleetNode, command: string) => mustRun(fleet(), node, command);
const node = () => fleet().hosts[0] as FleetNode;

describe('command and shell', () => {
  it('run once thanks to creates/removes, in chdir, with stdin, and check mode predicts them', async () => {
    const dir = `/srv/${NASTY}`;
    await sh(node(), `mkdir -p ${q(dir)} && touch ${q(`${dir}/remove-me`)}`);
    await expectProtocol(
      fleet(),
      [
        // command runs no shell: the value reaches cp as one argument, unexpanded.
        {
          command: {
            argv: ['cp', '/etc/hostname', `${dir}/${FILE_NAME}`],
            creates: `${dir}/${FILE_NAME}`,
          },
        },
        { command: { cmd: 'tee stdin.txt', chdir: dir, stdin: VALUE, creates: `${dir}/stdin.txt` } },
        {
          shell: {
            cmd: 'rm -f ./remove-me && echo gone > removed.txt',
            chdir: dir,
            removes: `${dir}/remove-me`,
          },
        },
      ],
      async (host) => {
        // stdin_add_newline defaults to true, as in Ansible.
        expect(await sh(host, `cat ${q(`${dir}/stdin.txt`)}`)).toBe(`${VALUE}\n`);
        expect(await sh(host, `cat ${q(`${dir}/removed.txt`)}`)).toBe('gone\n');
        expect(await sh(host, `ls ${q(dir)}`)).toContain(FILE_NAME);
        await expectNoInjection(fleet(), host);
      },
      { changes: 3 },
    );
  });

  it('are a change check mode does not make without creates/removes, and run with check_mode: false', async () => {
    const tasks = [
      { name: 'plain', shell: 'echo ran >> /tmp/plain-runs' },
      { name: 'forced', shell: 'echo ran >> /tmp/forced-runs', check_mode: false },
    ];
    const check = await runTasks(fleet(), tasks, { check: true });
    expect(check.exitCode, check.output).toBe(0);
    expect(check.results.map((r) => [r.task, r.status])).toEqual([
      ['plain', 'changed'],
      ['forced', 'changed'],
    ]);
    expect((await fleet().exec(node(), ['test', '-e', '/tmp/plain-runs'])).exitCode).toBe(1);
    expect(await sh(node(), 'cat /tmp/forced-runs')).toBe('ran\n');
  });
});

describe('copy and file', () => {
  it('write content with mode, create directories and touch-free files, then change nothing', async () => {
    const dir = `/opt/${NASTY}`;
    await expectProtocol(
      fleet(),
      [
        { file: { path: `${dir}/conf.d`, state: 'directory', mode: '0750', owner: 'bosun' } },
        { copy: { dest: `${dir}/conf.d/app.conf`, content: VALUE, mode: '0640', backup: true } },
        { file: { path: `${dir}/old`, state: 'absent' } },
      ],
      async (host) => {
        expect(await sh(host, `stat -c '%a %U' ${q(`${dir}/conf.d`)}`)).toBe('750 bosun\n');
        expect(await sh(host, `cat ${q(`${dir}/conf.d/app.conf`)}`)).toBe(VALUE);
        expect(await sh(host, `stat -c %a ${q(`${dir}/conf.d/app.conf`)}`)).toBe('640\n');
        await expectNoInjection(fleet(), host);
      },
      { changes: 2 },
    );
  });

  it('keeps the old file when validate refuses the new content', async () => {
    await sh(node(), 'echo "valid=1" > /etc/validated.conf');
    const run = await runTasks(fleet(), [
      { copy: { dest: '/etc/validated.conf', content: 'broken\n', validate: 'grep -q valid= %s' } },
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.results[0]?.status).toBe('failed');
    expect(await sh(node(), 'cat /etc/validated.conf')).toBe('valid=1\n');
    expect(await sh(node(), 'ls -a /etc | grep -c bosun || true')).toBe('0\n');
  });
});

describe('controller modules', () => {
  it('debug, set_fact, assert, fail and meta work in a real run and never change the host', async () => {
    const run = await runTasks(fleet(), [
      { set_fact: { greeting: 'hello {{ inventory_hostname }}' } },
      { name: 'say', debug: { msg: '{{ greeting }}' } },
      { assert: { that: ['eq greeting "hello host1"'], fail_msg: 'wrong greeting' } },
      { meta: 'flush_handlers' },
      { name: 'stop', fail: { msg: 'stopped on purpose' }, when: 'eq greeting "nope"' },
    ]);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.results.find((r) => r.task === 'say')?.msg).toBe('hello host1');
    expect(run.results.find((r) => r.task === 'stop')?.status).toBe('skipped');
    expect(total(run, 'changed')).toBe(0);

    const failing = await runTasks(fleet(), [
      { assert: { that: ['eq 1 2'], fail_msg: 'one is not two' } },
      { name: 'never', debug: { msg: 'not reached' } },
    ]);
    expect(failing.exitCode).toBe(2);
    expect(failing.results[0]?.msg).toContain('one is not two');
    expect(failing.results.some((r) => r.task === 'never')).toBe(false);
  });
});
