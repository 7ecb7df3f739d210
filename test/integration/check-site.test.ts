/**
 * playbooks/site.yml with vars/LAB/vars.yml, as the lab demo runs it, on fresh systemd hosts:
 * `--check` first, then the real run on the same hosts, then a second run that changes
 * nothing. Task by task (handlers included), no task check mode reports as skipped (or ok)
 * changes in the real run: what it cannot predict it says unknown, with the reason; what it
 * says changes does.
 */
import { describe, expect, it } from 'vitest';
import { budget } from '../support/budget.js';
import { expectUntouched } from './support/fingerprint.js';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import { runPlaybook, statuses, total } from './support/harness.js';

// One host: the property is per host, and the fleet, lab and write-concurrent tests run
// playbooks on many hosts at once. A second identical host cost about 80 s of CI.
const fleet = useFleet({ hosts: 1, systemd: true });

describe('playbooks/site.yml --check on fresh hosts', () => {
  it(
    'skips no task the real run then changes, and predicts every change it makes',
    async () => {
      const args = ['-e', '@vars/LAB/vars.yml'];
      const nodes = fleet().hosts;
      let started = Date.now();
      // Every file of the host fingerprinted before and after (support/fingerprint.ts).
      const check = await expectUntouched(nodes, () =>
        runPlaybook(fleet(), 'playbooks/site.yml', [...args, '--check']),
      );
      const checkMs = Date.now() - started;
      expect(check.exitCode, check.output).toBe(0);

      started = Date.now();
      const real = await runPlaybook(fleet(), 'playbooks/site.yml', args);
      const realMs = Date.now() - started;
      expect(real.exitCode, real.output).toBe(0);

      const predicted = statuses(check);
      const made = statuses(real);
      const wrong: string[] = [];
      for (const [task, status] of made) {
        const said = predicted.get(task);
        if (status === 'changed' && said !== 'changed' && said !== 'unknown')
          wrong.push(`${task}: ${said} -> changed`);
      }
      for (const [task, said] of predicted) {
        if (said === 'changed' && made.get(task) !== 'changed')
          wrong.push(`${task}: changed -> ${made.get(task)}`);
      }
      expect(wrong).toEqual([]);
      for (const node of nodes) {
        const recap = (outcome: typeof check) => outcome.recap[node.name]!;
        console.log(
          `[site.yml] ${node.name}: predicted ${recap(check).changed}, unknown ${recap(check).unknown}, applied ${recap(real).changed} (check ${checkMs} ms, real run ${realMs} ms)`,
        );
        expect(recap(check).changed).toBeLessThanOrEqual(recap(real).changed);
        expect(recap(check).changed + recap(check).unknown).toBeGreaterThanOrEqual(recap(real).changed);
      }
      expect(total(check, 'failed')).toBe(0);
      for (const r of check.results.filter((r) => r.status === 'unknown' && r.host === nodes[0]!.name))
        console.log(`[site.yml] unknown: ${r.task}: ${r.msg}`);

      started = Date.now();
      const again = await runPlaybook(fleet(), 'playbooks/site.yml', args);
      const againMs = Date.now() - started;
      expect(again.exitCode, again.output).toBe(0);
      expect(total(again, 'changed'), again.output).toBe(0);
      console.log(`[site.yml] second run ${againMs} ms, changed ${total(again, 'changed')}`);
      for (const node of nodes) {
        const shell = (command: string) => mustRun(fleet(), node, command);
        expect(await shell('id -u appadmin; id -u nborromeo; readlink /etc/localtime')).toBe(
          '1200\n1201\n/usr/share/zoneinfo/Europe/Paris\n',
        );
        expect(
          await shell(
            'ls /etc/sudoers.d/bosun-user-appadmin; test -e /etc/sudoers.d/bosun-user-nborromeo || echo none',
          ),
        ).toBe('/etc/sudoers.d/bosun-user-appadmin\nnone\n');
      }
      // site.yml installs some 60 packages per host: read from their .debs in check mode, then
      // installed. Measured on 2 hosts: check 98 s, real run 116 s, second run about 30 s.
    },
    budget(250),
  );
});
