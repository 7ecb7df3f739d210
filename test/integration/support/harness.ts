/**
 * Running tasks on fleet containers the way a user would (`bosun run` on a playbook through
 * the bastion), in-process so a test file pays no build or process start per run. Module
 * integration tests use `expectProtocol` for the four steps every module must pass: check
 * mode on a fresh host predicts changes and leaves the container untouched, a real run
 * converges, a second run changes nothing, and the result is verified on the host.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import type { HostRecap, HostResultEvent, RunEvent } from '../../../src/engine/events.js';
import type { Fleet, FleetNode } from '../../../src/lab/fleet.js';
import { stringify } from '../../../src/vendor/yaml.js';
import { expectUntouched } from './fingerprint.js';

export type { Fingerprint, UntouchedOptions } from './fingerprint.js';
export { expectUntouched, fingerprint, fingerprintChanges, SESSION_NOISE } from './fingerprint.js';
export type { Fleet, FleetNode };

/** YAML as Bosun reads it (1.1): strings such as `off` or `yes` come out quoted. */
function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1' });
}

export interface RunTasksOptions {
  /** Node names to run on (default: every host of the fleet). */
  hosts?: string[];
  check?: boolean;
  diff?: boolean;
  /** Play-level become (default true: most modules manage system state). */
  become?: boolean;
  /** Play vars. */
  vars?: Record<string, unknown>;
  /** Extra files beside the playbook, by relative path (e.g. `templates/motd.hbs`). */
  files?: Record<string, string | Buffer>;
  /** Handlers of the play. */
  handlers?: object[];
  /** Extra CLI arguments (e.g. `['--tags', 'x']`). */
  args?: string[];
  /** Roles the play applies before its tasks (names or `{ role, params }`), found in Bosun's roles/. */
  roles?: (string | Record<string, unknown>)[];
  /** The play's gather_facts. */
  gatherFacts?: boolean;
}

export interface RunOutcome {
  exitCode: number;
  recap: Record<string, HostRecap>;
  /** One entry per task result on a host (loop items included, marked by `item`). */
  results: HostResultEvent[];
  events: RunEvent[];
  /** Everything the CLI wrote: JSON event lines on stdout, then stderr. */
  output: string;
}

