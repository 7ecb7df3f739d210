import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../../src/engine/events.js';
import { JsonReporter } from '../../../src/report/json.js';
import { formatListing } from '../../../src/report/listing.js';
import { ListrReporter } from '../../../src/report/listr.js';
import { PlainReporter } from '../../../src/report/plain.js';
import { formatRecap } from '../../../src/report/recap.js';
import type { ReportStreams } from '../../../src/report/reporter.js';

// Recorded event sequences (converge.jsonl is a real run's --json output) and the exact
// output expected from each reporter.
const dir = join(import.meta.dirname, '../../fixtures/engine/events');
const cases = readdirSync(dir)
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => name.replace(/\.jsonl$/, ''));

function load(name: string): { lines: string[]; events: RunEvent[] } {
  const lines = readFileSync(join(dir, `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n');
  return { lines, events: lines.map((line) => JSON.parse(line) as RunEvent) };
}

function capture(): ReportStreams & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    out: () => out,
    err: () => err,
  };
}

describe('plain reporter', () => {
  it('has recorded cases', () => expect(cases.length).toBeGreaterThanOrEqual(2));

  for (const name of cases) {
    it(`prints ${name} exactly`, async () => {
      const streams = capture();
      const reporter = new PlainReporter(streams);
      for (const event of load(name).events) reporter.handle(event);
      await reporter.close();
      expect(streams.out()).toBe(readFileSync(join(dir, `${name}.stdout.txt`), 'utf8'));
      const stderrFile = join(dir, `${name}.stderr.txt`);
      expect(streams.err()).toBe(existsSync(stderrFile) ? readFileSync(stderrFile, 'utf8') : '');
    });
  }

  it('colours statuses for a terminal', () => {
    const streams = capture();
    const palette = {
      green: (t: string) => `<g>${t}</g>`,
      yellow: (t: string) => `<y>${t}</y>`,
      red: (t: string) => `<r>${t}</r>`,
      cyan: (t: string) => `<c>${t}</c>`,
      magenta: (t: string) => `<m>${t}</m>`,
    };
    const reporter = new PlainReporter(streams, palette);
    const base = { type: 'host_result', task: 't', taskId: 'x:1', durationMs: 1 } as const;
    reporter.handle({ ...base, host: 'a', status: 'ok' });
    reporter.handle({ ...base, host: 'b', status: 'changed' });
    reporter.handle({ ...base, host: 'c', status: 'failed', msg: 'boom' });
    reporter.handle({ ...base, host: 'd', status: 'skipped' });
    reporter.handle({ ...base, host: 'e', status: 'unknown', msg: 'needs the change made by task "x"' });
    reporter.handle({ ...base, host: 'f', status: 'interrupted', msg: 'stopped' });
    expect(streams.out()).toBe(
      '<g>ok: [a]</g>\n<y>changed: [b]</y>\n<r>failed: [c] => boom</r>\n<c>skipping: [d]</c>\n' +
        '<m>unknown: [e] => needs the change made by task "x"</m>\n<r>interrupted: [f] => stopped</r>\n',
    );
  });
});

describe('json reporter', () => {
  for (const name of cases) {
    it(`writes ${name} as one event per line, unchanged`, async () => {
      const streams = capture();
      const reporter = new JsonReporter(streams.stdout);
      const { lines, events } = load(name);
      for (const event of events) reporter.handle(event);
      await reporter.close();
      expect(streams.out()).toBe(`${lines.join('\n')}\n`);
    });
  }
});

describe('listr reporter', () => {
  for (const name of cases) {
    it(`renders ${name} to the end, then failures, diffs and the recap`, async () => {
      const streams = capture();
      const reporter = new ListrReporter(streams, { renderer: 'silent' });
      const { events } = load(name);
      for (const event of events) reporter.handle(event);
      await reporter.close();
      const out = streams.out();
      const runEnd = events.find((event) => event.type === 'run_end');
      if (runEnd?.type !== 'run_end') throw new Error('no run_end');
      expect(out.endsWith(`PLAY RECAP ${'*'.repeat(69)}\n${formatRecap(runEnd.recap)}\n`)).toBe(true);
      // Every failure, unreachable and interrupted host is spelled out under its task.
      for (const event of events) {
        if (event.type !== 'host_result' || event.item !== undefined) continue;
        if (event.status === 'unreachable')
          expect(out).toContain(`fatal: [${event.host}]: UNREACHABLE! => ${event.msg}`);
        if (event.status === 'failed') expect(out).toContain(`failed: [${event.host}] => ${event.msg}`);
        if (event.status === 'interrupted')
          expect(out).toContain(`interrupted: [${event.host}] => ${event.msg}`);
        // Check mode's unknown results say why, as failures do.
        if (event.status === 'unknown' && !event.loop)
          expect(out).toContain(`unknown: [${event.host}] => ${event.msg}`);
        for (const diff of event.diffs ?? []) expect(out).toContain(diff.unified);
      }
    });
  }
});

describe('unknown results (check mode)', () => {
  it("are counted in a recap column of their own, after Ansible's", () => {
    const recap = { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 2, ignored: 0, unknown: 3 };
    expect(formatRecap({ web1: recap })).toBe(
      'web1                       : ok=1    changed=1    unreachable=0    failed=0    skipped=2    ignored=0    unknown=3\n',
    );
  });

  it('name the task whose change they need, in the JSON events', async () => {
    const { events } = load('check');
    const unknown = events.filter((event) => event.type === 'host_result' && event.status === 'unknown');
    expect(
      unknown.map((event) => event.type === 'host_result' && [event.host, event.task, event.needs?.task]),
    ).toEqual([
      ['h1', 'cron running', 'cron installed'],
      ['h1', 'sessions ended', undefined],
      ['h1', 'sessions ended', undefined],
      ['h1', 'reload cron', 'cron running'],
    ]);
  });

  it('show in the listr tree with their reason', async () => {
    const streams = capture();
    // The tree itself goes to the terminal (process.stdout); the details to the reporter's streams.
    let tree = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      tree += String(text);
      return true;
    });
    try {
      const reporter = new ListrReporter(streams, { renderer: 'simple' });
      for (const event of load('check').events) reporter.handle(event);
      await reporter.close();
    } finally {
      write.mockRestore();
    }
    expect(tree).toMatch(/h1: unknown/);
    const out = streams.out();
    // The looped task's own line is not repeated under its item.
    expect(out.match(/whether it changes depends on its output/g)).toHaveLength(1);
    expect(out).toContain('unknown: [h1] => needs the change made by task "cron installed"');
    expect(out).toContain('unknown: [h1] => (item=jdoe) => whether it changes depends on its output');
    expect(out).toMatch(/h1 +: ok=1 +changed=1 +unreachable=0 +failed=0 +skipped=0 +ignored=0 +unknown=3\n/);
  });
});

describe('listing', () => {
  it('lists plays, hosts and tasks like ansible-playbook --list-hosts --list-tasks', () => {
    const text = formatListing(
      'site.yml',
      [
        {
          number: 1,
          name: 'base',
          pattern: 'web',
          tags: ['base'],
          hosts: ['web1', 'web2'],
          tasks: [
            { name: 'motd', role: 'motd', tags: ['base'] },
            { name: 'app', tags: ['app', 'base'] },
          ],
        },
      ],
      { hosts: true, tasks: true },
    );
    expect(text).toBe(
      '\nplaybook: site.yml\n\n  play #1 (web): base\tTAGS: [base]\n    pattern: web\n    hosts (2):\n      web1\n      web2\n' +
        '    tasks:\n      motd : motd\tTAGS: [base]\n      app\tTAGS: [app, base]\n',
    );
  });
});
