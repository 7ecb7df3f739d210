import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { imagesDir } from '../../../src/lab/images.js';

// src/lab/images/ensure-docker.sh on the machines it is written for, which this one is not: a
// fresh Debian with no engine, one with only a docker client, a user who is not root. The
// script runs with a PATH that holds only a few real tools and fakes of apt-get, id, docker and
// dockerd, so what it would install or start is recorded instead of done. The fake apt-get
// "installs" a package by creating the fakes that package would bring.

const REAL_TOOLS = ['grep', 'sed', 'tail', 'setsid', 'nohup', 'sleep', 'touch', 'cat', 'cp'];
const bash = which('bash');

function which(tool: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${tool} not found on this machine`);
  return found;
}

const FAKES: Record<string, string> = {
  'apt-get': `#!${bash}
echo "apt-get $*" >> "$FAKE/calls.log"
if [ "$1" = install ]; then
  for package in "$@"; do
    case "$package" in
      docker.io) cp "$FAKE/fakes/docker" "$FAKE/fakes/dockerd" "$FAKE/bin/" ;;
      debootstrap) cp "$FAKE/fakes/debootstrap" "$FAKE/bin/" ;;
    esac
  done
fi
`,
  docker: `#!${bash}
echo "docker $*" >> "$FAKE/calls.log"
[ -e "$FAKE/engine-up" ] && exit 0
cat "$FAKE/refusal" 2>/dev/null || echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
exit 1
`,
  dockerd: `#!${bash}
echo dockerd >> "$FAKE/calls.log"
touch "$FAKE/engine-up"
`,
  debootstrap: `#!${bash}\nexit 0\n`,
  id: `#!${bash}\ncat "$FAKE/uid"\n`,
};

interface Machine {
  /** Fakes present from the start (apt-get and id always are). */
  installed?: ('docker' | 'dockerd' | 'debootstrap')[];
  engineUp?: boolean;
  uid?: number;
  /** What the fake docker says when the engine does not answer. */
  refusal?: string;
  env?: Record<string, string>;
}

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function runOn(machine: Machine) {
  const fake = mkdtempSync(join(tmpdir(), 'bosun-ensure-docker-'));
  folders.push(fake);
  const bin = join(fake, 'bin');
  mkdirSync(bin);
  // Every fake waits in fakes/; the machine's own are copied to bin/, the fake apt-get copies more.
  mkdirSync(join(fake, 'fakes'));
  for (const [name, text] of Object.entries(FAKES)) {
    writeFileSync(join(fake, 'fakes', name), text);
    chmodSync(join(fake, 'fakes', name), 0o755);
  }
  for (const name of ['apt-get', 'id', ...(machine.installed ?? [])]) {
    copyFileSync(join(fake, 'fakes', name), join(bin, name));
  }
  for (const tool of REAL_TOOLS) symlinkSync(which(tool), join(bin, tool));
  writeFileSync(join(fake, 'uid'), `${machine.uid ?? 0}\n`);
  writeFileSync(join(fake, 'calls.log'), '');
  if (machine.engineUp) writeFileSync(join(fake, 'engine-up'), '');
  if (machine.refusal) writeFileSync(join(fake, 'refusal'), `${machine.refusal}\n`);
  const run = spawnSync(bash, [join(imagesDir(), 'ensure-docker.sh')], {
    encoding: 'utf8',
    env: { PATH: bin, FAKE: fake, BOSUN_DOCKERD_LOG: join(fake, 'dockerd.log'), ...machine.env },
    timeout: 30_000,
  });
  const calls = readFileSync(join(fake, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean);
  return { code: run.status, stderr: run.stderr, calls, engineUp: existsSync(join(fake, 'engine-up')) };
}

// Each case is a handful of bash processes: measured 1 to 3 s a case with the machine's load at 16.
describe('ensure-docker.sh', { timeout: 20_000 }, () => {
  it('on a fresh machine as root: installs docker.io and debootstrap, then starts dockerd', () => {
    const run = runOn({});
    expect(run.code, run.stderr).toBe(0);
    expect(run.calls.slice(0, 2)).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq docker.io debootstrap',
    ]);
    expect(run.calls).toContain('dockerd');
    expect(run.engineUp).toBe(true);
    expect(run.stderr).toContain('bosun: installing docker.io debootstrap from Debian');
    expect(run.stderr).toContain('bosun: starting dockerd');
  });

  it('with only a docker client (no engine package) as root: installs docker.io all the same', () => {
    const run = runOn({ installed: ['docker', 'debootstrap'] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.calls.filter((call) => call.startsWith('apt-get install'))).toEqual([
      'apt-get install -y -qq docker.io',
    ]);
    expect(run.calls).toContain('dockerd');
  });

  it('with everything installed and the engine up: does nothing', () => {
    const run = runOn({ installed: ['docker', 'dockerd', 'debootstrap'], engineUp: true });
    expect(run).toMatchObject({ code: 0, stderr: '', calls: ['docker info'] });
  });

  it('starts a stopped engine as root without installing anything', () => {
    const run = runOn({ installed: ['docker', 'dockerd', 'debootstrap'] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.calls.some((call) => call.startsWith('apt-get'))).toBe(false);
    expect(run.calls[0]).toBe('docker info');
    expect(run.calls).toContain('dockerd');
  });

  it('as another user: says docker.io is missing, installs nothing', () => {
    const run = runOn({ uid: 1000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/docker\.io is not installed\); run as root/);
    expect(run.calls).toEqual([]);
  });

  it('as another user with the engine stopped: says only root can start it', () => {
    const run = runOn({ uid: 1000, installed: ['docker', 'dockerd', 'debootstrap'] });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not running and only root can start it/);
    expect(run.calls).not.toContain('dockerd');
  });

  it('as another user, a missing debootstrap alone does not stop a running engine from being used', () => {
    const run = runOn({ uid: 1000, installed: ['docker', 'dockerd'], engineUp: true });
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });

  it('as another user without access to the socket: says so', () => {
    const refusal =
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock';
    const run = runOn({ uid: 1000, installed: ['docker', 'dockerd', 'debootstrap'], refusal });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/may not use it: add the user to the docker group/);
  });

  it('does not start a local dockerd for an engine at another DOCKER_HOST', () => {
    const run = runOn({
      installed: ['docker', 'dockerd', 'debootstrap'],
      env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /engine at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1 does not answer: Cannot connect/,
    );
    expect(run.calls).not.toContain('dockerd');
  });
});
