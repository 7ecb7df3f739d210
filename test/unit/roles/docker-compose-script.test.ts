import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { COMPOSE_SCRIPT } from '../../../roles/docker/scripts.js';

// The compose projects script's decisions, against a stand-in `docker` and `docker-compose`
// on PATH that answer from files and log every call that changes something (the integration
// test runs the real ones: test/integration/roles-docker.test.ts).

const root = mkdtempSync(join(tmpdir(), 'bosun-compose-script-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bin = join(root, 'bin');
const state = join(root, 'state');
const folder = join(root, 'app');

const FAKE_DOCKER = `#!/bin/sh
s=${state}
case "$1 $2" in
  "compose version") exit 1 ;;
  "ps -a") cat "$s/ids" 2>/dev/null; exit 0 ;;
  "image inspect") cat "$s/image-$5"; exit 0 ;;
esac
case "$1" in
  ps) cat "$s/running" 2>/dev/null ;;
  inspect) case "$3" in *Image*) cat "$s/inspect-$4" ;; *) echo "/$4:running" ;; esac ;;
  rm) echo "docker $*" >> "$s/log" ;;
esac
`;
const FAKE_COMPOSE = `#!/bin/sh
s=${state}
for a in "$@"; do
  case "$a" in
    --services) printf 'web\\nworker\\n'; exit 0 ;;
    up) echo "docker-compose up" >> "$s/log"
      # As compose would leave it: every service running, the current images.
      printf 'web\\nworker\\n' > "$s/running"
      echo "$(cat "$s/image-worker:1") worker:1" > "$s/inspect-c2"; exit 0 ;;
    down|restart) echo "docker-compose $a" >> "$s/log"; exit 0 ;;
  esac
done
`;

function tool(name: string, text: string): void {
  writeFileSync(join(bin, name), text);
  chmodSync(join(bin, name), 0o755);
}

function run(projectState = 'present'): Promise<{ code: number; stdout: string; log: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', COMPOSE_SCRIPT],
      {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          BOSUN_CHECK: 'false',
          PROJECTS: `app ${folder} ${projectState} 5\n`,
          CHANGED: '',
        },
      },
      (error, stdout) => {
        const log = existsSync(join(state, 'log')) ? readFileSync(join(state, 'log'), 'utf8') : '';
        rmSync(join(state, 'log'), { force: true });
        resolve({ code: error ? Number(error.code) : 0, stdout, log });
      },
    );
  });
}

function set(name: string, text: string): void {
  writeFileSync(join(state, name), text);
}

describe('the compose projects script', () => {
  beforeEach(() => {
    for (const dir of [bin, state, folder]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    tool('docker', FAKE_DOCKER);
    tool('docker-compose', FAKE_COMPOSE);
    writeFileSync(join(folder, 'compose.yml'), 'services: {}\n');
    writeFileSync(join(folder, '.env'), 'A=1\n');
    set('ids', 'c1\nc2\n');
    set('running', 'web\nworker\n');
    set('inspect-c1', 'sha256:aaa web:1\n');
    set('inspect-c2', 'sha256:bbb worker:1\n');
    set('image-web:1', 'sha256:aaa\n');
    set('image-worker:1', 'sha256:bbb\n');
  });

  it('brings a project up once, then leaves it while its files, services and images are as they were', async () => {
    expect(await run()).toEqual({
      code: 10,
      stdout: 'up -d compose project app (not started by Bosun yet)\n',
      log: 'docker-compose up\n',
    });
    expect(await run()).toEqual({ code: 0, stdout: '', log: '' });
  });

  it.each([
    ['an env file changed', () => writeFileSync(join(folder, '.env'), 'A=2\n'), 'its files changed'],
    ['a new env file', () => writeFileSync(join(folder, 'db.env'), 'B=1\n'), 'its files changed'],
    ['a service stopped', () => set('running', 'web\n'), 'service worker is not running'],
    ['a new image under the tag', () => set('image-worker:1', 'sha256:ccc\n'), 'image worker:1 changed'],
  ])('brings it up again when %s', async (_what, change, reason) => {
    await run();
    change();
    expect(await run()).toEqual({
      code: 10,
      stdout: `up -d compose project app (${reason})\n`,
      log: 'docker-compose up\n',
    });
    expect((await run()).code).toBe(0);
  });

  it('takes an absent project down and removes its folder, once', async () => {
    await run();
    set('ids', '');
    expect(await run('absent')).toEqual({
      code: 10,
      stdout: 'remove compose project app\n',
      log: 'docker-compose down\n',
    });
    expect(existsSync(folder)).toBe(false);
    expect(await run('absent')).toEqual({ code: 0, stdout: '', log: '' });
  });

  it('restarts a restarted project on every run', async () => {
    await run();
    expect(await run('restarted')).toEqual({
      code: 10,
      stdout: 'restart compose project app\n',
      log: 'docker-compose restart\n',
    });
  });

  it('fails, saying so, when no compose is installed', async () => {
    rmSync(join(bin, 'docker-compose'));
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        'sh',
        ['-c', COMPOSE_SCRIPT],
        { env: { PATH: `${bin}:/usr/bin:/bin`, PROJECTS: `app ${folder} present 5\n`, CHANGED: '' } },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(result).toEqual({
      code: 1,
      stderr:
        'neither the docker compose plugin nor docker-compose is installed (docker_compose: true installs one)\n',
    });
  });
});
