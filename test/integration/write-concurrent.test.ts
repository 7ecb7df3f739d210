/**
 * Many hosts editing one file: 5 and then 20 inventory hosts delegate lineinfile, blockinfile,
 * replace, cron (a cron file) and authorized_key to one target, each adding its own entry, with
 * the target this machine (a folder the test makes) and a fleet host. One run must keep every
 * entry and report each host changed; a second run changes nothing.
 *
 * A delegated task runs on its target only, so the writers are inventory hosts that all reach
 * the fleet's one host: a fleet of 20 containers did not start within 90 s on the shared test
 * machine, and would not be contacted.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from '../../src/vendor/yaml.js';
import { bosun, buildCli, type CliRun, events, recapOf } from './run-helpers.js';
import { mustRun, useCliFleet } from './support/fleet-hooks.js';

const lab = useCliFleet({ hosts: 1, scratchPrefix: 'bosun-concurrent-', alongside: buildCli });

const TASKS = 5;

function names(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `web${String(i + 1).padStart(2, '0')}`);
}

/** A well-formed ed25519 public key of its own for each host. */
function publicKey(host: string): string {
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const point = createHash('sha256').update(host).digest();
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(point)]).toString('base64');
  return `ssh-ed25519 ${blob} ${host}@fleet`;
}

/** The fleet's inventory plus 20 writers reaching its host, each with a key of its own. */
async function inventory(): Promise<string> {
  const document = lab.fleet.inventory();
  const group = Object.values(document.all.children ?? {})[0]!;
  for (const name of names(20)) group.hosts![name] = { bosun_host: 'host1', pubkey: publicKey(name) };
  return lab.writeInventory('writers.yml', document);
}

function playbook(hosts: string[], target: string, dir: string): string {
  const at = { delegate_to: target };
  const tasks = [
    {
      name: 'lineinfile',
      lineinfile: { path: `${dir}/lines.conf`, line: '{{ inventory_hostname }}=1', create: true },
      ...at,
    },
    {
      name: 'blockinfile',
      blockinfile: {
        path: `${dir}/blocks.conf`,
        block: 'host {{ inventory_hostname }}',
        marker: '# {mark} {{ inventory_hostname }}',
        create: true,
      },
      ...at,
    },
    {
      name: 'replace',
      replace: {
        path: `${dir}/replace.conf`,
        regexp: '^{{ inventory_hostname }}=off$',
        replace: '{{ inventory_hostname }}=on',
      },
      ...at,
    },
    {
      name: 'cron',
      cron: {
        name: 'job {{ inventory_hostname }}',
        job: 'echo {{ inventory_hostname }}',
        cron_file: `${dir}/cron-jobs`,
        user: 'root',
      },
      ...at,
    },
    {
      name: 'authorized_key',
      authorized_key: {
        user: 'root',
        key: '{{ pubkey }}',
        path: `${dir}/authorized_keys`,
        manage_dir: false,
      },
      ...at,
    },
  ];
  // This machine has no sudo (the tests run as root); the fleet's login user needs it for root's files.
  return stringify([
    { name: 'one file, many writers', hosts: hosts.join(':'), become: target !== 'localhost', tasks },
  ]);
}

/** What the target's files must hold once `hosts` have run, as sorted lines per file. */
function expected(hosts: string[]): Record<string, string[]> {
  return {
    'lines.conf': hosts.map((h) => `${h}=1`),
    'blocks.conf': hosts.flatMap((h) => [`# BEGIN ${h}`, `host ${h}`, `# END ${h}`]),
    'replace.conf': hosts.map((h) => `${h}=on`),
    'cron-jobs': hosts.flatMap((h) => [`#Ansible: job ${h}`, `* * * * * root echo ${h}`]),
    authorized_keys: hosts.map(publicKey),
  };
}

function sortedLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

function changedPerHost(run: CliRun): Record<string, number> {
  return Object.fromEntries(
    Object.entries(recapOf(events(run))).map(([host, recap]) => [host, recap.changed]),
  );
}

describe.each([
  ['this machine', 'localhost'],
  ['a fleet host', 'host1'],
])('hosts delegating writes of one file to %s', (_label, target) => {
  it.each([5, 20])(
    '%i hosts: one run keeps every entry; a second run changes nothing',
    { timeout: 600_000 },
    async (count) => {
      const hosts = names(count);
      const node = lab.fleet.hosts[0]!;
      let dir: string;
      const replaceStart = `${hosts.map((h) => `${h}=off`).join('\n')}\n`;
      if (target === 'localhost') {
        dir = await mkdtemp(join(lab.scratch, `target-${count}-`));
        await writeFile(join(dir, 'replace.conf'), replaceStart);
      } else {
        dir = `/srv/target-${count}`;
        await mustRun(
          lab.fleet,
          node,
          `mkdir -p ${dir} && printf '%s' '${replaceStart}' > ${dir}/replace.conf`,
        );
      }
      const files = join(lab.scratch, `play-${target}-${count}`);
      await mkdir(files, { recursive: true });
      const file = join(files, 'play.yml');
      await writeFile(file, playbook(hosts, target, dir));
      const args = ['run', file, '-i', await inventory(), '--json'];

      const first = await bosun(args, { cwd: files, home: lab.home });
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(changedPerHost(first)).toEqual(Object.fromEntries(hosts.map((h) => [h, TASKS])));
      for (const [name, lines] of Object.entries(expected(hosts))) {
        const text =
          target === 'localhost'
            ? await readFile(join(dir, name), 'utf8')
            : await mustRun(lab.fleet, node, `cat ${dir}/${name}`);
        expect(sortedLines(text), name).toEqual([...lines].sort());
      }

      const again = await bosun(args, { cwd: files, home: lab.home });
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(changedPerHost(again)).toEqual(Object.fromEntries(hosts.map((h) => [h, 0])));
      console.log(
        `${count} hosts delegating ${TASKS} edits to ${target}: first run ${first.ms} ms, second run ${again.ms} ms`,
      );
    },
  );
});
