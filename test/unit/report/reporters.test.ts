import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    };
    const reporter = new PlainReporter(streams, palette);
    const base = { type: 'host_result', task: 't', taskId: 'x:1', durationMs: 1 } as const;
    reporter.handle({ ...base, host: 'a', status: 'ok' });
    reporter.handle({ ...base, host: 'b', status: 'changed' });
    reporter.handle({ ...base, host: 'c', status: 'failed', msg: 'boom' });
    reporter.handle({ ...base, host: 'd', status: 'skipped' });
    reporter.handle({ ...base, host: 'e', status: 'interrupted', msg: 'stopped' });
    expect(streams.out()).toBe(
      '<g>ok: [a]</g>\n<y>changed: [b]</y>\n<r>failed: [c] => boom</r>\n<c>skipping: [d]</c>\n<r>interrupted: [e] => stopped</r>\n',
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
        for (const diff of event.diffs ?? []) expect(out).toContain(diff.unified);
      }
    });
  }
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
