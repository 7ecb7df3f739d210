/**
 * Check mode through the whole engine, on this machine (local connection) in a scratch folder:
 * later tasks plan against what earlier ones would make, a command that would run is a change
 * that is not made, and what cannot be known before the run is `unknown`, with its reason, in
 * the JSON events, the plain output and the recap. Nothing is changed on the machine.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostResultEvent, RunEvent } from '../../../src/engine/events.js';
import { stringify } from '../../../src/vendor/yaml.js';
import { runInProcess } from '../../support/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bosun-check-mode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inventory = join(dir, 'inventory.yml');
writeFileSync(inventory, 'all:\n  hosts:\n    here: { bosun_connection: local }\n');

async function run(
  name: string,
  play: Record<string, unknown>,
  args: string[],
): Promise<{ code: number; stdout: string; events: RunEvent[] }> {
  const playbook = join(dir, `${name}.yml`);
  writeFileSync(playbook, stringify([{ name, hosts: 'all', ...play }], { version: '1.1' }));
  const { code, stdout, stderr } = await runInProcess(['run', playbook, '-i', inventory, ...args], {
    cwd: dir,
    env: { CI: 'true' },
  });
  const events = args.includes('--json')
    ? stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as RunEvent)
    : [];
  if (code !== 0) throw new Error(`bosun exited ${code}:\n${stdout}${stderr}`);
  return { code, stdout, events };
}

function results(events: RunEvent[]): Map<string, HostResultEvent> {
  const out = new Map<string, HostResultEvent>();
  for (const event of events)
    if (event.type === 'host_result' && event.item === undefined) out.set(event.task, event);
  return out;
}

describe('check mode', () => {
  it('plans a file into a folder an earlier task creates as a write, and creates nothing', async () => {
    const base = join(dir, 'app');
    const play = {
      tasks: [
        { name: 'app folder', file: { path: base, state: 'directory', mode: '0750' } },
        { name: 'app config', copy: { dest: `${base}/app.conf`, content: 'port=8080\n', mode: '0640' } },
        {
          name: 'app config again',
          copy: { dest: `${base}/app.conf`, content: 'port=8080\n', mode: '0640' },
        },
        { name: 'port line', lineinfile: { path: `${base}/app.conf`, line: 'host=0.0.0.0' } },
      ],
    };
    const check = await run('folder', play, ['--check', '--diff', '--json']);
    const predicted = results(check.events);
    expect(predicted.get('app folder')?.status).toBe('changed');
    // Not a step failing for want of the folder: the write of the file, with its diff.
    expect(predicted.get('app config')?.status).toBe('changed');
    expect(predicted.get('app config')?.diffs?.[0]?.unified).toBe(
      `--- /dev/null\n+++ after: ${base}/app.conf\n@@ -0,0 +1 @@\n+port=8080\n`,
    );
    // The same content again: the file the earlier task writes is already as asked.
    expect(predicted.get('app config again')?.status).toBe('ok');
    // lineinfile edits the bytes the earlier task writes.
    expect(predicted.get('port line')?.diffs?.[0]?.unified).toBe(
      `--- before: ${base}/app.conf\n+++ after: ${base}/app.conf\n@@ -1 +1,2 @@\n port=8080\n+host=0.0.0.0\n`,
    );
    expect(existsSync(base)).toBe(false);

    const real = await run('folder', play, ['--json']);
    const made = results(real.events);
    for (const [task, event] of predicted) expect(made.get(task)?.status, task).toBe(event.status);
  });

  it('counts a command that would run as a change it does not make', async () => {
    const marker = join(dir, 'ran');
    const play = { tasks: [{ name: 'touch', command: { argv: ['touch', marker] } }] };
    const check = await run('command', play, ['--check', '--json']);
    expect(results(check.events).get('touch')?.status).toBe('changed');
    expect(existsSync(marker)).toBe(false);
  });

  it('reports what depends on a command output it did not get as unknown, with the reason, everywhere', async () => {
    const play = {
      tasks: [
        { name: 'read the date', command: { argv: ['date', '+%Y'] }, register: 'year' },
        { name: 'only in 2001', debug: { msg: 'odyssey' }, when: 'eq year.stdout "2001"' },
        { name: 'remember it', set_fact: { year_text: '{{ year.stdout }}' } },
        { name: 'use it', debug: { msg: '{{ year_text }}' } },
        {
          name: 'count sessions',
          shell: { cmd: 'echo none' },
          register: 'sessions',
          changed_when: 'eq sessions.stdout "ended"',
          notify: 'after sessions',
        },
        { name: 'touch', command: { argv: ['true'] }, notify: 'after touch' },
        { name: 'unrelated', debug: { msg: 'fine' } },
      ],
      handlers: [
        { name: 'after sessions', debug: { msg: 'ran' } },
        { name: 'after touch', debug: { msg: 'ran' } },
      ],
    };
    const check = await run('unknown', play, ['--check', '--json']);
    const byTask = results(check.events);
    const when = byTask.get('only in 2001');
    expect(when?.status).toBe('unknown');
    expect(when?.msg).toBe(
      'needs the change made by task "read the date": check mode does not run it, so its output is not known',
    );
    expect(when?.needs).toEqual({ task: 'read the date', taskId: when?.needs?.taskId });
    expect(byTask.get('remember it')?.status).toBe('unknown');
    expect(byTask.get('use it')?.msg).toBe(
      'needs the change made by task "remember it": what it registers is known only after the run',
    );
    expect(byTask.get('count sessions')?.msg).toBe(
      'whether it changes depends on its output (changed_when), and check mode does not run it',
    );
    expect(byTask.get('unrelated')?.status).toBe('ok');
    // A handler only an unknown task notified is not known to run; one a change notified runs.
    expect(byTask.get('after sessions')?.status).toBe('unknown');
    expect(byTask.get('after sessions')?.needs?.task).toBe('count sessions');
    expect(byTask.get('after touch')?.status).toBe('ok');
    const end = check.events.find((event) => event.type === 'run_end');
    expect(end?.type === 'run_end' && end.recap.here).toEqual({
      ok: 4,
      changed: 2,
      unreachable: 0,
      failed: 0,
      skipped: 0,
      ignored: 0,
      unknown: 5,
    });
    // Never reported as skipped.
    expect([...byTask.values()].filter((event) => event.status === 'skipped')).toEqual([]);

    const plain = await run('unknown', play, ['--check']);
    expect(plain.stdout).toContain(
      'unknown: [here] => needs the change made by task "read the date": check mode does not run it, so its output is not known\n',
    );
    expect(plain.stdout).toMatch(
      /here +: ok=4 +changed=2 +unreachable=0 +failed=0 +skipped=0 +ignored=0 +unknown=5\n/,
    );
  });

  it('makes a loop unknown when an item is, unless another item changes', async () => {
    const play = {
      tasks: [
        { name: 'probe', command: { argv: ['true'] }, register: 'probe' },
        {
          name: 'items',
          debug: { msg: '{{ item }}' },
          loop: ['a', 'b'],
          when: 'or (eq item "a") (eq probe.rc 0)',
        },
      ],
    };
    const check = await run('loop', play, ['--check', '--json']);
    const items = check.events.filter(
      (event): event is HostResultEvent => event.type === 'host_result' && event.task === 'items',
    );
    expect(items.map((event) => [event.item, event.status])).toEqual([
      ['a', 'unknown'],
      ['b', 'unknown'],
      [undefined, 'unknown'],
    ]);
  });
});
