/**
 * The shared write (transport/verified-write.ts) run by a real /bin/sh on this machine: the
 * bytes are used only when all of them arrived unchanged, and a file is replaced only if it is
 * still the one the write was planned from. Every script Bosun builds for it is covered: the
 * modules' writeScript, the transports' put, and receiveLines for what is not a file write.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { writeScript } from '../../../src/modules/file-write.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { type RawShell, raw, sh } from '../../../src/transport/quote.js';
import type { RemoteProcess } from '../../../src/transport/shell-transport.js';
import { atomicWriteScript } from '../../../src/transport/shell-transport.js';
import {
  INCOMPLETE_INPUT,
  isStaleWrite,
  joinLines,
  payloadOf,
  receiveLines,
  STALE_WRITE,
} from '../../../src/transport/verified-write.js';

const root = mkdtempSync(join(tmpdir(), 'bosun-verified-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh folder holding `target` with `old` content (or no target). */
function folder(old?: string): { dir: string; target: string } {
  counter += 1;
  const dir = join(root, `case ${counter} it's $(x)`);
  mkdirSync(dir);
  const target = join(dir, 'app.conf');
  if (old !== undefined) writeFileSync(target, old, { mode: 0o640 });
  return { dir, target };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `script` by /bin/sh with `input` on stdin, as a transport runs it. */
function run(script: RawShell, input: Buffer): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script.text], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Names left in `dir` besides the target (temp files would show here). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name !== 'app.conf');
}

const NEW = Buffer.from(`${'new line\n'.repeat(20000)}end\n`);

function fileWrite(target: string, replaces: string): RawShell {
  return writeScript({ path: target, mode: 0o644, backup: false, payload: payloadOf(NEW), replaces });
}

