import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { raw, sh } from '../../../src/transport/quote.js';
import { buildCommandLine } from '../../../src/transport/shell-transport.js';

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
    expect(() => buildCommandLine(raw('true'), { env: { 'A;B': 'x' } })).toThrow(
      /invalid environment variable name/,
    );
  });

  it('abandons a command after its timeout with a stable code', async () => {
    const started = Date.now();
    const error = await t.exec(raw('sleep 30'), { timeout: 200 }).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_COMMAND_TIMEOUT')).toBe(true);
    // Far from the command's own end, whatever the machine's speed.
    expect(Date.now() - started).toBeLessThan(15_000);
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
    const line = buildCommandLine(
      raw('id -u'),
      { sudo: true, user: 'app' },
      { prompt: '[p] password:', success: 'OK-1' },
    );
    expect(line).toBe("sudo -S -p '[p] password:' -H -u app -- /bin/sh -c 'echo OK-1; id -u'");
  });
});
