import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../src/lab/fleet.js';
import { stringify } from '../../src/vendor/yaml.js';
import { bosun, buildCli, type CliRun, dockerDiff, events, fixtures, statuses } from './run-helpers.js';

// --check on a fresh fleet: it predicts exactly what the real run then does, and changes
// nothing on the hosts (docker diff of every container is the same before and after).

let fleet: Fleet;
let scratch: string;
let home: string;
let inventory: string;

function run(args: string[]): Promise<CliRun> {
  return bosun(args, { cwd: fixtures, home });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bosun-check-'));
  home = join(scratch, 'home');
  const [built, started] = await Promise.allSettled([buildCli(), startFleet({ hosts: 3 })]);
  if (started.status === 'fulfilled') fleet = started.value;
  if (built.status === 'rejected') throw built.reason;
  if (started.status === 'rejected') throw started.reason;
  inventory = join(scratch, 'inventory.yml');
  await writeFile(inventory, stringify(fleet.inventory()));
});

afterAll(async () => {
  await fleet?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('check mode', () => {
  it('predicts the changes of the real run and changes nothing', async () => {
    // The first login and sudo write wtmp and sudo timestamps: not the run's doing.
    const warm = await run(['run', 'warmup.yml', '-i', inventory]);
    expect(warm.code).toBe(0);
    const before = await Promise.all(fleet.hosts.map((node) => dockerDiff(node.containerId)));

    const check = await run(['run', 'site.yml', '-i', inventory, '--check', '--diff', '--json']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const after = await Promise.all(fleet.hosts.map((node) => dockerDiff(node.containerId)));
    expect(after).toEqual(before);
    for (const diff of after) expect(diff).not.toMatch(/app/);

    const predicted = events(check);
    expect(predicted[0]).toEqual({ type: 'run_start', playbook: 'site.yml', check: true, diff: true });
    // The diff of the new file is in the prediction.
    const config = predicted.find(
      (e) => e.type === 'host_result' && e.task === 'app config' && e.host === 'host2',
    );
    expect(config?.type === 'host_result' && config.diffs?.[0]?.unified).toBe(
      '--- /dev/null\n+++ after: /etc/app.conf\n@@ -0,0 +1,2 @@\n+name=host2\n+port=8080\n',
    );

    const real = await run(['run', 'site.yml', '-i', inventory, '--json']);
    expect(real.code).toBe(0);
    const done = events(real);
    expect(statuses(predicted)).toEqual(statuses(done));
    expect(Object.values(statuses(done))).toEqual(Array(9).fill('changed'));
    // docker diff does see what the real run wrote (so its silence after --check means something).
    for (const node of fleet.hosts) {
      const diff = await dockerDiff(node.containerId);
      expect(diff).toMatch(/^A \/etc\/app\.conf$/m);
      expect(diff).toMatch(/^A \/opt\/app\/initialized$/m);
    }
    // The handler is notified in both; in check mode its shell command is a change not made
    // (never "skipped": the real run changes the host with it).
    const handlers = (list: typeof done) =>
      list.flatMap((e) => (e.type === 'handler_start' ? [`${e.task}:${e.hosts.join(',')}`] : []));
    expect(handlers(predicted)).toEqual(['restart app:host1,host2,host3']);
    expect(handlers(done)).toEqual(handlers(predicted));
    expect(statuses(predicted, { handlers: true })).toEqual(statuses(done, { handlers: true }));
    expect(Object.values(statuses(predicted, { handlers: true }))).toEqual(Array(12).fill('changed'));

    // Converged: check mode now predicts no change at all.
    const again = await run(['run', 'site.yml', '-i', inventory, '--check']);
    expect(again.code).toBe(0);
    for (const host of ['host1', 'host2', 'host3']) {
      expect(again.stdout).toMatch(new RegExp(`^${host} +: ok=3 +changed=0 +unreachable=0 +failed=0 `, 'm'));
    }
  });
});
