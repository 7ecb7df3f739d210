/**
 * Role docker on a systemd host that may run an engine of its own (Docker in Docker: the
 * fleet's dockerInDocker option, with the rights TESTBED.md lists), over real SSH. Host facts
 * are gathered by the role. The engine comes from Debian (docker.io, and docker-compose 1.29:
 * Debian 12 has no compose plugin). There is no registry here: the two images of the compose
 * project are made on this machine with `docker import` from a tarball of coreutils' sleep and
 * true with their libraries, `docker save`d, and loaded into the host's engine with
 * `docker load`; they are removed from this machine's engine right after.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budget } from '../support/budget.js';
import { mustRun, useFleet } from './support/fleet-hooks.js';
import {
  changedTasks,
  expectFourSteps,
  type FleetNode,
  type RunOutcome,
  runTasks,
} from './support/harness.js';

const run = promisify(execFile);
const TAG = `bosun-docker-role-test:${process.pid}`;
const WEB = `${TAG}-web`;
const WORKER = `${TAG}-worker`;

/** Two tiny images (sleep, true and their libraries; the worker's has one more file), saved as one archive. */
async function tinyImages(dir: string): Promise<string> {
  const { stdout } = await run('ldd', ['/bin/sleep']);
  const libs = [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!.slice(1));
  const files = ['bin/sleep', 'bin/true', ...libs];
  await run('sh', ['-c', `tar -C / -chf ${dir}/web.tar ${files.join(' ')}`]);
  await writeFile(join(dir, 'worker'), 'worker\n');
  await run('sh', [
    '-c',
    `cp ${dir}/web.tar ${dir}/worker.tar && tar -C ${dir} -rf ${dir}/worker.tar worker`,
  ]);
  for (const [image, tar] of [
    [WEB, 'web.tar'],
    [WORKER, 'worker.tar'],
  ] as const) {
    await run('docker', ['import', '-c', 'CMD ["/bin/sleep", "infinity"]', join(dir, tar), image]);
  }
  const archive = join(dir, 'images.tar');
  await run('docker', ['save', '-o', archive, WEB, WORKER]);
  await run('docker', ['rmi', WEB, WORKER]);
  return archive;
}

const COMPOSE = `version: "2.4"
services:
  web:
    image: ${WEB}
    command: ["/bin/sleep", "infinity"]
    env_file: app.env
    healthcheck:
      test: ["CMD", "/bin/true"]
      interval: 1s
      retries: 3
  worker:
    image: ${WORKER}
    command: ["/bin/sleep", "{{ worker_sleep }}"]
`;

