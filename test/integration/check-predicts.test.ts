/**
 * Check mode on fresh systemd hosts carries what earlier tasks would make into the later ones:
 * a folder, packages and their files, an account and its home, units the packages ship. The
 * check run predicts exactly the changes the real run then makes, task by task on each host,
 * with nothing unknown, and leaves the hosts untouched.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import { expectFourSteps, type FleetNode, type RunOutcome, runTasks, statuses } from './support/harness.js';

const fleet = useFleet({ hosts: 2, systemd: true });
let nodes: FleetNode[];

beforeAll(() => {
  nodes = fleet().hosts;
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMFWKG5LgPwfni8aPwhoJmcnQx1FiuQYhQtSd3kN1MBr alice@laptop';

const TASKS = [
  // A folder, and a file in it.
  { name: 'app folder', file: { path: '/srv/app', state: 'directory', mode: '0750' } },
  { name: 'app settings', copy: { dest: '/srv/app/app.conf', content: 'port=8080\n', mode: '0640' } },
  { name: 'app settings again', copy: { dest: '/srv/app/app.conf', content: 'port=8080\n', mode: '0640' } },
  // Packages (and what they pull in), a file in the configuration folder one of them brings,
  // and an edit of a configuration file it installs.
  {
    name: 'auditd and nftables installed',
    apt: { name: ['auditd', 'nftables'], state: 'present', update_cache: true, cache_valid_time: 3600 },
  },
  { name: 'auditd installed again', apt: { name: 'auditd', state: 'present' } },
  {
    name: 'audit rules',
    copy: { dest: '/etc/audit/rules.d/50-app.rules', content: '-w /srv/app -p wa -k app\n', mode: '0640' },
  },
  {
    name: 'audit log size',
    lineinfile: { path: '/etc/audit/auditd.conf', regexp: '^max_log_file\\s*=', line: 'max_log_file = 32' },
  },
  // An account, a file in its new home, an edit of what /etc/skel put there, and its keys.
  { name: 'alice', user: { name: 'alice', uid: 1500, shell: '/bin/bash', create_home: true } },
  {
    name: 'alice notes',
    copy: { dest: '/home/alice/notes.txt', content: 'hello\n', owner: 'alice', group: 'alice', mode: '0600' },
  },
  { name: 'alice umask', lineinfile: { path: '/home/alice/.profile', line: 'umask 027' } },
  { name: 'alice keys', authorized_key: { user: 'alice', key: KEY, exclusive: true } },
  // Units the packages ship: auditd's postinst enables it, nftables' does not.
  { name: 'auditd enabled', systemd: { name: 'auditd', enabled: true } },
  { name: 'nftables enabled', systemd: { name: 'nftables', enabled: true } },
];

describe('check mode on fresh hosts', () => {
  it('predicts exactly the changes the real run makes, task by task, and changes nothing', async () => {
    const run = ({ check }: { check: boolean }): Promise<RunOutcome> =>
      runTasks(fleet(), TASKS, { check, diff: check });
    // Compared task by task below: a per-task difference says more than a total.
    const { check, converge } = await expectFourSteps(nodes, run, verify, { exact: false });
    const predicted = statuses(check);
    const made = statuses(converge);
    // Every task, on every host: the status check mode gave is the one the real run had.
    expect(predicted).toEqual(made);
    const notPredicted = [...predicted].filter(([, status]) => status === 'unknown' || status === 'skipped');
    expect(notPredicted).toEqual([]);
    const per = (host: string) =>
      [...predicted].filter(([key, status]) => key.startsWith(`${host} |`) && status === 'changed').length;
    for (const node of nodes) expect(per(node.name), node.name).toBe(10);
    // What check mode said about the package's configuration file is what the real run wrote.
    const edit = check.results.find((r) => r.task === 'audit log size' && r.host === nodes[0]!.name);
    expect(edit?.diffs?.[0]?.unified).toMatch(/^-max_log_file = \d+\n\+max_log_file = 32\n/m);
    // Packages are read from their .debs on the hosts: check mode takes a while (a shared machine).
  }, 1_200_000);
});

async function verify(node: FleetNode): Promise<void> {
  expect(await mustRun(fleet(), node, 'stat -c "%a %U %G" /srv/app/app.conf /home/alice/notes.txt')).toBe(
    '640 root root\n600 alice alice\n',
  );
  expect(await mustRun(fleet(), node, 'grep -c "^umask 027$" /home/alice/.profile')).toBe('1\n');
  expect(await mustRun(fleet(), node, 'systemctl is-enabled auditd nftables')).toBe('enabled\nenabled\n');
}
