import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../../../src/cli/run-command.js';
import type { HostResultEvent, RunEvent } from '../../../src/engine/events.js';
import { loadRunInput, runPlaybook, type TransportProvider } from '../../../src/engine/index.js';
import { BosunError, type BosunErrorCode } from '../../../src/errors.js';
import { wrappedTransports } from '../../support/wrapped-transports.js';

// How the engine classifies what a transport throws while a task runs: a connection lost
// mid-command makes the host unreachable (it leaves the play, exit 3) and the others go on;
// a command timeout is a failure of the task (exit 2). The hosts are local shells; only the
// one error is injected, since a dropped connection cannot happen to a local shell.

const dir = mkdtempSync(join(tmpdir(), 'bosun-host-loss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'inventory.yml'),
  'all:\n  vars:\n    bosun_connection: local\n  hosts:\n    steady:\n    lost:\n',
);
writeFileSync(
  join(dir, 'site.yml'),
  `- name: two tasks
  hosts: all
  tasks:
    - name: probe
      command: echo hi
    - name: after
      command: "true"
`,
);

/** Real local transports, except that every command on `lost` throws `code`. */
function failingOn(code: BosunErrorCode): TransportProvider {
  return wrappedTransports((host) =>
    host === 'lost'
      ? () => Promise.reject(new BosunError(code, 'lost: connection to lost:22 lost (closed by the server)'))
      : undefined,
  );
}

async function runWith(code: BosunErrorCode) {
  const input = await loadRunInput({ playbook: 'site.yml', inventory: ['inventory.yml'], cwd: dir });
  const events: RunEvent[] = [];
  const summary = await runPlaybook(input, { onEvent: (e) => events.push(e), transports: failingOn(code) });
  const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
  const status = Object.fromEntries(results.map((r) => [`${r.task}|${r.host}`, r.status]));
  return { summary, results, status };
}

describe('a host lost while a task runs', () => {
  it('is unreachable with BOSUN_CONNECTION_LOST and leaves the play; the other host goes on; exit 3', async () => {
    const { summary, results, status } = await runWith('BOSUN_CONNECTION_LOST');
    expect(status).toEqual({
      'probe|steady': 'changed',
      'probe|lost': 'unreachable',
      'after|steady': 'changed',
    });
    const lost = results.find((r) => r.host === 'lost')!;
    expect(lost.msg).toBe('BOSUN_CONNECTION_LOST: lost: connection to lost:22 lost (closed by the server)');
    expect(summary.unreachableHosts).toEqual(['lost']);
    expect(summary.failedHosts).toEqual([]);
    expect(summary.recap.lost).toMatchObject({ ok: 0, unreachable: 1, failed: 0 });
    expect(exitCodeForRun(summary)).toBe(3);
  });

  it('is failed, not unreachable, when its command only timed out; exit 2', async () => {
    const { summary, status } = await runWith('BOSUN_COMMAND_TIMEOUT');
    expect(status['probe|lost']).toBe('failed');
    expect(summary.failedHosts).toEqual(['lost']);
    expect(summary.unreachableHosts).toEqual([]);
    expect(exitCodeForRun(summary)).toBe(2);
  });
});