const fleet = useFleet({ hosts: 1, systemd: true, dockerInDocker: true });
let host: FleetNode;
let scratch: string;
beforeAll(async () => {
  [host] = fleet().hosts as [FleetNode];
  scratch = await mkdtemp(join(tmpdir(), 'bosun-docker-role-'));
});
afterAll(async () => {
  await run('docker', ['rmi', WEB, WORKER]).catch(() => {});
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const shell = (command: string) => mustRun(fleet(), host, command);

const ENGINE = {
  docker_log_driver: 'local',
  docker_log_max_size: '5m',
  docker_log_max_file: 2,
  // Never contacted: every image is loaded, nothing is pulled.
  docker_registry_mirrors: ['http://127.0.0.1:5000'],
  docker_live_restore: true,
  docker_default_address_pools: [{ base: '10.201.0.0/16', size: 24 }],
  docker_users: ['bosun'],
};

function project(state: string) {
  return {
    name: 'app',
    template: 'compose/app.yml.hbs',
    env_files: [{ name: 'app.env', vars: { GREETING: 'hello' } }],
    state,
    wait_timeout: 60,
  };
}

function applyDocker(vars: Record<string, unknown>, check = false): Promise<RunOutcome> {
  const args = check ? ['--check', '--diff'] : [];
  for (const [name, value] of Object.entries({ worker_sleep: 100000, ...vars }))
    args.push('-e', JSON.stringify({ [name]: value }));
  return runTasks(fleet(), [], {
    hosts: [host.name],
    roles: ['docker'],
    args,
    files: { 'compose/app.yml.hbs': COMPOSE },
  });
}

const containerId = (service: string) =>
  shell(
    `docker ps -q --filter label=com.docker.compose.project=app --filter label=com.docker.compose.service=${service}`,
  );

describe('role docker', () => {
  it(
    'installs and configures the engine: check predicts, converge, changed=0, the daemon runs with the options',
    async () => {
      const started = Date.now();
      const { converge } = await expectFourSteps(
        [host],
        ({ check }) => applyDocker({ ...ENGINE, docker_compose_projects: [] }, check),
        async () => {
          expect(await shell('systemctl is-active docker; systemctl is-enabled docker')).toBe(
            'active\nenabled\n',
          );
          const info = JSON.parse(await shell("docker info --format '{{json .}}'"));
          expect(info.LoggingDriver).toBe('local');
          expect(info.LiveRestoreEnabled).toBe(true);
          expect(info.DockerRootDir).toBe('/var/lib/docker');
          expect(info.RegistryConfig.Mirrors).toEqual(['http://127.0.0.1:5000/']);
          expect(await shell('id -nG bosun')).toMatch(/\bdocker\b/);
          expect(await shell('docker-compose version --short')).toMatch(/^1\.29\./);
          expect(JSON.parse(await shell('cat /etc/docker/daemon.json'))).toMatchObject({
            'log-opts': { 'max-size': '5m', 'max-file': '2' },
            'default-address-pools': [{ base: '10.201.0.0/16', size: 24 }],
          });
        },
        // Known once docker.io's postinst ran: whether it started the engine (which the service
        // task and the restart handler act on), and the gid groupadd gives the docker group.
        { unknown: ['restart docker', 'run the engine', 'users of the engine (docker group)'] },
      );
      console.log(
        `docker engine: protocol ${Date.now() - started} ms; changed ${changedTasks(converge).length} tasks`,
      );
      // The gathered facts were those of this host.
      expect(converge.output).toContain('Gathering Facts');
    },
    budget(150),
  );

  it(
    'runs a two-service compose project from loaded images; a changed file recreates only the changed service; absent removes it',
    async () => {
      const archive = await tinyImages(scratch);
      await run('sh', ['-c', `docker exec -i ${host.containerName} docker load < ${archive}`]);
      const vars = { ...ENGINE, docker_compose_projects: [project('present')] };
      let started = Date.now();
      await expectFourSteps(
        [host],
        ({ check }) => applyDocker(vars, check),
        async () => {
          expect(
            await shell(
              'docker ps --filter label=com.docker.compose.project=app --format \'{{.Label "com.docker.compose.service"}} {{.Status}}\' | sort',
            ),
          ).toMatch(/^web Up .*\(healthy\)\nworker Up /);
          const web = (await containerId('web')).trim();
          expect(await shell(`docker inspect --format '{{json .Config.Env}}' ${web}`)).toContain(
            'GREETING=hello',
          );
          const log = JSON.parse(
            await shell(`docker inspect --format '{{json .HostConfig.LogConfig}}' ${web}`),
          );
          expect(log.Type).toBe('local');
          expect(
            await shell(
              "docker network inspect app_default --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}'",
            ),
          ).toMatch(/^10\.201\.\d+\.0\/24/);
        },
      );
      console.log(`docker compose project: protocol ${Date.now() - started} ms`);

      const web = await containerId('web');
      const worker = await containerId('worker');
      started = Date.now();
      const changed = await applyDocker({ ...vars, worker_sleep: 100001 });
      expect(changed.exitCode, changed.output).toBe(0);
      expect(changedTasks(changed).map((task) => task.split(' | ')[1])).toEqual([
        'compose files from templates',
        'compose projects: up when their files or images changed, down when absent',
      ]);
      expect(await containerId('web')).toBe(web);
      expect(await containerId('worker')).not.toBe(worker);
      expect(
        await shell(`docker inspect --format '{{json .Config.Cmd}}' ${(await containerId('worker')).trim()}`),
      ).toBe('["/bin/sleep","100001"]\n');
      console.log(`docker compose change: ${Date.now() - started} ms`);

      const gone = await applyDocker({
        ...vars,
        worker_sleep: 100001,
        docker_compose_projects: [project('absent')],
      });
      expect(gone.exitCode, gone.output).toBe(0);
      expect(await shell('docker ps -a -q --filter label=com.docker.compose.project=app')).toBe('');
      expect(await shell('test -e /opt/compose/app && echo there || echo gone')).toBe('gone\n');
      const again = await applyDocker({
        ...vars,
        worker_sleep: 100001,
        docker_compose_projects: [project('absent')],
      });
      expect(changedTasks(again), again.output).toEqual([]);
    },
    budget(120),
  );
});