describe('the modules write script through /bin/sh', () => {
  it('writes what arrived whole, with its mode, and leaves no temp file', async () => {
    const { dir, target } = folder('old\n');
    const result = await run(fileWrite(target, sha256('old\n')), NEW);
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(sha256(readFileSync(target))).toBe(sha256(NEW));
    expect((statSync(target).mode & 0o777).toString(8)).toBe('644');
    expect(leftovers(dir)).toEqual([]);
  });

  it('a truncated input (the channel dropped) is discarded: the old file stays', async () => {
    const { dir, target } = folder('old\n');
    const result = await run(fileWrite(target, sha256('old\n')), NEW.subarray(0, 65536));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${INCOMPLETE_INPUT}: received 65536 bytes`);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('an empty input is discarded too, also when the file did not exist', async () => {
    const { dir, target } = folder();
    const result = await run(fileWrite(target, 'absent'), Buffer.alloc(0));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${INCOMPLETE_INPUT}: received 0 bytes`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a corrupted byte (same size) is discarded', async () => {
    const { dir, target } = folder('old\n');
    const corrupted = Buffer.from(NEW);
    corrupted[1000] = 0x58;
    const result = await run(fileWrite(target, sha256('old\n')), corrupted);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`received ${NEW.length} bytes with sha256 ${sha256(corrupted)}`);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('more bytes than were sent are discarded', async () => {
    const { target } = folder('old\n');
    const result = await run(fileWrite(target, sha256('old\n')), Buffer.concat([NEW, Buffer.from('x')]));
    expect(result.code).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
  });

  it('a file changed since it was read is not replaced, and says so (STALE_WRITE)', async () => {
    const { dir, target } = folder('another writer was here\n');
    const result = await run(fileWrite(target, sha256('old\n')), NEW);
    expect(result.code).toBe(1);
    expect(isStaleWrite(result.stderr)).toBe(true);
    expect(result.stderr).toBe(`${STALE_WRITE}: ${target} changed after it was read: not written\n`);
    expect(readFileSync(target, 'utf8')).toBe('another writer was here\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('a file that appeared since it was read as absent is not replaced', async () => {
    const { target } = folder('created meanwhile\n');
    const result = await run(fileWrite(target, 'absent'), NEW);
    expect(isStaleWrite(result.stderr)).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('created meanwhile\n');
  });

  it('a file removed since it was read is not created again', async () => {
    const { dir, target } = folder();
    const result = await run(fileWrite(target, sha256('old\n')), NEW);
    expect(isStaleWrite(result.stderr)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('waits while another writer holds the folder, then checks what it left', async () => {
    const { dir, target } = folder('old\n');
    // Another Bosun writer of the same folder: holds the lock, writes, then lets go.
    const holder = spawn('/bin/sh', [
      '-c',
      'exec 9< "$1"; flock 9; echo locked; sleep 0.5; echo theirs > "$2"',
      'sh',
      dir,
      target,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const result = await run(fileWrite(target, sha256('old\n')), NEW);
    expect(isStaleWrite(result.stderr)).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('theirs\n');
  });

  it('a shell killed before the rename (signal) leaves no temp file', async () => {
    const { dir, target } = folder('old\n');
    const child = spawn('/bin/sh', ['-c', fileWrite(target, sha256('old\n')).text], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.stdin.write(NEW.subarray(0, 1000));
    while (leftovers(dir).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');
    // The shell runs its trap once cat returns.
    child.stdin.end();
    await closed;
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('receiveLines for a consumer that is not a file (crontab, chpasswd, an archive)', () => {
  const consume = (out: string, data: Buffer) =>
    joinLines([raw('set -e'), ...receiveLines(payloadOf(data)), sh`cat "$tmp" > ${out}`]);

  it('hands over the whole input, and only the whole input', async () => {
    const { dir } = folder();
    const out = join(dir, 'consumed');
    const data = randomBytes(300000);
    expect((await run(consume(out, data), data)).code).toBe(0);
    expect(sha256(readFileSync(out))).toBe(sha256(data));
    rmSync(out);
    const cut = await run(consume(out, data), data.subarray(0, 200000));
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(INCOMPLETE_INPUT);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** The local transport with a channel that loses bytes: the controller side of a cut transfer. */
class LossyTransport extends LocalTransport {
  constructor(private readonly damage: (input: Buffer) => Buffer) {
    super();
  }

  protected override async open(commandLine: string): Promise<RemoteProcess> {
    const proc = await super.open(commandLine);
    const damage = this.damage;
    const chunks: Buffer[] = [];
    const stdin = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
      final(done) {
        proc.stdin.end(damage(Buffer.concat(chunks)));
        done();
      },
    });
    return { ...proc, stdin };
  }
}

describe("the transports' put", () => {
  const content = randomBytes(2 * 1024 * 1024);

  it('atomicWriteScript is the shared verified write', () => {
    const script = atomicWriteScript('/etc/x', payloadOf(content)).text;
    expect(script).toContain(`[ "$got" = ${content.length} ] && [ "$sum" = ${sha256(content)} ]`);
  });

  it('fails with BOSUN_TRANSFER and keeps the old file when the end of the input is lost', async () => {
    const { dir, target } = folder('old\n');
    // The input starts with the command's script; the content is what follows it.
    const t = new LossyTransport((input) => input.subarray(0, input.length - content.length + 600 * 1024));
    const error = await t.put(target, content).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_TRANSFER')).toBe(true);
    expect((error as Error).message).toContain(`${INCOMPLETE_INPUT}: received ${600 * 1024} bytes`);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('fails and writes nothing when a byte is changed on the way', async () => {
    const { dir, target } = folder();
    const t = new LossyTransport((input) => {
      const copy = Buffer.from(input);
      copy[12345] = (copy[12345]! + 1) % 256;
      return copy;
    });
    const error = await t.put(target, content).catch((e: unknown) => e);
    expect(isBosunError(error, 'BOSUN_TRANSFER')).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes when everything arrives', async () => {
    const { dir, target } = folder('old\n');
    await new LossyTransport((input) => input).put(target, content, { mode: '0600' });
    expect(sha256(readFileSync(target))).toBe(sha256(content));
    expect(leftovers(dir)).toEqual([]);
  });
});
