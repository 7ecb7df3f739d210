import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostResultEvent, RunEvent } from '../../../src/engine/events.js';
import { loadRunInput, runPlaybook, type TransportProvider } from '../../../src/engine/index.js';
import { isBosunError } from '../../../src/errors.js';
import { wrappedTransports } from '../../support/wrapped-transports.js';

// Host facts on demand: gathered at the start of a play that asks (gather_facts: true) or
// before the first task of a role that declares gatherFacts, once per host for the whole run.
// The hosts are local shells; the wrapper counts the gather scripts each one receives.

const dir = mkdtempSync(join(tmpdir(), 'bosun-gather-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'inventory.yml'),
  'all:\n  vars:\n    bosun_connection: local\n  hosts:\n    one:\n    two:\n',
);
mkdirSync(join(dir, 'roles', 'reader'), { recursive: true });
writeFileSync(
  join(dir, 'roles', 'reader', 'index.js'),
  `export default {
  name: 'reader',
  gatherFacts: true,
  tasks: [{ name: 'role reads', debug: { msg: '{{ ansible_os_family }} {{ bosun_facts.init }}' } }],
};
`,
);

function playbook(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** Local transports that count the gather scripts per host. */
function counting(): { provider: TransportProvider; gathers: Map<string, number> } {
  const gathers = new Map<string, number>();
  const provider = wrappedTransports((host, real) => (command, options) => {
    if (command.text.includes('uname_r=')) gathers.set(host, (gathers.get(host) ?? 0) + 1);
    return real.exec(command, options);
  });
  return { gathers, provider };
}

async function runFile(file: string) {
  const input = await loadRunInput({ playbook: file, inventory: ['inventory.yml'], cwd: dir });
  const events: RunEvent[] = [];
  const { provider, gathers } = counting();
  const summary = await runPlaybook(input, { onEvent: (e) => events.push(e), transports: provider });
  const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
  return { summary, results, gathers, events };
}

describe('gather_facts', () => {
  it('gathers once per host for the run, when a play or a role asks, under both names', async () => {
    const file = playbook(
      'facts.yml',
      `- name: no facts asked
  hosts: all
  tasks:
    - name: plain
      command: "true"
- name: asks
  hosts: all
  gather_facts: true
  tasks:
    - name: show
      debug:
        msg: "{{ ansible_distribution }}|{{ bosun_facts.distribution }}|{{ ansible_facts.kernel }}|{{ bosun_facts.cpus }}"
- name: asks again, and a role asks too
  hosts: all
  gather_facts: true
  roles:
    - reader
`,
    );
    const { summary, results, gathers, events } = await runFile(file);
    expect(summary.failedHosts).toEqual([]);
    expect(Object.fromEntries(gathers)).toEqual({ one: 1, two: 1 });
    const gathered = results.filter((r) => r.task === 'Gathering Facts');
    expect(gathered.map((r) => `${r.host}:${r.status}`).sort()).toEqual(['one:ok', 'two:ok']);
    // The task is reported once, in the play that asked first: the cache answers the others.
    const starts = events.filter((e) => e.type === 'task_start' && e.task === 'Gathering Facts');
    expect(starts).toHaveLength(1);
    const playOrder = events.filter((e) => e.type === 'play_start' || e === starts[0]).map((e) => e.type);
    expect(playOrder).toEqual(['play_start', 'play_start', 'task_start', 'play_start']);
    const shown = results.find((r) => r.task === 'show' && r.host === 'one')!.msg!.split('|');
    expect(shown[0]).toBe(shown[1]);
    expect(shown[0]).toMatch(/\S/);
    expect(Number(shown[3])).toBeGreaterThan(0);
    expect(results.find((r) => r.task === 'role reads' && r.host === 'two')?.status).toBe('ok');
  });

  it('gathers for a role that declares it, without gather_facts, before its first task', async () => {
    const file = playbook('role.yml', '- hosts: one\n  roles:\n    - reader\n');
    const { results, gathers } = await runFile(file);
    expect(Object.fromEntries(gathers)).toEqual({ one: 1 });
    expect(results.map((r) => `${r.task}:${r.status}`)).toEqual(['Gathering Facts:ok', 'role reads:ok']);
  });

  it('gathers nothing when nothing asks, and refuses a fact read at load then', async () => {
    const none = playbook('none.yml', '- hosts: all\n  tasks:\n    - command: "true"\n');
    const { gathers } = await runFile(none);
    expect(gathers.size).toBe(0);
    const reads = playbook(
      'reads.yml',
      '- hosts: all\n  tasks:\n    - debug:\n        msg: "{{ ansible_distribution }}"\n',
    );
    const error = await loadRunInput({ playbook: reads, inventory: ['inventory.yml'], cwd: dir }).catch(
      (e) => e,
    );
    expect(isBosunError(error, 'BOSUN_INPUT')).toBe(true);
    expect((error as Error).message).toContain(
      '"ansible_distribution" (a host fact: set gather_facts: true on the play to gather them)',
    );
  });

  it('leaves a host whose facts cannot be read, with the reason; the others go on', async () => {
    const file = playbook(
      'broken.yml',
      '- hosts: all\n  gather_facts: true\n  tasks:\n    - name: after\n      command: "true"\n',
    );
    const input = await loadRunInput({ playbook: file, inventory: ['inventory.yml'], cwd: dir });
    const events: RunEvent[] = [];
    const provider = wrappedTransports((host) =>
      host === 'two'
        ? () => Promise.resolve({ code: 2, stdout: '', stderr: 'sh: 1: Syntax error\n', durationMs: 1 })
        : undefined,
    );
    const summary = await runPlaybook(input, { onEvent: (e) => events.push(e), transports: provider });
    const results = events.filter((e): e is HostResultEvent => e.type === 'host_result');
    expect(results.map((r) => `${r.task}|${r.host}|${r.status}`).sort()).toEqual([
      'Gathering Facts|one|ok',
      'Gathering Facts|two|failed',
      'after|one|changed',
    ]);
    expect(results.find((r) => r.host === 'two')?.msg).toBe(
      'cannot gather the host facts: sh: 1: Syntax error',
    );
    expect(summary.failedHosts).toEqual(['two']);
    expect(summary.recap.two).toMatchObject({ ok: 0, failed: 1 });
  });
});
