import { describe, expect, it } from 'vitest';
import { batchSize, serialBatches } from '../../../src/engine/batches.js';
import { CENSORED_MESSAGE, censorResult } from '../../../src/engine/censor.js';
import { countResult, emptyRecap, type HostResultEvent } from '../../../src/engine/events.js';
import { HandlerNotifications } from '../../../src/engine/handlers.js';
import { verdictAfterTask } from '../../../src/engine/policy.js';
import { parseTagList, tagsAllow } from '../../../src/engine/tags.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizes = (batches: string[][]) => batches.map((b) => b.length);

describe('serial batches', () => {
  it('is one batch without serial', () => {
    expect(serialBatches(hosts(5))).toEqual([hosts(5)]);
    expect(serialBatches([])).toEqual([]);
  });

  it('cuts fixed sizes, the last size repeating', () => {
    expect(sizes(serialBatches(hosts(5), [1]))).toEqual([1, 1, 1, 1, 1]);
    expect(sizes(serialBatches(hosts(7), [1, 2]))).toEqual([1, 2, 2, 2]);
    expect(sizes(serialBatches(hosts(3), [10]))).toEqual([3]);
    expect(serialBatches(hosts(3), [2])).toEqual([['h1', 'h2'], ['h3']]);
  });

  it('takes percentages of all the play hosts, rounded down, at least one', () => {
    expect(batchSize('30%', 10)).toBe(3);
    expect(batchSize('30%', 3)).toBe(1);
    expect(batchSize('12.5%', 16)).toBe(2);
    expect(sizes(serialBatches(hosts(10), ['30%']))).toEqual([3, 3, 3, 1]);
    expect(sizes(serialBatches(hosts(10), [1, '50%']))).toEqual([1, 5, 4]);
    expect(sizes(serialBatches(hosts(4), ['10%']))).toEqual([1, 1, 1, 1]);
  });
});

describe('tags', () => {
  const all = { only: [], skip: [] };
  const only = (...tags: string[]) => ({ only: tags, skip: [] });
  const skip = (...tags: string[]) => ({ only: [], skip: tags });

  it('runs everything but never-tagged tasks by default', () => {
    expect(tagsAllow([], all)).toBe(true);
    expect(tagsAllow(['web'], all)).toBe(true);
    expect(tagsAllow(['never'], all)).toBe(false);
    expect(tagsAllow(['always'], all)).toBe(true);
  });

  it('--tags selects tasks carrying one of the tags, and always tasks', () => {
    expect(tagsAllow(['web', 'base'], only('base'))).toBe(true);
    expect(tagsAllow(['db'], only('base', 'web'))).toBe(false);
    expect(tagsAllow([], only('base'))).toBe(false);
    expect(tagsAllow(['always'], only('base'))).toBe(true);
    expect(tagsAllow(['never', 'debug'], only('debug'))).toBe(true);
    expect(tagsAllow(['never', 'debug'], only('web'))).toBe(false);
  });

  it('understands tagged, untagged and all', () => {
    expect(tagsAllow(['x'], only('tagged'))).toBe(true);
    expect(tagsAllow([], only('tagged'))).toBe(false);
    expect(tagsAllow([], only('untagged'))).toBe(true);
    expect(tagsAllow(['x'], only('untagged'))).toBe(false);
    expect(tagsAllow(['x'], skip('tagged'))).toBe(false);
    expect(tagsAllow([], skip('tagged'))).toBe(true);
    expect(tagsAllow(['x'], skip('all'))).toBe(false);
    expect(tagsAllow(['always'], skip('all'))).toBe(true);
  });

  it('--skip-tags wins over --tags; always is skipped only by name', () => {
    expect(tagsAllow(['web', 'slow'], { only: ['web'], skip: ['slow'] })).toBe(false);
    expect(tagsAllow(['always'], skip('web'))).toBe(true);
    expect(tagsAllow(['always'], skip('always'))).toBe(false);
    expect(tagsAllow(['always', 'web'], skip('web'))).toBe(false);
  });

  it('parses comma lists and repeated options', () => {
    expect(parseTagList(['a,b', ' c ', ',d,'])).toEqual(['a', 'b', 'c', 'd']);
    expect(parseTagList(undefined)).toEqual([]);
  });
});

