import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BosunError, isBosunError } from '../../../src/errors.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { raw, sh } from '../../../src/transport/quote.js';
import { buildCommandLine } from '../../../src/transport/remote-command.js';
import { atomicWriteScript } from '../../../src/transport/shell-transport.js';
import { payloadOf } from '../../../src/transport/verified-write.js';
import { processesWith } from '../../support/local-processes.js';

// The shared exec/put/get logic, exercised on this machine through the local transport.
const t = new LocalTransport();
const dir = mkdtempSync(join(tmpdir(), 'bosun-local-'));

describe('ShellTransport over the local transport', () => {
  it('returns exit code, stdout and stderr without throwing on failure', async () => {
    const r = await t.exec(raw('echo out; echo err >&2; exit 3'));
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('feeds stdin and closes it', async () => {
    const r = await t.exec(sh`tr a-z A-Z`, { stdin: 'hello\n' });
    expect(r.stdout).toBe('HELLO\n');
  });

  it('sets environment values verbatim', async () => {
    const value = `it's $(not run) \`x\``;
    const r = await t.exec(raw('printf %s "$BOSUN_T"'), { env: { BOSUN_T: value } });
    expect(r.stdout).toBe(value);
  });

  it('refuses an environment name that is not an identifier', () => {
    expect(() =>
      buildCommandLine(raw('true'), { env: { 'A;B': 'x' } }, { prompt: 'p', started: 'S' }),
    ).toThrow(/invalid environment variable name/);
  });

  it('abandons a command after its timeout with a stable code', async () => {
    const started = Date.now();
    const error = await t.exec(raw('sleep 30'), { timeout: 200 }).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_COMMAND_TIMEOUT')).toBe(true);
    // Far from the command's own end, whatever the machine's speed.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('stops every process of a command past its timeout, not only its shell', async () => {
    const token = `sleep 29.${process.pid}`;
    const error = await t.exec(raw(`${token}1 & ${token}2; wait`), { timeout: 300 }).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_COMMAND_TIMEOUT')).toBe(true);
    expect((error as BosunError).details?.stopped).toBe('its processes ended on SIGTERM');
    expect(processesWith(token)).toEqual([]);
  });

  it('kills with SIGKILL what ignores SIGTERM, 2 s later', async () => {
    const token = `sleep 28.${process.pid}`;
    const started = Date.now();
    const error = await t.exec(raw(`trap '' TERM; ${token}`), { timeout: 200 }).catch((e: unknown) => e);
    expect((error as BosunError).details?.stopped).toBe('its processes were killed with SIGKILL after 2 s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(processesWith(token)).toEqual([]);
  }, 15_000);

  it('runs each command as the leader of its own process group, exit status and signal kept', async () => {
    const r = await t.exec(raw('echo "$$ $(ps -o pgid= -p $$)"'));
    const [pid, pgid] = r.stdout.trim().split(/\s+/);
    expect(pgid).toBe(pid);
    expect(Number(pid)).not.toBe(process.pid);
    expect((await t.exec(raw('exit 7'))).code).toBe(7);
    expect(await t.exec(raw('kill -s TERM $$'))).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('on interrupt, stops the commands in flight with their processes and starts no more', async () => {
    const own = new LocalTransport();
    const token = `sleep 27.${process.pid}`;
    const running = own.exec(raw(`${token} & ${token}; true`)).catch((e: unknown) => e);
    await expect
      .poll(() => processesWith(token).length >= 2, {
        timeout: 20_000,
        interval: 50,
        message: 'the command to start',
      })
      .toBe(true);
    await own.interrupt();
    const error = (await running) as BosunError;
    expect(error.code).toBe('BOSUN_INTERRUPTED');
    expect(error.message).toBe(
      'localhost: interrupted; the command was stopped: its processes ended on SIGTERM',
    );
    expect(processesWith(token)).toEqual([]);
    const refused = (await own.exec(raw('true')).catch((e: unknown) => e)) as BosunError;
    expect(refused.code).toBe('BOSUN_INTERRUPTED');
    expect(refused.details?.what).toBe('no command was running; none was started after it');
  });

  it('puts binary content atomically with the requested mode, and gets it back', async () => {
    const path = join(dir, 'data with space.bin');
    const content = randomBytes(1024 * 1024);
    await t.put(path, content, { mode: '0640' });
    expect((statSync(path).mode & 0o777).toString(8)).toBe('640');
    const back = await t.get(path);
    expect(createHash('sha256').update(back).digest('hex')).toBe(
      createHash('sha256').update(content).digest('hex'),
    );
    // No temp file is left beside the target.
    expect(readdirSync(dir).filter((name) => name.includes('bosun-'))).toEqual([]);
  });

  it('leaves no temp file when a write is stopped by SIGTERM halfway', async () => {
    const path = join(dir, 'stopped-write');
    // The write's own process group, its input still open: it is halfway.
    const child = spawn(
      '/bin/sh',
      ['-c', atomicWriteScript(path, payloadOf('the first half and the second')).text],
      { detached: true, stdio: 'pipe' },
    );
    child.stdin.write('the first half');
    const temp = () => readdirSync(dir).filter((name) => name.startsWith('.stopped-write.bosun-'));
    await expect
      .poll(() => temp().length === 1 && statSync(join(dir, temp()[0]!)).size > 0, {
        timeout: 20_000,
        interval: 50,
        message: 'the temp file',
      })
      .toBe(true);
    const ended = new Promise((resolve) => child.once('close', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    expect(await ended).toBe(143);
    expect(temp()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('stopped-write');
  });

  it('keeps the mode of a file it replaces when none is given', async () => {
    const path = join(dir, 'keep-mode');
    writeFileSync(path, 'old', { mode: 0o600 });
    await t.put(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
  });

  it('reports a failed write with the path and leaves nothing behind', async () => {
    const path = join(dir, 'missing-dir', 'file');
    const error = await t.put(path, 'x').catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_TRANSFER')).toBe(true);
    expect(String((error as Error).message)).toContain(path);
  });

  it('reports a missing file on get', async () => {
    const error = await t.get(join(dir, 'nope')).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_TRANSFER')).toBe(true);
  });
});

describe('become command line', () => {
  it('never places the password in the command line and uses a one-off prompt', () => {
    const { line } = buildCommandLine(
      raw('id -u'),
      { sudo: true, user: 'app' },
      { prompt: '[p] password:', started: 'OK-1' },
    );
    expect(line).toMatch(
      /^exec sudo -S -p '\[p\] password:' -H -u app -- \/bin\/sh -c '.*setsid.*' bosun 'echo OK-1 \$\$; s=; while IFS= read -r l; .*eval "\$s"'$/s,
    );
  });
});

describe('the script on stdin', () => {
  it('keeps the script and the environment out of argv, and the caller input for the script', () => {
    const { line, script } = buildCommandLine(
      raw('printf \'%s\' "$TOKEN"; cat'),
      { env: { TOKEN: 'tok-5150' } },
      { prompt: 'p', started: 'S-1' },
    );
    expect(line).not.toContain('tok-5150');
    expect(line).not.toContain('printf');
    expect(script.toString()).toBe('export TOKEN=tok-5150\nprintf \'%s\' "$TOKEN"; cat\n# end S-1\n');
  });

  it('runs a script whole, with its own stdin after it, and refuses one cut short', async () => {
    const t = new LocalTransport({});
    const r = await t.exec(raw('read -r a; printf "%s|" "$a"; cat'), {
      stdin: 'first\nsecond\n',
      env: { X: 'y' },
    });
    expect(r).toMatchObject({ code: 0, stdout: 'first|second\n' });
    const { line } = buildCommandLine(raw('echo ran'), {}, { prompt: 'p', started: 'S-2' });
    const cut = spawnSync('/bin/sh', ['-c', line], { input: 'echo ran\n', encoding: 'utf8' });
    expect(cut.status).toBe(125);
    expect(cut.stdout).toMatch(/^S-2 \d+\n$/);
    expect(cut.stderr).toBe('bosun: the command did not arrive whole\n');
  });
});
