/**
 * A write applies only to the state it was planned from: the engine's module run against a
 * real /bin/sh (local transport) with another writer changing the file between the gather and
 * the write, and several invocations writing one file at once (hosts delegating to one target).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ModuleRun, runModule } from '../../../src/engine/module-run.js';
import { getModule } from '../../../src/modules/registry.js';
import { LocalTransport } from '../../../src/transport/local.js';
import type { RawShell } from '../../../src/transport/quote.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from '../../../src/transport/types.js';
import { testContext } from '../modules/engine-run.js';

const root = mkdtempSync(join(tmpdir(), 'bosun-conflicts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** The local transport, counting commands and calling `afterGather` after each gather script. */
class Watched implements Transport {
  readonly target = 'localhost';
  readonly local = new LocalTransport();
  commands = 0;
  gathers = 0;
  writes = 0;
  /** Most commands running at once. */
  most = 0;
  private running = 0;

  constructor(private readonly afterGather: (gather: number) => void = () => {}) {}

  async exec(command: RawShell, options?: ExecOptions): Promise<ExecResult> {
    this.commands += 1;
    this.running += 1;
    this.most = Math.max(this.most, this.running);
    const result = await this.local.exec(command, options).finally(() => {
      this.running -= 1;
    });
    // Gather scripts get no stdin; the writes do.
    if (options?.stdin === undefined) {
      this.gathers += 1;
      this.afterGather(this.gathers);
    } else this.writes += 1;
    return result;
  }

  put(path: string, content: string | Buffer, options?: PutOptions): Promise<void> {
    return this.local.put(path, content, options);
  }

  get(path: string): Promise<Buffer> {
    return this.local.get(path);
  }

  interrupt(): Promise<void> {
    return this.local.interrupt();
  }

  async close(): Promise<void> {}
}

function lineinfile(transport: Transport, path: string, line: string): Promise<ModuleRun> {
  return runModule({
    module: getModule('lineinfile')!,
    args: { path, line, create: true },
    ctx: testContext(),
    transport: () => transport,
    sudo: false,
    check: false,
  });
}

function outcomeOf(run: ModuleRun) {
  if (run.kind !== 'done') throw new Error('skipped');
  return run.outcome;
}

function fresh(content?: string): string {
  counter += 1;
  const path = join(root, `file ${counter}.conf`);
  if (content !== undefined) writeFileSync(path, content);
  return path;
}

describe('a file changed between the gather and the write', () => {
  it('is gathered and planned again, so the other change is kept', async () => {
    const path = fresh('a=1\n');
    const transport = new Watched((gather) => {
      if (gather === 1) writeFileSync(path, 'a=1\nother=writer\n');
    });
    const outcome = outcomeOf(await lineinfile(transport, path, 'mine=1'));
    expect(outcome).toMatchObject({ changed: true });
    expect(readFileSync(path, 'utf8')).toBe('a=1\nother=writer\nmine=1\n');
    // gather, refused write, gather, write.
    expect(transport.commands).toBe(4);
  });

  it('a file created meanwhile is not overwritten', async () => {
    const path = fresh();
    const transport = new Watched((gather) => {
      if (gather === 1) writeFileSync(path, 'created=meanwhile\n');
    });
    expect(outcomeOf(await lineinfile(transport, path, 'mine=1'))).toMatchObject({ changed: true });
    expect(readFileSync(path, 'utf8')).toBe('created=meanwhile\nmine=1\n');
  });

  it('the other writer having done the same change makes the task ok, not changed', async () => {
    const path = fresh('a=1\n');
    const transport = new Watched((gather) => {
      if (gather === 1) writeFileSync(path, 'a=1\nmine=1\n');
    });
    expect(outcomeOf(await lineinfile(transport, path, 'mine=1'))).toMatchObject({ changed: false });
    expect(readFileSync(path, 'utf8')).toBe('a=1\nmine=1\n');
  });

  it('a file that keeps changing fails the task clearly after 5 plans, untouched by it', async () => {
    const path = fresh('a=1\n');
    const transport = new Watched((gather) => writeFileSync(path, `a=1\nchange=${gather}\n`));
    const outcome = outcomeOf(await lineinfile(transport, path, 'mine=1'));
    expect(outcome.failed).toBe(true);
    expect(outcome.msg).toBe(
      `bosun-stale-write: ${path} changed after it was read: not written (planned 5 times: something else keeps changing it)`,
    );
    expect(readFileSync(path, 'utf8')).toBe('a=1\nchange=5\n');
    expect(transport.gathers).toBe(5);
  });
});

describe('tasks writing one file on one host at once', () => {
  // Two local commands per task, one task after the other: about 0.1 s each on a busy machine.
  it.each([5, 20])(
    '%i tasks take turns: every line is kept, no write refused',
    { timeout: 60_000 },
    async (count) => {
      const path = fresh('# shared\n');
      const transport = new Watched();
      const runs = await Promise.all(
        Array.from({ length: count }, (_, i) => lineinfile(transport, path, `host${i + 1}=1`)),
      );
      expect(runs.map((run) => outcomeOf(run).changed)).toEqual(Array(count).fill(true));
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      expect(lines.sort()).toEqual(
        ['# shared', ...Array.from({ length: count }, (_, i) => `host${i + 1}=1`)].sort(),
      );
      // No write was refused: each task read the file, and read it again when another had written it.
      expect(transport.writes).toBe(count);
      expect(transport.gathers).toBe(2 * count - 1);
    },
  );

  it('tasks with nothing to change do not wait for each other', async () => {
    const path = fresh('a=1\nb=1\nc=1\n');
    const transport = new Watched();
    const runs = await Promise.all(['a=1', 'b=1', 'c=1'].map((line) => lineinfile(transport, path, line)));
    expect(runs.map((run) => outcomeOf(run).changed)).toEqual([false, false, false]);
    expect(transport.gathers).toBe(3);
    expect(transport.most).toBe(3);
  });

  it('files of different paths do not wait for each other', async () => {
    const transport = new Watched();
    await Promise.all([fresh(), fresh()].map((path) => lineinfile(transport, path, 'x=1')));
    expect(transport.writes).toBe(2);
    expect(transport.most).toBe(2);
  });
});
