/**
 * The pieces of bench/devsec-compare.run.ts: unpacking dev-sec's collection from a fetched
 * snapshot into a temporary folder, evaluating its sysctl set, and reading a container back
 * (test/support/hardening-observe.ts), auditing it with ssh-audit and lynis.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COLLECT_SCRIPT, type Observation, parseObservation } from '../test/support/hardening-observe.js';

const run = promisify(execFile);

/** A command on this machine, its output streamed to ours and returned; fails on a non-zero exit. */
export function stream(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('close', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

/** The collection unpacked from the snapshot as ansible_collections/devsec/hardening. */
export async function unpackCollection(
  repo: string,
  into: string,
): Promise<{ version: string; commit: string }> {
  const target = join(into, 'ansible_collections', 'devsec', 'hardening');
  await mkdir(target, { recursive: true });
  const { stdout: commit } = await run('git', ['--git-dir', repo, 'rev-parse', 'HEAD']);
  await run('sh', [
    '-c',
    'git --git-dir "$1" archive HEAD galaxy.yml meta roles/os_hardening roles/ssh_hardening | tar -x -C "$2"',
    'sh',
    repo,
    target,
  ]);
  const { stdout: galaxy } = await run('git', ['--git-dir', repo, 'show', 'HEAD:galaxy.yml']);
  const version = /^version:\s*(\S+)/m.exec(galaxy)?.[1] ?? 'unknown';
  return { version, commit: commit.trim() };
}

/**
 * dev-sec's sysctl set as its role computes it on Debian (defaults merged with the Debian
 * vars). Its sysctl tasks skip containers, so the set is evaluated rather than read back.
 */
export async function devsecSysctl(roleDir: string, env: NodeJS.ProcessEnv, cwd: string) {
  const { stdout } = await run(
    'ansible',
    [
      'localhost',
      '-c',
      'local',
      '-m',
      'ansible.builtin.debug',
      '-a',
      'msg={{ sysctl_config | combine(sysctl_custom_config) }}',
      '-e',
      `@${join(roleDir, 'defaults', 'main.yml')}`,
      '-e',
      `@${join(roleDir, 'vars', 'Debian.yml')}`,
    ],
    { env: { ...env, ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_STDOUT_CALLBACK: 'json' }, cwd },
  );
  const result = JSON.parse(stdout) as {
    plays: { tasks: { hosts: Record<string, { msg: Record<string, unknown> }> }[] }[];
  };
  const msg = result.plays[0]!.tasks[0]!.hosts.localhost!.msg;
  return Object.fromEntries(Object.entries(msg).map(([key, value]) => [key, String(value)]));
}

/** A container this comparison started, and a shell command run in it as root. */
export interface Target {
  containerId: string;
  exec(command: string): Promise<{ exitCode: number; output: string }>;
}

export async function observe(target: Target): Promise<Observation> {
  const result = await target.exec(COLLECT_SCRIPT);
  if (result.exitCode !== 0) throw new Error(`collecting on ${target.containerId} failed:\n${result.output}`);
  return parseObservation(result.output);
}

async function address(target: Target): Promise<string> {
  const { stdout } = await run('docker', [
    'inspect',
    '-f',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
    target.containerId,
  ]);
  return stdout.trim().split(' ')[0]!;
}

/** ssh-audit's [fail] and [warn] lines against a container of the comparison. */
export async function sshAudit(target: Target): Promise<string[]> {
  const output = await run('ssh-audit', ['-n', '-p', '22', await address(target)], { timeout: 120_000 })
    .then((r) => r.stdout)
    .catch((error: { stdout?: string }) => error.stdout ?? '');
  return output
    .split('\n')
    .filter((line) => /\[(fail|warn)\]/.test(line))
    .map((line) => line.replace(/\s+/g, ' ').trim());
}

export async function lynisIndex(target: Target): Promise<number | undefined> {
  const result = await target.exec(
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lynis > /dev/null && lynis audit system --quick --no-colors > /dev/null 2>&1; sed -n "s/^hardening_index=//p" /var/log/lynis-report.dat',
  );
  const index = Number.parseInt(result.output.trim(), 10);
  return Number.isNaN(index) ? undefined : index;
}
