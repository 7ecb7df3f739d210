/**
 * The `bosun` command line. This folder is the only code that prints or decides the exit
 * code; `main` returns the code (so tests can run it in-process) and `run` applies it.
 *
 * Exit codes: 0 success; 1 unexpected error; 2 a command failed on some host; 3 some host
 * was unreachable (connect, auth or host key); 4 bad input (arguments, inventory, pattern);
 * 130 interrupted. A pattern that matches no host is a warning and exit 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBosunError, messageOf } from '../errors.js';
import { packageRoot } from '../paths.js';
import { Command, CommanderError } from '../vendor/commander.js';
import { execCommand } from './exec-command.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { inventoryGraphCommand, inventoryHostCommand, inventoryListCommand } from './inventory-command.js';
import { type CliIO, processIO, redactingIO } from './io.js';
import { labDownCommand, labStatusCommand, labUpCommand } from './lab-command.js';
import {
  addKeepaliveOptions,
  BECOME_PASSWORD_ENV,
  CONNECTION_HELP,
  collect,
  connectionKind,
  hops,
  positiveInteger,
  positiveSeconds,
  REFRESH_CACHE_HELP,
} from './options.js';
import { registerRunCommand } from './run-command.js';
import { registerSchemaCommand } from './schema-command.js';
import { registerVarsCommand } from './vars-command.js';
import { registerVaultCommand } from './vault-command.js';
import { addVaultOptions } from './vault-options.js';

export function bosunVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('bosun');
  program
    .description('Agentless configuration management over SSH, bastions first.')
    .version(bosunVersion(), '-V, --version', 'print the version')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`bosun: error[BOSUN_INPUT]: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const exec = program
    .command('exec')
    .description('run a shell command on every host matching PATTERN, like `ansible PATTERN -m shell -a`')
    .argument(
      '<pattern>',
      'host pattern: all, a group, a host, globs, a:b union, a:&b intersection, a:!b exclusion',
    )
    .argument('[command...]', 'the command line, after --')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option('-f, --forks <n>', 'hosts to run on at once', positiveInteger, 50)
    .option('-b, --become', 'run the command with sudo (as root unless --become-user)')
    .option('--become-user <user>', 'sudo to this user (implies --become)')
    .option('-K, --ask-become-pass', `ask for the sudo password (from $${BECOME_PASSWORD_ENV} when set)`)
    .option('--trust-new-host-keys', 'accept and record host keys not yet known (a changed key still fails)')
    .option('-T, --timeout <seconds>', 'abandon the command on a host after this long', positiveSeconds)
    .option('--connect-timeout <seconds>', 'per SSH hop (default 10)', positiveSeconds)
    .option('-c, --connection <kind>', CONNECTION_HELP, connectionKind);
  addVaultOptions(addKeepaliveOptions(exec))
    .option('--json', 'one JSON object per host per line')
    .addHelpText(
      'after',
      '\nExit codes: 0 all hosts ok, 2 a command failed, 3 a host was unreachable, 4 bad input.\n' +
        'A pattern that matches no host prints a warning and exits 0.\n\n' +
        'Example:\n  bosun exec all -i inventory/lab.yml -- uname -a',
    )
    .action(async (pattern: string, words: string[], options) => {
      setExit(await execCommand(pattern, words, options, io));
    });

  registerRunCommand(program, io, setExit);
  registerVarsCommand(program, io, setExit);
  registerSchemaCommand(program, io, setExit);
  registerVaultCommand(program, io, setExit);

  const inventory = program.command('inventory').description('show an inventory');
  const listing = inventory
    .command('list')
    .description('list the hosts matching PATTERN (default all), their groups and the source of each')
    .argument('[pattern]', 'host pattern')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option('--json', 'one JSON object per host per line');
  addVaultOptions(listing).action(async (pattern: string | undefined, options) => {
    setExit(await inventoryListCommand(pattern, options, io));
  });
  const graph = inventory
    .command('graph')
    .description('draw the group tree, like ansible-inventory --graph')
    .argument('[group]', 'group to start from (default all)')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option('--vars', "show each host's inventory variables and where they came from");
  addVaultOptions(graph).action(async (group: string | undefined, options) => {
    setExit(await inventoryGraphCommand(group, options, io));
  });
  const hostCommand = inventory
    .command('host')
    .description(
      'show a host: its groups, its inventory variables with where each came from, and how it is reached (the jump chain)',
    )
    .argument('<host>', 'an inventory host')
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect, [])
    .option('--refresh-cache', REFRESH_CACHE_HELP)
    .option('--json', 'one JSON object');
  addVaultOptions(hostCommand).action(async (host: string, options) => {
    setExit(await inventoryHostCommand(host, options, io));
  });

  const lab = program.command('lab').description('a local lab: a bastion and hosts in containers');
  lab
    .command('up')
    .description('start the lab (or find it running) and write inventory/lab.yml')
    .option('--hosts <n>', 'number of hosts (default 3)', positiveInteger)
    .option('--plain', 'hosts without systemd (faster to start)')
    .option('--hops <n>', 'bastions in a chain, 1 or 2 (default 1)', hops)
    .option('--force-recreate', 'replace an existing lab')
    .action(async (options) => {
      setExit(await labUpCommand(options, io));
    });
  lab
    .command('status')
    .description('show the lab containers and whether sshd answers (exit 1 when not up and healthy)')
    .action(async () => {
      setExit(await labStatusCommand(io));
    });
  lab
    .command('down')
    .description('remove the lab containers, networks, keys and inventory/lab.yml')
    .action(async () => {
      setExit(await labDownCommand(io));
    });

  program
    .command('version')
    .description('print the version')
    .action(() => {
      io.stdout.write(`bosun ${bosunVersion()}\n`);
    });
  return program;
}

function reportError(error: unknown, io: CliIO): number {
  const debug = io.env.BOSUN_DEBUG === '1';
  if (error instanceof CommanderError) {
    // Commander has printed its message already (through outputError or the help).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.input;
  }
  if (isBosunError(error)) {
    io.stderr.write(`bosun: error[${error.code}]: ${error.message}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
  io.stderr.write(`bosun: unexpected error: ${messageOf(error)}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('bosun: set BOSUN_DEBUG=1 to see where it happened\n');
  return EXIT.error;
}

/** Run the CLI on `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[], given: CliIO = processIO()): Promise<number> {
  // Everything the command prints, errors included, goes through its secrets' redaction.
  const io = given.secrets ? given : redactingIO(given);
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    return reportError(error, io);
  }
}

/**
 * The process entry point (bin/bosun.js): Ctrl-C aborts cleanly, a second one exits at once.
 * SIGTERM and SIGHUP (a CI job cancelled, a closed terminal) stop the run the same way, so the
 * hosts' commands are stopped rather than left running.
 */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const name of stopSignals) process.on(name, onSigint);
  // `bosun run ... | head`: a reader that goes away is not an error of ours; stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await main(argv, processIO(controller.signal));
  for (const name of stopSignals) process.off(name, onSigint);
  process.exitCode = code;
  // Output is written; a handle left open by a library must not keep the command from ending.
  setTimeout(() => process.exit(code), 2000).unref();
}
