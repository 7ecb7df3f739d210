import { spawn } from 'node:child_process';
import { BosunError } from '../errors.js';

export interface DockerCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the docker CLI. Used where testcontainers has no handle: a process that did not start the
 * fleet (`bosun lab status|down`), exec with stdin, and bulk removal. A non-zero exit is returned,
 * not thrown; only a missing docker binary throws.
 */
export function dockerCli(args: string[], options: { stdin?: string } = {}): Promise<DockerCliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) =>
      reject(new BosunError('BOSUN_DOCKER', `cannot run docker: ${error.message}`, { cause: error })),
    );
    child.once('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    // A container that exits early closes stdin; the write error is reported through the exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });
}

/** "No such container/network" means the thing is already gone: fine for removal. */
export function isNoSuchObject(stderr: string): boolean {
  return /no such (container|network)|not found/i.test(stderr);
}

/**
 * Remove containers (with their anonymous volumes) and then networks, tolerating ones that are
 * already gone. Returns the error lines of anything that could not be removed.
 */
export async function removeContainersAndNetworks(
  containers: string[],
  networks: string[],
): Promise<string[]> {
  const problems: string[] = [];
  if (containers.length > 0) {
    const result = await dockerCli(['rm', '-f', '-v', ...containers]);
    if (result.code !== 0) problems.push(...unexpectedLines(result.stderr));
  }
  if (networks.length > 0) {
    const result = await dockerCli(['network', 'rm', ...networks]);
    if (result.code !== 0) problems.push(...unexpectedLines(result.stderr));
  }
  return problems;
}

function unexpectedLines(stderr: string): string[] {
  return (
    stderr
      .split('\n')
      .map((line) => line.trim())
      // The CLI closes with a bare "exit status 1" summary of the lines above it.
      .filter((line) => line !== '' && !isNoSuchObject(line) && !/^exit status \d+$/.test(line))
  );
}
