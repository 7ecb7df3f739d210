import { describe, expect, it } from 'vitest';
import { useFleet } from './support/fleet-hooks.js';
import { expectProtocol, hostRun, runTasks } from './support/harness.js';

const fleetOf = useFleet({ hosts: 1 });

describe('harness', () => {
  it('tells tasks which account the run logs in as', async () => {
    const run = await runTasks(fleetOf(), [{ debug: { msg: 'login={{ bosun_connection_user }}' } }]);
    expect(run.exitCode).toBe(0);
    expect(run.results.map((r) => r.msg)).toEqual(['login=bosun']);
  });

  it('runs the four-step protocol for a copy task', async () => {
    await expectProtocol(
      fleetOf(),
      [{ name: 'motd', copy: { dest: '/etc/motd', content: "it's $(managed)\n", mode: '0644' } }],
      async (node) => {
        const r = await hostRun(fleetOf(), node, 'cat /etc/motd; stat -c %a /etc/motd');
        expect(r.output).toBe("it's $(managed)\n644\n");
      },
      { changes: 1 },
    );
  });
});
