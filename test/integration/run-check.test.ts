import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../src/lab/fleet.js';
import { stringify } from '../../src/vendor/yaml.js';
import { bosun, buildCli, type CliRun, events, fixtures, statuses } from './run-helpers.js';
import { expectUntouched, fingerprint, fingerprintChanges } from './support/fingerprint.js';

// --check on a fresh fleet: it predicts exactly what the real run then does, and changes
// nothing on the hosts (the fingerprint of every container is the same before and after).

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
    const check = await expectUntouched(fleet.hosts, () =>
      run(['run', 'site.yml', '-i', inventory, '--check', '--diff', '--json']),
    );
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);

    const predicted = events(check);
    expect(predicted[0]).toEqual({ type: 'run_start', playbook: 'site.yml', check: true, diff: true });
    // The diff of the new file is in the prediction.
    const config = predicted.find(
      (e) => e.type === 'host_result' && e.task === 'app config' && e.host === 'host2',
    );
    expect(config?.type === 'host_result' && config.diffs?.[0]?.unified).toBe(
      '--- /dev/null\n+++ after: /etc/app.conf\n@@ -0,0 +1,2 @@\n+name=host2\n+port=8080\n',
    );

    const before = await Promise.all(fleet.hosts.map((node) => fingerprint(node)));
    const real = await run(['run', 'site.yml', '-i', inventory, '--json']);
    expect(real.code).toBe(0);
    const done = events(real);
    expect(statuses(predicted)).toEqual(statuses(done));
    expect(Object.values(statuses(done))).toEqual(Array(9).fill('changed'));
    // The fingerprints do see what the real run wrote, the handler's log line included (so
    // their silence around --check means something).
    for (const [i, node] of fleet.hosts.entries()) {
      const changes = fingerprintChanges(before[i]!, await fingerprint(node));
      expect(changes.map((line) => line.split(' (')[0])).toEqual([
        '+ /etc/app.conf',
        '+ /opt/app',
        '+ /opt/app/initialized',
        '+ /var/log/app-restarts',
      ]);
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
