/**
 * Runs dev-sec's os_hardening and ssh_hardening (from a snapshot of
 * github.com/dev-sec/ansible-collection-hardening that the caller fetched) on one fresh systemd
 * fleet host and Bosun's hardening role on another, reads back what each left on its host, and
 * writes the observations to test/fixtures/hardening/devsec-observed.json: the record that
 * roles/hardening/devsec-comparison.ts is checked against (test/unit/roles/hardening-devsec.test.ts).
 *
 * Not part of `npm test`: it needs Debian's `ansible` (apt-get install ansible) and takes minutes.
 * Nothing of dev-sec is copied into this repository: the snapshot is unpacked into a temporary
 * folder, run, and removed; only observed setting names and values are written.
 *
 *   [DEVSEC_REPO=GIT_DIR] [DEVSEC_SIDES=bosun] [DEVSEC_LYNIS=1] npx vitest run --config bench/vitest.config.ts
 *
 * GIT_DIR defaults to the `fetch` tool's mirror, /work/.mirror/dev-sec+ansible-collection-hardening/repo.
 * DEVSEC_SIDES=bosun records Bosun's side (and an untouched host) again and keeps dev-sec's from
 * the fixture: Debian's Ansible took an hour for dev-sec's two roles on this shared machine.
 * DEVSEC_LYNIS=1 also audits the hosts with lynis (3 to 10 minutes each). The fixture is written
 * after each side, so a later failure keeps what was recorded.
 * Traffic goes only to the containers this script starts (ansible through `docker exec`, Bosun
 * through the fleet's bastion on 127.0.0.1, ssh-audit to the hosts' fleet addresses).
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { it } from 'vitest';
import { type Fleet, type FleetNode, startFleet } from '../src/lab/fleet.js';
import { runTasks } from '../test/integration/support/harness.js';
import {
  devsecSysctl,
  lynisIndex,
  observe,
  sshAudit,
  stream,
  type Target,
  unpackCollection,
} from './devsec-tools.js';

const run = promisify(execFile);

const OUT = resolve('test/fixtures/hardening/devsec-observed.json');
const REPO = process.env.DEVSEC_REPO ?? '/work/.mirror/dev-sec+ansible-collection-hardening/repo';
const SIDES = (process.env.DEVSEC_SIDES ?? 'devsec,bosun').split(',');
const LYNIS = process.env.DEVSEC_LYNIS === '1';
/** Variables of dev-sec's roles changed from their defaults for this run (see below). */
const DEVSEC_VARS = { os_user_pw_ageing: false };

const target = (fleet: Fleet, node: FleetNode): Target => ({
  containerId: node.containerId,
  exec: (command) => fleet.exec(node, ['/bin/sh', '-c', command]),
});

async function runDevsec(fleet: Fleet, node: FleetNode, work: string) {
  const collection = await unpackCollection(REPO, work);
  const env = {
    ...process.env,
    ANSIBLE_COLLECTIONS_PATH: work,
    ANSIBLE_HOST_KEY_CHECKING: 'false',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
  };
  const { stdout: ansibleVersion } = await run('ansible', ['--version'], { env });
  const roleDir = join(work, 'ansible_collections', 'devsec', 'hardening', 'roles', 'os_hardening');
  const sysctl = await devsecSysctl(roleDir, env, work);
  // dev-sec through `docker exec` (no network); its own switch for containers keeps its
  // handlers from restarting auditd, which cannot run in a container. Its password ageing of
  // existing accounts needs ansible-core 2.16 (password_expire_warn), Debian 12 has 2.14: that
  // one task is turned off and recorded as such.
  await writeFile(
    join(work, 'inventory.yml'),
    JSON.stringify({
      all: {
        hosts: {
          devsec: {
            ansible_connection: 'community.docker.docker',
            ansible_host: node.containerName,
            ansible_python_interpreter: '/usr/bin/python3',
          },
        },
      },
    }),
  );
  await writeFile(
    join(work, 'playbook.yml'),
    JSON.stringify([
      {
        hosts: 'devsec',
        vars: { ...DEVSEC_VARS, molecule_yml: { driver: { name: 'docker' } } },
        roles: ['devsec.hardening.os_hardening', 'devsec.hardening.ssh_hardening'],
      },
    ]),
  );
  const started = Date.now();
  await stream('ansible-playbook', ['-i', 'inventory.yml', 'playbook.yml'], env, work);
  const seconds = Math.round((Date.now() - started) / 1000);
  const host = target(fleet, node);
  const observed = await observe(host);
  return {
    collection: `devsec.hardening ${collection.version}`,
    commit: collection.commit,
    ansible: ansibleVersion.split('\n')[0]!.trim(),
    changedDefaults: DEVSEC_VARS,
    seconds,
    sshAudit: await sshAudit(host),
    observed: { ...observed, sysctl },
  };
}

async function runBosun(fleet: Fleet, node: FleetNode) {
  const started = Date.now();
  const outcome = await runTasks(fleet, [], { hosts: [node.name], roles: ['hardening'] });
  if (outcome.exitCode !== 0) throw new Error(`Bosun's hardening run failed:\n${outcome.output}`);
  const seconds = Math.round((Date.now() - started) / 1000);
  const host = target(fleet, node);
  return {
    commit: (await run('git', ['describe', '--always', '--dirty'])).stdout.trim(),
    seconds,
    sshAudit: await sshAudit(host),
    observed: await observe(host),
  };
}

it('dev-sec and Bosun on two fresh hosts', async () => {
  const work = await mkdtemp(join(tmpdir(), 'bosun-devsec-'));
  const record: Record<string, unknown> = existsSync(OUT) ? JSON.parse(readFileSync(OUT, 'utf8')) : {};
  record.comment =
    'Observed by bench/devsec-compare.run.ts on fresh Debian 12 systemd containers: setting names and values only. dev-sec sysctl tasks skip containers, so devsec.observed.sysctl is its Debian set as the role computes it.';
  const save = async () => {
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(record, null, 2)}\n`);
  };
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet({ hosts: 2, systemd: true });
    const [devsecHost, bosunHost] = fleet.hosts as [FleetNode, FleetNode];
    record.untouched = { observed: await observe(target(fleet, bosunHost)) };
    if (SIDES.includes('devsec')) {
      record.devsec = await runDevsec(fleet, devsecHost, work);
      await save();
    }
    if (SIDES.includes('bosun')) {
      record.bosun = await runBosun(fleet, bosunHost);
      await save();
    }
    if (LYNIS) {
      for (const [side, node] of [
        ['devsec', devsecHost],
        ['bosun', bosunHost],
      ] as const) {
        if (!SIDES.includes(side)) continue;
        (record[side] as Record<string, unknown>).lynis = await lynisIndex(target(fleet, node));
        await save();
      }
    }
    console.log(`wrote ${OUT}`);
  } finally {
    await fleet?.stop();
    await rm(work, { recursive: true, force: true });
  }
});