/** Run `tasks` as one play on the fleet with `bosun run --json` and collect the events. */
export async function runTasks(
  fleet: Fleet,
  tasks: object[],
  options: RunTasksOptions = {},
): Promise<RunOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-harness-'));
  try {
    const inventoryPath = join(dir, 'inventory.yml');
    await writeFile(inventoryPath, toYaml(fleet.inventory()));
    for (const [path, content] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const hosts = options.hosts ?? fleet.hosts.map((node) => node.name);
    const play: Record<string, unknown> = {
      name: 'harness',
      hosts: hosts.join(':'),
      become: options.become ?? true,
      tasks,
    };
    if (options.vars) play.vars = options.vars;
    if (options.roles) play.roles = options.roles;
    if (options.handlers) play.handlers = options.handlers;
    if (options.gatherFacts !== undefined) play.gather_facts = options.gatherFacts;
    const playbookPath = join(dir, 'playbook.yml');
    await writeFile(playbookPath, toYaml([play]));

    const args = ['run', playbookPath, '-i', inventoryPath, '--json'];
    if (options.check) args.push('--check');
    if (options.diff) args.push('--diff');
    args.push(...(options.args ?? []));
    const { code, stdout, stderr } = await runCli(args, dir);
    return outcomeOf(code, stdout, stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Run a playbook file as it is (`playbooks/site.yml`) on the fleet's hosts, with `-i` the
 * fleet's inventory, `--json`, and the given arguments (`-e @vars/LAB/vars.yml`, `--check`).
 * Relative paths in `args` are resolved from the project folder.
 */
export async function runPlaybook(fleet: Fleet, playbook: string, args: string[] = []): Promise<RunOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-harness-'));
  try {
    const inventoryPath = join(dir, 'inventory.yml');
    await writeFile(inventoryPath, toYaml(fleet.inventory()));
    const { code, stdout, stderr } = await runCli(
      ['run', playbook, '-i', inventoryPath, '--json', ...args],
      process.cwd(),
    );
    return outcomeOf(code, stdout, stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function outcomeOf(code: number, stdout: string, stderr: string): RunOutcome {
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunEvent);
  const end = events.find((event) => event.type === 'run_end');
  return {
    exitCode: code,
    recap: end && end.type === 'run_end' ? end.recap : {},
    results: events.filter((event): event is HostResultEvent => event.type === 'host_result'),
    events,
    output: `${stdout}${stderr}`,
  };
}

/** `bosun ARGV` in-process in `cwd`, as CI runs it (plain output), its output captured. */
export async function runCli(
  argv: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: new PassThrough(),
    env: { ...process.env, CI: 'true' },
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A shell command on a node through `docker exec` (as root), for verification. */
export function hostRun(
  fleet: Fleet,
  node: FleetNode,
  command: string,
): Promise<{ exitCode: number; output: string }> {
  return fleet.exec(node, ['/bin/sh', '-c', command]);
}

/** Sum of a recap field over all hosts. */
export function total(outcome: RunOutcome, field: keyof HostRecap): number {
  return Object.values(outcome.recap).reduce((sum, recap) => sum + (recap[field] ?? 0), 0);
}

/**
 * `docker diff` lines without what a running container changes by itself (plus `extra`).
 * @deprecated Blind to a second rewrite of a path and to all of /var/log, /run and
 * /var/lib/systemd: use expectUntouched (support/fingerprint.ts). Kept only while
 * roles-hardening.test.ts still calls it.
 */
export function meaningfulDiff(lines: string[], extra: RegExp[] = []): string[] {
  const noise = [
    /^[AC] \/run\b/,
    /^C \/var\/log$/,
    /^[AC] \/var\/log\//,
    /^C \/tmp$/,
    /^C \/root$/,
    /^[AC] \/var\/lib\/systemd\b/,
  ];
  return lines.filter((line) => ![...noise, ...extra].some((pattern) => pattern.test(line)));
}

/**
 * `docker diff` of a container: what changed in its filesystem since it started.
 * @deprecated See meaningfulDiff.
 */
export function dockerDiff(node: FleetNode): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('docker', ['diff', node.containerName], (error, stdout) =>
      error ? reject(error) : resolve(stdout.split('\n').filter(Boolean).sort()),
    ),
  );
}

/** Status of each task result (loop items aside), keyed by host, task and where it is written. */
export function statuses(outcome: RunOutcome): Map<string, string> {
  const map = new Map<string, string>();
  for (const result of outcome.results) {
    if (result.item !== undefined) continue;
    map.set(`${result.host} | ${result.task} | ${basename(result.taskId)}`, result.status);
  }
  return map;
}

/** Keys (as `statuses`) of the results that changed. */
export function changedTasks(outcome: RunOutcome): string[] {
  return [...statuses(outcome)].filter(([, status]) => status === 'changed').map(([key]) => key);
}

export interface FourStepOptions {
  /** Check mode must predict exactly as many changes as the real run makes (default true). */
  exact?: boolean;
  /** Expected number of changed results in the first run (default: at least 1). */
  changes?: number;
  /** More paths (and what is under them) the check run may change on these hosts: see expectUntouched. */
  skip?: readonly string[];
  /**
   * Names of the tasks check mode cannot predict on these hosts (it reports them unknown, with
   * the reason); no other task may be unknown. The real run may change them or not.
   */
  unknown?: readonly string[];
}

/**
 * The four steps every module and role passes on hosts that have not been converged yet:
 * 1. check mode predicts changes, fails nothing, and leaves every host's files as they were
 *    (fingerprints before and after it: support/fingerprint.ts);
 * 2. the real run converges: every task check mode said would change does, and a task that
 *    changes was predicted to, or said unknown by check mode (never skipped, never ok); with
 *    `exact`, the changes made are the predicted ones plus some of the unknown ones;
 * 3. a second run reports changed=0;
 * 4. `verify` checks the result on each host.
 */
export async function expectFourSteps(
  nodes: FleetNode[],
  run: (mode: { check: boolean }) => Promise<RunOutcome>,
  verify: (node: FleetNode) => Promise<void>,
  options: FourStepOptions = {},
): Promise<{ check: RunOutcome; converge: RunOutcome; again: RunOutcome }> {
  const check = await expectUntouched(nodes, () => run({ check: true }), { skip: options.skip ?? [] });
  expect(check.exitCode, `check run failed:\n${check.output}`).toBe(0);
  const predicted = total(check, 'changed');
  if (options.changes !== undefined) expect(predicted).toBe(options.changes);
  else expect(predicted, 'check mode predicted no change').toBeGreaterThan(0);

  const converge = await run({ check: false });
  expect(converge.exitCode, `converge failed:\n${converge.output}`).toBe(0);
  const predictedStatus = statuses(check);
  const converged = statuses(converge);
  for (const task of changedTasks(check)) {
    expect(converged.get(task), `check mode said "${task}" would change`).toBe('changed');
  }
  for (const task of changedTasks(converge)) {
    expect(['changed', 'unknown'], `"${task}" changed but check mode said otherwise`).toContain(
      predictedStatus.get(task),
    );
  }
  const unknown = check.results.filter((r) => r.item === undefined && r.status === 'unknown');
  expect(
    [...new Set(unknown.map((r) => r.task))].sort(),
    `tasks check mode could not predict:\n${unknown.map((r) => `${r.host} ${r.task}: ${r.msg}`).join('\n')}`,
  ).toEqual([...(options.unknown ?? [])].sort());
  for (const result of unknown) expect(result.msg, 'an unknown result says why').toBeTruthy();
  if (options.exact ?? true) {
    // Every predicted change happened (checked task by task above); an unknown task may or may
    // not change (cron's postinst may already have started cron).
    const made = total(converge, 'changed');
    expect(made, 'check mode and the real run disagree').toBeGreaterThanOrEqual(predicted);
    expect(made, 'check mode and the real run disagree').toBeLessThanOrEqual(predicted + unknown.length);
  }

  const again = await run({ check: false });
  expect(again.exitCode, `second run failed:\n${again.output}`).toBe(0);
  expect(total(again, 'changed'), `second run changed something:\n${again.output}`).toBe(0);

  for (const node of nodes) await verify(node);
  return { check, converge, again };
}

export interface ProtocolOptions extends RunTasksOptions {
  /** Expected number of changed task results per host on the first run (default: at least 1). */
  changes?: number;
  /** See FourStepOptions. */
  skip?: readonly string[];
  /** See FourStepOptions. */
  unknown?: readonly string[];
}

/** The four steps (see expectFourSteps) for a list of tasks run as one play on the fleet. */
export function expectProtocol(
  fleet: Fleet,
  tasks: object[],
  verify: (node: FleetNode) => Promise<void>,
  options: ProtocolOptions = {},
): Promise<{ check: RunOutcome; converge: RunOutcome; again: RunOutcome }> {
  const names = options.hosts ?? fleet.hosts.map((node) => node.name);
  const nodes = fleet.hosts.filter((node) => names.includes(node.name));
  const { changes, skip, unknown, ...runOptions } = options;
  const fourStep: FourStepOptions = skip === undefined ? {} : { skip };
  if (unknown !== undefined) fourStep.unknown = unknown;
  if (changes !== undefined) fourStep.changes = changes * nodes.length;
  return expectFourSteps(
    nodes,
    ({ check }) => runTasks(fleet, tasks, { ...runOptions, check, diff: check }),
    verify,
    fourStep,
  );
}