describe('failure policy', () => {
  const state = { size: 4, failed: 0, failedThisTask: 0, anyErrorsFatal: false };

  it('goes on while some hosts are left', () => {
    expect(verdictAfterTask({ ...state, failed: 3, failedThisTask: 1 })).toEqual({ stop: false });
  });

  it('stops when every host of the batch failed', () => {
    expect(verdictAfterTask({ ...state, failed: 4, failedThisTask: 1 }).stop).toBe(true);
  });

  it('stops on any failure with any_errors_fatal', () => {
    expect(verdictAfterTask({ ...state, anyErrorsFatal: true, failed: 1, failedThisTask: 1 })).toEqual({
      stop: true,
      reason: 'any_errors_fatal: a host failed',
    });
    expect(verdictAfterTask({ ...state, anyErrorsFatal: true, failed: 1, failedThisTask: 0 }).stop).toBe(
      false,
    );
  });

  it('stops above max_fail_percentage, not at it', () => {
    expect(verdictAfterTask({ ...state, maxFailPercentage: 25, failed: 1, failedThisTask: 1 }).stop).toBe(
      false,
    );
    const over = verdictAfterTask({ ...state, maxFailPercentage: 25, failed: 2, failedThisTask: 1 });
    expect(over).toEqual({ stop: true, reason: 'max_fail_percentage 25% exceeded: 2 of 4 hosts failed' });
    expect(verdictAfterTask({ ...state, maxFailPercentage: 0, failed: 1, failedThisTask: 1 }).stop).toBe(
      true,
    );
  });
});

describe('handler notifications', () => {
  const handlers = [{ name: 'reload nginx' }, { name: 'restart app' }, { name: 'clear cache' }];

  it('runs each notified handler once, in definition order, on the hosts that notified it', () => {
    const n = new HandlerNotifications();
    n.notify('h2', ['clear cache', 'reload nginx']);
    n.notify('h1', ['reload nginx']);
    n.notify('h1', ['reload nginx']);
    expect(n.take(handlers, ['h1', 'h2', 'h3'])).toEqual([
      { handler: { name: 'reload nginx' }, hosts: ['h1', 'h2'], uncertain: new Map() },
      { handler: { name: 'clear cache' }, hosts: ['h2'], uncertain: new Map() },
    ]);
    expect(n.pending()).toBe(false);
    expect(n.take(handlers, ['h1', 'h2', 'h3'])).toEqual([]);
  });

  it('leaves out hosts that are no longer in the play', () => {
    const n = new HandlerNotifications();
    n.notify('h1', ['restart app']);
    n.notify('h2', ['restart app']);
    expect(n.take(handlers, ['h2'])).toEqual([
      { handler: { name: 'restart app' }, hosts: ['h2'], uncertain: new Map() },
    ]);
    n.notify('h1', ['restart app']);
    expect(n.take(handlers, ['h2'])).toEqual([]);
  });

  it('check mode: a handler only tasks of unknown outcome notified is not known to run there', () => {
    const n = new HandlerNotifications();
    const maybe = {
      by: { task: 'install auditd', id: 'r.ts:1' },
      why: 'whether it changes is known only after the run',
    };
    n.notify('h1', ['restart app'], maybe);
    n.notify('h2', ['restart app'], maybe);
    // A task that does change notifies for sure: that wins, whatever the order.
    n.notify('h2', ['restart app']);
    n.notify('h2', ['restart app'], maybe);
    expect(n.take(handlers, ['h1', 'h2'])).toEqual([
      { handler: { name: 'restart app' }, hosts: ['h1', 'h2'], uncertain: new Map([['h1', maybe]]) },
    ]);
  });
});

describe('recap counting', () => {
  const result = (fields: Partial<HostResultEvent>): HostResultEvent => ({
    type: 'host_result',
    host: 'h1',
    task: 't',
    taskId: 'p.yml:1',
    status: 'ok',
    durationMs: 1,
    ...fields,
  });

  it('counts like Ansible: ok includes changed and ignored failures; items are not counted', () => {
    const recap = emptyRecap();
    for (const event of [
      result({ status: 'ok' }),
      result({ status: 'changed' }),
      result({ status: 'changed', item: 'a' }),
      result({ status: 'failed', item: 'b' }),
      result({ status: 'failed', loop: true }),
      result({ status: 'failed', ignored: true }),
      result({ status: 'skipped' }),
      result({ status: 'unreachable' }),
      result({ status: 'unknown', msg: 'needs the change made by task "x"' }),
      result({ status: 'unknown', item: 'c' }),
    ]) {
      countResult(recap, event);
    }
    // unknown is a column of its own: neither ok, changed nor skipped.
    expect(recap).toEqual({
      ok: 3,
      changed: 1,
      failed: 1,
      skipped: 1,
      unreachable: 1,
      ignored: 1,
      unknown: 1,
    });
  });

  it('censors no_log results: no output, args, diffs or item', () => {
    const censored = censorResult(
      result({
        status: 'failed',
        msg: 'password=hunter2 rejected',
        stdout: 'hunter2',
        stderr: 'x',
        rc: 1,
        item: { password: 'hunter2' },
        diffs: [{ unified: '-hunter2\n' }],
      }),
    );
    expect(JSON.stringify(censored)).not.toContain('hunter2');
    expect(censored).toEqual({
      type: 'host_result',
      host: 'h1',
      task: 't',
      taskId: 'p.yml:1',
      status: 'failed',
      msg: CENSORED_MESSAGE,
      item: '(censored)',
      censored: true,
      durationMs: 1,
    });
  });
});
