import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostResultEvent, RunEvent } from '../../../src/engine/events.js';
import { type InProcessRun, runInProcess } from '../../support/in-process-cli.js';
import { processesWith } from '../../support/local-processes.js';

// Ctrl-C (the CLI's abort signal) during `bosun run` and `bosun exec` on local hosts: the
// commands in flight are stopped with every process they started, each host is reported in
// the task it was in, and the exit code is 130. The same code serves the ssh and docker
// transports (test/integration/interrupt.test.ts).

const dir = mkdtempSync(join(tmpdir(), 'bosun-run-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'inventory.yml'),
  'all:\n  vars:\n    bosun_connection: local\n  hosts:\n    h1:\n    h2:\n    h3:\n',
);

interface Interrupted extends InProcessRun {
  /** Milliseconds from the abort to the command's return. */
  ms: number;
}

/** Run the CLI in-process and abort it once `ready()` holds. */
async function interruptWhen(argv: string[], ready: () => boolean): Promise<Interrupted> {
  const controller = new AbortController();
  const running = runInProcess(argv, { cwd: dir, env: { CI: 'true' }, signal: controller.signal });
  let finished: InProcessRun | undefined;
  void running.then((run) => {
    finished = run;
  });
  await expect
    .poll(() => ready() || finished !== undefined, {
      timeout: 20_000,
      interval: 50,
      message: 'the commands to start',
    })
    .toBe(true);
  expect(finished, 'the command ended before it was interrupted').toBeUndefined();
  const aborted = Date.now();
  controller.abort();
  const run = await running;
  return { ...run, ms: Date.now() - aborted };
}

describe('Ctrl-C during bosun run', () => {
  it('stops every process of the task on every host, reports where each host was, exits 130', async () => {
    // A background and a foreground process per host, under a shell: all must go.
    const token = `sleep 297.${process.pid}`;
    writeFileSync(
      join(dir, 'long.yml'),
      `- name: long
  hosts: all
  tasks:
    - name: quick
      command: "true"
    - name: long sleep
      shell: "${token}1 & ${token}2; echo never"
    - name: after
      command: "true"
`,
    );
    const run = await interruptWhen(
      ['run', 'long.yml', '-i', 'inventory.yml', '--json'],
      () => processesWith(token).length >= 6,
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.ms).toBeLessThan(5_000);
    console.log(`bosun run, local: Ctrl-C to exit ${run.ms} ms`);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent);
    const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
    const stopped = results.filter((r) => r.task === 'long sleep');
    expect(stopped.map((r) => r.host).sort()).toEqual(['h1', 'h2', 'h3']);
    for (const result of stopped) {
      expect(result).toMatchObject({
        status: 'interrupted',
        msg: 'the command was stopped: its processes ended on SIGTERM',
      });
    }
    expect(results.some((r) => r.task === 'after')).toBe(false);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'run_end', interrupted: true });
    if (end?.type !== 'run_end') throw new Error('no run_end');
    for (const host of ['h1', 'h2', 'h3'])
      expect(end.recap[host]).toEqual({
        ok: 1,
        changed: 1,
        unreachable: 0,
        failed: 0,
        skipped: 0,
        ignored: 0,
        unknown: 0,
        interrupted: 1,
      });
    expect(run.stderr).toBe(
      'bosun: warning: interrupted; commands stopped on h1 in TASK [long sleep], h2 in TASK [long sleep], h3 in TASK [long sleep]\n',
    );
    expect(processesWith(token)).toEqual([]);
  }, 30_000);

  it('names the interrupted hosts in the plain output and its recap', async () => {
    const token = `sleep 296.${process.pid}`;
    writeFileSync(
      join(dir, 'plain.yml'),
      `- name: plain\n  hosts: h1\n  tasks:\n    - name: wait here\n      command: ${token}\n`,
    );
    const run = await interruptWhen(
      ['run', 'plain.yml', '-i', 'inventory.yml'],
      () => processesWith(token).length > 0,
    );
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(
      /\nTASK \[wait here\] \*+\ninterrupted: \[h1\] => the command was stopped: its processes ended on SIGTERM\n/,
    );
    expect(run.stdout).toMatch(
      /^h1 +: ok=0 +changed=0 +unreachable=0 +failed=0 +skipped=0 +ignored=0 +unknown=0 +interrupted=1$/m,
    );
    expect(processesWith(token)).toEqual([]);
  }, 30_000);
});

describe('Ctrl-C during bosun exec', () => {
  it('stops the command on every host, not only the connection, and exits 130', async () => {
    const token = `sleep 295.${process.pid}`;
    const run = await interruptWhen(
      ['exec', 'all', '-i', 'inventory.yml', '--', `${token} & ${token}; true`],
      () => processesWith(token).length >= 6,
    );
    expect(run).toMatchObject({ code: 130, stdout: '', stderr: 'bosun: warning: interrupted\n' });
    expect(run.ms).toBeLessThan(5_000);
    expect(processesWith(token)).toEqual([]);
  }, 30_000);
});
