/**
 * Every folder of test/fixtures/bad-input holding a playbook.yml is a playbook that `bosun run`
 * must refuse with exit 4 and exactly the message in its expected.txt, before it connects to
 * anything. The CLI runs in-process, as a user runs it, against an inventory whose every host
 * is a TCP listener on 127.0.0.1 that counts connection attempts: a case that got past the
 * checks would connect to it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process-cli.js';

const CORPUS = resolve('test/fixtures/bad-input');
// Roles the cases share sit in test/fixtures/roles, which bad-input/roles links to: every
// case finds them as <playbook>/../roles, as a user's playbook finds its project's roles.
const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && readdirSync(join(CORPUS, entry.name)).includes('playbook.yml'))
  .map((entry) => entry.name)
  .sort();

let server: Server;
let connections = 0;
let scratch: string;
let trap: string;

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  scratch = mkdtempSync(join(tmpdir(), 'bosun-bad-input-'));
  trap = join(scratch, 'trap.yml');
  // Group `all` gives every host (those of a case's own inventory.yml too) the listener's address.
  writeFileSync(
    trap,
    [
      'all:',
      '  vars:',
      '    bosun_host: 127.0.0.1',
      `    bosun_port: ${port}`,
      '    bosun_user: nobody',
      `    bosun_known_hosts_file: ${join(scratch, 'known_hosts')}`,
      '  hosts:',
      '    trap: {}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(scratch, { recursive: true, force: true });
});

/** `bosun run playbook.yml` with the trap, the case's inventory.yml and the arguments in its args file. */
function runArgs(dir: string): string[] {
  const files = readdirSync(dir);
  const args = ['run', 'playbook.yml', '-i', trap];
  if (files.includes('inventory.yml')) args.push('-i', 'inventory.yml');
  if (files.includes('args')) {
    args.push(
      ...readFileSync(join(dir, 'args'), 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
  }
  return args;
}

describe('bad input corpus', () => {
  it('has at least 90 cases, each with its expected message', () => {
    expect(cases.length).toBeGreaterThanOrEqual(90);
    for (const name of cases) expect(readdirSync(join(CORPUS, name)), name).toContain('expected.txt');
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(CORPUS, name);
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').replace(/\n$/, '');
    const before = connections;
    const result = await runInProcess(runArgs(dir), { cwd: dir });
    expect(result.stderr).toBe(`bosun: error[BOSUN_INPUT]: ${expected}\n`);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(connections - before, 'connection attempts').toBe(0);
  });

  it('the trap counts connections: a valid playbook reaches it', async () => {
    const dir = resolve('test/fixtures/engine/templates');
    const before = connections;
    const result = await runInProcess(['run', 'valid.yml', '-i', trap, '--connect-timeout', '5'], {
      cwd: dir,
    });
    expect(result.code).toBe(3);
    expect(connections - before).toBeGreaterThan(0);
  });
});
