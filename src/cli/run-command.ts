/**
 * `bosun run PLAYBOOK -i INVENTORY`: load and check everything (exit 4 on bad input, before any
 * connection), run the plays, report the events (a live tree on a terminal, plain lines
 * otherwise or in CI, JSON lines with --json) and exit 0 (all ok), 2 (a host failed),
 * 3 (a host was unreachable) or 130 (interrupted).
 */
import { listPlays, loadRunInput, parseTagList, type RunSummary, runPlaybook } from '../engine/index.js';
import type { ConnectionKind } from '../inventory/connection.js';
import { JsonReporter } from '../report/json.js';
import { formatListing } from '../report/listing.js';
import { ListrReporter } from '../report/listr.js';
import { PlainReporter } from '../report/plain.js';
import { ansiPalette, NO_COLOR, type Reporter } from '../report/reporter.js';
import type { Command } from '../vendor/commander.js';
import { inventoryLoadOptions } from './exec-command.js';
import { EXIT } from './exit-codes.js';
import { type CliIO, secretsOf, warn } from './io.js';
import {
  addKeepaliveOptions,
  BECOME_PASSWORD_ENV,
  CONNECTION_HELP,
  collect,
  connectionKind,
  connectionOverrides,
  positiveInteger,
  positiveSeconds,
  REFRESH_CACHE_HELP,
} from './options.js';
import { packerBuildNotice } from './packer-build.js';
import { addVaultOptions, type VaultOptions, vaultPasswords } from './vault-options.js';

/** Sends the secret lookups (ssm, aws_secret) to this URL instead of AWS: a local stand-in. */
export const AWS_ENDPOINT_ENV = 'BOSUN_AWS_ENDPOINT_URL';

export interface RunCommandOptions extends VaultOptions {
  inventory: string[];
  extraVars: string[];
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  json?: boolean;
  trustNewHostKeys?: boolean;
  askBecomePass?: boolean;
  connection?: ConnectionKind;
  /** Seconds. */
  connectTimeout?: number;
  /** Seconds. */
  keepaliveInterval?: number;
  keepaliveCount?: number;
  listHosts?: boolean;
  listTasks?: boolean;
  refreshCache?: boolean;
}

export function registerRunCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command('run')
    .description('run a playbook, like ansible-playbook')
    .argument('<playbook>', 'the playbook file')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option(
      '-e, --extra-vars <vars>',
      'key=value pairs, @file.yml or a JSON/YAML mapping (repeatable)',
      collect,
      [],
    )
    .option('-C, --check', 'predict the changes without making any')
    .option('-D, --diff', 'show the differences in files and attributes')
    .option('-l, --limit <pattern>', 'run only on the hosts matching this pattern too')
    .option('-t, --tags <tags>', 'run only tasks with these tags (comma separated, repeatable)', collect, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags (comma separated, repeatable)', collect, [])
    .option('-f, --forks <n>', 'hosts to work on at once', positiveInteger, 50)
    .option('--json', 'one JSON object per event per line on stdout')
    .option('--trust-new-host-keys', 'accept and record host keys not yet known (a changed key still fails)')
    .option('-K, --ask-become-pass', `ask for the sudo password (from $${BECOME_PASSWORD_ENV} when set)`)
    .option('--connect-timeout <seconds>', 'per SSH hop (default 10)', positiveSeconds)
    .option('-c, --connection <kind>', CONNECTION_HELP, connectionKind);
  addVaultOptions(addKeepaliveOptions(command))
    .option('--list-hosts', 'list the hosts of each play and exit')
    .option('--list-tasks', 'list the tasks of each play (after --tags/--skip-tags) and exit')
    .addHelpText(
      'after',
      '\nExit codes: 0 every host ok, 2 a task failed on some host, 3 a host was unreachable,\n' +
        '4 bad input (found before connecting to anything), 130 interrupted.\n\n' +
        'Example:\n  bosun run site.yml -i inventory/lab.yml -e @vars/STG/vars.yml --check --diff',
    )
    .action(async (playbook: string, options: RunCommandOptions) => {
      setExit(await runCommand(playbook, options, io));
    });
}

/** Where events go: --json, a live tree on a terminal (not in CI), or plain lines. */
export function chooseReporter(options: { json?: boolean | undefined }, io: CliIO): Reporter {
  if (options.json) return new JsonReporter(io.stdout);
  const tty = Boolean(io.stdout.isTTY) && io.env.TERM !== 'dumb';
  const palette = tty && io.env.NO_COLOR === undefined ? ansiPalette() : NO_COLOR;
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== 'false';
  if (tty && !ci) return new ListrReporter(io, { palette });
  return new PlainReporter(io, palette);
}

export function exitCodeForRun(summary: RunSummary): number {
  if (summary.interrupted) return EXIT.interrupted;
  if (summary.unreachableHosts.length > 0) return EXIT.unreachable;
  if (summary.failedHosts.length > 0 || summary.aborted !== undefined) return EXIT.hostFailed;
  return EXIT.ok;
}

export async function runCommand(playbook: string, options: RunCommandOptions, io: CliIO): Promise<number> {
  const listing = options.listHosts || options.listTasks;
  // Listing connects to nothing: no password is asked for.
  const connection = await connectionOverrides(
    { ...options, askBecomePass: !listing && options.askBecomePass },
    io,
  );
  const tags = { only: parseTagList(options.tags), skip: parseTagList(options.skipTags) };
  const input = await loadRunInput({
    playbook,
    inventory: options.inventory,
    extraVars: options.extraVars,
    cwd: io.cwd,
    limit: options.limit,
    connection,
    check: options.check ?? false,
    diff: options.diff ?? false,
    tags,
    secrets: secretsOf(io),
    vaultPasswords: vaultPasswords(options, io),
    awsEndpoint: io.env[AWS_ENDPOINT_ENV] || undefined,
    inventoryOptions: inventoryLoadOptions(io, options.refreshCache),
  });
  for (const warning of input.warnings) warn(io, warning);

  if (listing) {
    io.stdout.write(
      formatListing(input.playbook.file, listPlays(input, tags), {
        hosts: options.listHosts ?? false,
        tasks: options.listTasks ?? false,
      }),
    );
    return EXIT.ok;
  }
  if (input.plays.every((play) => play.hosts.length === 0)) {
    warn(io, 'no hosts matched any play; nothing to do');
    return EXIT.ok;
  }

  const packer = packerBuildNotice(io.env);
  // JSON lines stay JSON: the notice goes beside them, to stderr, which Packer logs too.
  if (packer) (options.json ? io.stderr : io.stdout).write(packer);
  const reporter = chooseReporter(options, io);
  let summary: RunSummary;
  try {
    summary = await runPlaybook(input, {
      onEvent: (event) => reporter.handle(event),
      forks: options.forks,
      tags,
      signal: io.signal,
    });
  } finally {
    await reporter.close();
  }
  if (summary.interrupted) warn(io, interruptedWarning(summary.interruptedTasks));
  return exitCodeForRun(summary);
}

/** `interrupted`, and which task each host was stopped in. */
export function interruptedWarning(tasks: Record<string, string>): string {
  const hosts = Object.entries(tasks).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (hosts.length === 0) return 'interrupted';
  const list = hosts.map(([host, task]) => `${host} in TASK [${task}]`).join(', ');
  return `interrupted; commands stopped on ${list}`;
}
