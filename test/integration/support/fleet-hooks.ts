/**
 * The fleet of one test file, started before its tests and always stopped after them (also when
 * a test or the setup fails), and what the files that use one share: commands run on a node for
 * verification, a folder served to the fleet over HTTP, and the scratch folder and inventories of
 * the files that run the built CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Fleet, type FleetNode, type FleetOptions, startFleet } from '../../../src/lab/fleet.js';
import { stringify } from '../../../src/vendor/yaml.js';
import type { RunOutcome } from './harness.js';

export interface UseFleetOptions extends FleetOptions {
  /** Work done while the containers start (building the CLI, test files); both must succeed. */
  alongside?: () => Promise<unknown>;
  /** Preparation of the started fleet (packages, servers), part of the same hook. */
  setup?: (fleet: Fleet) => Promise<unknown>;
  /** Milliseconds for starting and preparing the fleet; default the config's hookTimeout. */
  timeout?: number;
}

/** Registers the file's beforeAll/afterAll for a fleet; the getter gives it inside tests and hooks. */
export function useFleet(options: UseFleetOptions = {}): () => Fleet {
  const { alongside, setup, timeout, ...fleetOptions } = options;
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    const begun = Date.now();
    const [started, done] = await Promise.allSettled([startFleet(fleetOptions), alongside?.()]);
    // Kept before any throw, so afterAll stops containers that did start.
    if (started.status === 'fulfilled') fleet = started.value;
    if (done.status === 'rejected') throw done.reason;
    if (started.status === 'rejected') throw started.reason;
    const ready = Date.now();
    await setup?.(started.value);
    // Where a file's time goes, for CI's log.
    console.log(
      `fleet of ${started.value.hosts.length} ${fleetOptions.systemd ? 'systemd' : 'plain'} hosts: started in ${ready - begun} ms, set up in ${Date.now() - ready} ms`,
    );
  }, timeout);
  afterAll(async () => {
    await fleet?.stop();
  });
  return () => {
    if (!fleet) throw new Error('no fleet: its beforeAll has not run or failed');
    return fleet;
  };
}

/** A shell command on a node through `docker exec` (as root) that must succeed; its output. */
export async function mustRun(fleet: Fleet, node: FleetNode, command: string): Promise<string> {
  const result = await fleet.exec(node, ['/bin/sh', '-c', command]);
  expect(result.exitCode, `${command}\n${result.output}`).toBe(0);
  return result.output;
}

/** No value was expanded by a shell on the node: nothing made the /tmp/pwned the test values name. */
export async function expectNoInjection(fleet: Fleet, node: FleetNode): Promise<void> {
  const result = await fleet.exec(node, ['/bin/sh', '-c', 'ls /tmp/pwned']);
  expect(result.exitCode, 'some value was expanded by a shell').not.toBe(0);
}

/** A single-quoted shell word for verification commands (written here, not taken from Bosun). */
export function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The value a `debug: var:` task showed (strings are shown as they are, other values as JSON). */
export function shown(outcome: RunOutcome, task: string): unknown {
  const event = outcome.results.find((result) => result.task === task);
  expect(event, `no result for task ${task}:\n${outcome.output}`).toBeDefined();
  const msg = event?.msg ?? '';
  return /^[[{]/.test(msg) ? JSON.parse(msg) : msg;
}

/**
 * `dir` of this machine served by `server` on port 8000 (python's http.server, from /srv/www),
 * waited for until `client` gets an answer. Traffic stays on the fleet network.
 */
export async function serveFolder(fleet: Fleet, dir: string, server: FleetNode, client: FleetNode) {
  await promisify(execFile)('docker', ['cp', dir, `${server.containerName}:/srv/www`]);
  await mustRun(fleet, server, 'cd /srv/www && nohup python3 -m http.server 8000 > /dev/null 2>&1 &');
  await mustRun(
    fleet,
    client,
    `for i in $(seq 50); do python3 -c 'import urllib.request; urllib.request.urlopen("http://${server.name}:8000/")' 2> /dev/null && exit 0; sleep 0.1; done; exit 1`,
  );
}

export interface CliFleet {
  readonly fleet: Fleet;
  /** A folder for the file's own files, removed after its tests. */
  readonly scratch: string;
  /** HOME of the CLI: empty (no ~/.ssh of this machine). */
  readonly home: string;
  /** The fleet's inventory, written in scratch. */
  readonly inventory: string;
  /** Write an inventory document in scratch; its path. */
  writeInventory(name: string, document: unknown): Promise<string>;
  /** An inventory of host1 logging in as the fleet's password user, whose sudo asks a password. */
  passwordUserInventory(): Promise<string>;
}

/** A fleet, a scratch folder and the fleet's inventory for tests of the built CLI. */
export function useCliFleet(options: UseFleetOptions & { scratchPrefix: string }): CliFleet {
  const { scratchPrefix, ...fleetOptions } = options;
  let scratch: string | undefined;
  let inventory: string | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: its beforeAll has not run or failed`);
    return value;
  };
  const writeInventory = async (name: string, document: unknown): Promise<string> => {
    const path = join(ready(scratch, 'scratch folder'), name);
    await writeFile(path, stringify(document));
    return path;
  };
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), scratchPrefix));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  const fleet = useFleet({
    ...fleetOptions,
    setup: async (started) => {
      await fleetOptions.setup?.(started);
      inventory = await writeInventory('inventory.yml', started.inventory());
    },
  });
  return {
    get fleet() {
      return fleet();
    },
    get scratch() {
      return ready(scratch, 'scratch folder');
    },
    get home() {
      return join(ready(scratch, 'scratch folder'), 'home');
    },
    get inventory() {
      return ready(inventory, 'inventory');
    },
    writeInventory,
    passwordUserInventory() {
      const f = fleet();
      const hop = f.bastions[0]!;
      return writeInventory('pwuser.yml', {
        all: {
          vars: {
            bosun_user: f.passwordUser,
            bosun_password: f.password,
            bosun_known_hosts_file: f.knownHostsPath,
            bosun_bastions: [
              { host: hop.address, port: hop.port, user: f.user, private_key_file: f.privateKeyPath },
            ],
          },
          hosts: { host1: null },
        },
      });
    },
  };
}
