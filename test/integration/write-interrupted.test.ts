/**
 * The controller dies in the middle of a write: `bosun run` (the built CLI) sending a 35 MB
 * template to a fleet host through the bastion, and a process calling the SSH transport's put,
 * each killed with SIGKILL and with SIGINT once the temp file on the host is growing. The end
 * of the input then looks like the end of a transfer to the host's shell; the file must hold
 * exactly the old content or exactly the new one, and no temp file may stay beside it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SshTransportOptions } from '../../src/transport/ssh/index.js';
import { buildCli, root, startBosun } from './run-helpers.js';
import { mustRun, useCliFleet } from './support/fleet-hooks.js';

const lab = useCliFleet({ hosts: 1, scratchPrefix: 'bosun-kill-', alongside: buildCli });

const MB = 1024 * 1024;
const SIZE = 35 * MB;
/** 35 MB of text after a first line naming the version (one line break per KB). */
const FILLER = `${'x'.repeat(1023)}\n`.repeat(SIZE / 1024);
const OLD = 'the old content\n';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function host() {
  return lab.fleet.hosts[0]!;
}

/** Size of the temp file beside `path` on the host, if there is one. */
async function tempSize(path: string): Promise<number | undefined> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const name = path.slice(path.lastIndexOf('/') + 1);
  const result = await lab.fleet.exec(host(), [
    'sh',
    '-c',
    `for f in ${dir}/.${name}.bosun-*; do [ -e "$f" ] && stat -c %s "$f"; done; true`,
  ]);
  const sizes = result.output.split('\n').filter((line) => /^\d+$/.test(line));
  return sizes.length > 0 ? Number(sizes[0]) : undefined;
}

/**
 * Start `start`, wait until the temp file beside `path` holds at least 1 MB (the transfer is
 * under way and not done), send `signal`, wait for the process and for the host to drop the
 * temp file; then the file holds `old` or `fresh`, and nothing is left beside it.
 */
async function killMidTransfer(
  path: string,
  signal: NodeJS.Signals,
  start: () => { child: ChildProcess; done: Promise<unknown> },
  contents: { old: string; fresh: string },
) {
  await mustRun(
    lab.fleet,
    host(),
    `printf %s '${OLD}' > ${path}; rm -f ${path.replace(/[^/]*$/, '.*.bosun-*')}`,
  );
  const started = Date.now();
  const { child, done } = start();
  let exited = false;
  void done.then(() => (exited = true));
  let seen: number | undefined;
  while (seen === undefined || seen < MB) {
    expect(exited, 'the process ended before the transfer was seen').toBe(false);
    // Rendering 35 MB with handlebars alone took 20 to 90 s on the shared test machine.
    expect(Date.now() - started, 'no transfer within 200 s').toBeLessThan(200_000);
    seen = await tempSize(path);
  }
  child.kill(signal);
  const killedAt = Date.now();
  await done;
  const deadline = Date.now() + 30_000;
  while ((await tempSize(path)) !== undefined) {
    expect(Date.now(), 'the temp file is still on the host 30 s after the kill').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const cleaned = Date.now();
  const [sum, , size] = (await mustRun(lab.fleet, host(), `sha256sum < ${path}; stat -c %s ${path}`)).split(
    /\s+/,
  );
  const which = sum === sha256(contents.old) ? 'old' : sum === sha256(contents.fresh) ? 'new' : 'neither';
  expect(which, `${path} holds a cut file (${size} bytes)`).not.toBe('neither');
  const dir = path.replace(/\/[^/]*$/, '');
  expect(await mustRun(lab.fleet, host(), `ls -a ${dir} | grep bosun || true`)).toBe('');
  console.log(
    `${signal} after ${killedAt - started} ms (${seen} bytes of ${SIZE} seen on the host); ` +
      `temp file gone ${cleaned - killedAt} ms after the kill; the file holds the ${which} content`,
  );
}

describe('bosun run killed while a 35 MB template is on its way', () => {
  const dest = '/srv/big.conf';
  const fresh = `version=new\n${FILLER}`;

  async function playbook(): Promise<string> {
    const dir = join(lab.scratch, 'template');
    await mkdir(join(dir, 'templates'), { recursive: true });
    await writeFile(join(dir, 'templates', 'big.conf.hbs'), `version={{version}}\n${FILLER}`);
    const path = join(dir, 'big.yml');
    await writeFile(
      path,
      [
        '- hosts: all',
        '  become: true',
        '  tasks:',
        '    - name: big template',
        `      template: { src: big.conf.hbs, dest: ${dest}, mode: "0644" }`,
        '',
      ].join('\n'),
    );
    return path;
  }

  const run = (file: string) => () =>
    startBosun(['run', file, '-i', lab.inventory, '-e', 'version=new'], { cwd: lab.scratch, home: lab.home });

  it.each(['SIGKILL', 'SIGINT'] as const)(
    '%s: the old file or the new one, never a cut one, and no temp file',
    { timeout: 300_000 },
    async (signal) => {
      await killMidTransfer(dest, signal, run(await playbook()), { old: OLD, fresh });
    },
  );

  it('a run that is not interrupted writes it whole; the next one changes nothing', {
    timeout: 400_000,
  }, async () => {
    const file = await playbook();
    const first = await run(file)().done;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect((await mustRun(lab.fleet, host(), `sha256sum < ${dest}`)).split(' ')[0]).toBe(sha256(fresh));
    const again = await run(file)().done;
    expect(again.stdout).toMatch(/changed=0/);
    console.log(`35 MB template: written in a ${first.ms} ms run, converged run ${again.ms} ms`);
  });
});

describe("the SSH transport's put killed mid-transfer", () => {
  const dest = '/srv/put.bin';
  const fresh = `new\n${FILLER}`;

  /** A process that puts 35 MB with the transport (as the built code ships) and, on SIGINT, closes it first. */
  async function putter(): Promise<string> {
    const path = join(lab.scratch, 'put.mjs');
    const transport = join(root, 'dist/src/transport/ssh/index.js');
    await writeFile(
      path,
      [
        `import { createSshTransport } from ${JSON.stringify(transport)};`,
        'const t = createSshTransport(JSON.parse(process.env.BOSUN_PUT_OPTIONS));',
        "process.on('SIGINT', () => { t.close().finally(() => process.exit(130)); });",
        `const content = 'new\\n' + '${'x'.repeat(1023)}\\n'.repeat(${SIZE / 1024});`,
        `await t.put(${JSON.stringify(dest)}, content, { sudo: true });`,
        'await t.close();',
        '',
      ].join('\n'),
    );
    return path;
  }

  const options = (): SshTransportOptions => {
    const f = lab.fleet;
    return {
      name: host().name,
      host: host().address,
      user: f.user,
      privateKeyPath: f.privateKeyPath,
      bastions: f.bastions.map((b) => ({
        host: b.address,
        port: b.port,
        user: f.user,
        privateKeyPath: f.privateKeyPath,
      })),
      knownHostsFiles: [f.knownHostsPath],
      sshConfig: false,
      agent: false,
    };
  };

  it.each(['SIGKILL', 'SIGINT'] as const)(
    '%s: the old file or the new one, and no temp file',
    { timeout: 300_000 },
    async (signal) => {
      const script = await putter();
      const start = () => {
        const child = spawn(process.execPath, [script], {
          env: { ...process.env, BOSUN_PUT_OPTIONS: JSON.stringify(options()) },
          stdio: 'ignore',
        });
        return { child, done: new Promise((resolve) => child.on('close', resolve)) };
      };
      await killMidTransfer(dest, signal, start, { old: OLD, fresh });
    },
  );
});
