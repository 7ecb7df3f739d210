import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProtocol, type Fleet, hostRun, runTasks, startModuleFleet } from './support/harness.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startModuleFleet({ hosts: 1 });
});
afterAll(async () => {
  await fleet?.stop();
});

describe('harness', () => {
  it('tells tasks which account the run logs in as', async () => {
    const run = await runTasks(fleet, [{ debug: { msg: 'login={{ bosun_connection_user }}' } }]);
    expect(run.exitCode).toBe(0);
    expect(run.results.map((r) => r.msg)).toEqual(['login=bosun']);
  });

  it('runs the four-step protocol for a copy task', async () => {
    await expectProtocol(
      fleet,
      [{ name: 'motd', copy: { dest: '/etc/motd', content: "it's $(managed)\n", mode: '0644' } }],
      async (node) => {
        const r = await hostRun(fleet, node, 'cat /etc/motd; stat -c %a /etc/motd');
        expect(r.output).toBe("it's $(managed)\n644\n");
      },
      { changes: 1 },
    );
  });
});
