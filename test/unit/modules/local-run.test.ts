/**
 * Every remote module run for real on this machine, by the engine's own runner on the local
 * transport, in a temp folder whose name is full of shell syntax: check mode first (nothing
 * may change and it must plan what the real run does), then the real run, then a second plan
 * that must be a no-op.
 * No owner/group changes here: there is no second user to change to.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/modules/types.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { type RunOptions, runModuleOn } from './engine-run.js';

const t = new LocalTransport();
const marker = `bosun-pwned-${randomBytes(4).toString('hex')}`;
/** Would create `marker` if any shell ever expanded it. */
const NASTY = `it's "q" $(touch ${marker}) \`touch ${marker}\` * ? [a] \\ ~ $HOME\nline2`;
const root = mkdtempSync(join(tmpdir(), 'bosun-modules-'));
const base = join(root, NASTY);
mkdirSync(base);

let counter = 0;
function freshDir(): string {
  counter += 1;
  const dir = join(base, `case ${counter} ${NASTY}`);
  mkdirSync(dir);
  return dir;
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');
}

function plain(plan: Plan | undefined): unknown {
  return JSON.parse(JSON.stringify(plan, (key, value) => (key === 'stdin' ? String(value) : value)));
}

/** check run, real run, second run: returns the real run's report. */
async function converge(module: string, args: Record<string, unknown>, options: RunOptions = {}) {
  const check = await runModuleOn(t, module, args, { ...options, check: true });
  const real = await runModuleOn(t, module, args, options);
  expect(plain(check.plan)).toEqual(plain(real.plan));
  const again = await runModuleOn(t, module, args, options);
  expect(again.plan?.changed, again.plan?.changed ? again.plan.summary : '').toBe(false);
  return { check, real, again };
}

function found(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.name === marker ? [join(dir, entry.name)] : entry.isDirectory() ? found(join(dir, entry.name)) : [],
  );
}

afterAll(() => {
  // Commands run in the working folder or in a chdir below `root`.
  const expanded = [...found(root), ...(existsSync(marker) ? [marker] : [])];
  rmSync(root, { recursive: true, force: true });
  expect(expanded, 'a value was expanded by a shell').toEqual([]);
});

describe('copy on this machine', () => {
  it('creates a file atomically with its mode, after a check run that changes nothing', async () => {
    const dir = freshDir();
    const dest = join(dir, `file ${NASTY}.conf`);
    const content = `line with 'quotes' and ${NASTY}\n`;
    const check = await runModuleOn(t, 'copy', { dest, content, mode: '0640' }, { check: true, diff: true });
    expect(check.plan?.changed).toBe(true);
    expect(existsSync(dest)).toBe(false);
    const { real } = await converge('copy', { dest, content, mode: '0640' }, { diff: true });
    expect(real.outcome).toMatchObject({ changed: true, result: { dest, mode: '0640' } });
    expect(readFileSync(dest, 'utf8')).toBe(content);
    expect(modeOf(dest)).toBe('0640');
    expect(readdirSync(dir)).toEqual([`file ${NASTY}.conf`]);
  });

  it('replaces content with a text diff and a backup of the old file, keeping its mode', async () => {
    const dir = freshDir();
    const dest = join(dir, 'app.conf');
    writeFileSync(dest, 'old\n', { mode: 0o600 });
    const { real } = await converge('copy', { dest, content: 'new\n', backup: true }, { diff: true });
    expect(real.plan?.changed && real.plan.diffs).toEqual([{ path: dest, before: 'old\n', after: 'new\n' }]);
    const backup = (real.outcome as { result: Record<string, unknown> }).result.backup_file as string;
    expect(backup).toMatch(/app\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(readFileSync(backup, 'utf8')).toBe('old\n');
    expect(readFileSync(dest, 'utf8')).toBe('new\n');
    expect(modeOf(dest)).toBe('0600');
  });

  it('leaves the old file untouched and fails with the output when validation fails', async () => {
    const dir = freshDir();
    const dest = join(dir, 'sudoers');
    writeFileSync(dest, 'good\n');
    const validate = `sh -c 'echo "checking $1"; grep -q good "$1" || { echo "bad content in $1" >&2; exit 4; }' check %s`;
    const run = await runModuleOn(t, 'copy', { dest, content: 'evil\n', validate });
    expect(run.outcome).toMatchObject({ failed: true });
    const msg = (run.outcome as { msg: string }).msg;
    expect(msg).toMatch(/^failed to validate .*sudoers: checking .*\.sudoers\.bosun-\w+\nbad content in /s);
    expect(readFileSync(dest, 'utf8')).toBe('good\n');
    expect(readdirSync(dir)).toEqual(['sudoers']);
    // A passing validator lets the write through; %s works inside a word.
    const inWord = `sh -c 'grep -q good "\${1#--file=}"' check --file=%s`;
    await converge('copy', { dest, content: 'good too\n', validate: inWord });
    expect(readFileSync(dest, 'utf8')).toBe('good too\n');
  });

  it('copies controller bytes (binary) into a folder under the source name', async () => {
    const dir = freshDir();
    const bytes = randomBytes(4096);
    const files = { [`files/${NASTY}.bin`]: bytes };
    const { real } = await converge(
      'copy',
      { src: `files/${NASTY}.bin`, dest: `${dir}/` },
      { files, diff: true },
    );
    expect(readFileSync(join(dir, `${NASTY}.bin`)).equals(bytes)).toBe(true);
    expect(real.plan?.changed && real.plan.diffs?.[0]).toMatchObject({
      after: { sha256: expect.any(String) },
    });
  });

  it('changes only the mode when the content matches (symbolic mode)', async () => {
    const dir = freshDir();
    const dest = join(dir, 'tool');
    writeFileSync(dest, '#!/bin/sh\n');
    chmodSync(dest, 0o664);
    const { real } = await converge('copy', { dest, content: '#!/bin/sh\n', mode: 'u+x,go-w' });
    expect(real.plan?.changed && real.plan.summary).toBe(`${dest}: mode 0664 -> 0744`);
    expect(modeOf(dest)).toBe('0744');
  });

  it('fails when the destination folder is missing, before writing anything', async () => {
    const dir = freshDir();
    const report = await runModuleOn(t, 'copy', { dest: join(dir, 'no', 'f'), content: 'x' });
    expect(report.outcome).toMatchObject({ failed: true });
    expect(JSON.stringify(report.outcome)).toMatch(/destination folder .* does not exist/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('file on this machine', () => {
  it('creates a directory with its missing parents, each with the mode asked', async () => {
    const dir = freshDir();
    const path = join(dir, 'a b', `${NASTY}`, 'c');
    await converge('file', { path, state: 'directory', mode: '0750' }, { diff: true });
    expect(modeOf(path)).toBe('0750');
    expect(modeOf(join(dir, 'a b'))).toBe('0750');
    expect(modeOf(dir)).not.toBe('0750');
  });

  it('clears a setgid bit on a directory with an octal mode', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o2775);
    await converge('file', { path: dir, state: 'directory', mode: '0755' });
    expect(modeOf(dir)).toBe('0755');
  });

  it('applies a symbolic mode recursively, X only on folders and executables', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'), { mode: 0o777 });
    writeFileSync(join(dir, 'sub', 'data'), 'x', { mode: 0o666 });
    writeFileSync(join(dir, 'run'), 'x', { mode: 0o744 });
    chmodSync(join(dir, 'sub'), 0o777);
    const { real } = await converge('file', {
      path: dir,
      state: 'directory',
      recurse: true,
      mode: 'u=rwX,g=rX,o=',
    });
    expect(real.plan?.changed && real.plan.summary).toMatch(/attributes of \d+ entries/);
    expect([
      modeOf(dir),
      modeOf(join(dir, 'sub')),
      modeOf(join(dir, 'sub', 'data')),
      modeOf(join(dir, 'run')),
    ]).toEqual(['0750', '0750', '0640', '0750']);
  });

  it('touches: creates with a mode, and is a change every time', async () => {
    const dir = freshDir();
    const path = join(dir, `${NASTY}.log`);
    const first = await runModuleOn(t, 'file', { path, state: 'touch', mode: '0600' });
    expect(first.outcome).toMatchObject({ changed: true });
    expect(modeOf(path)).toBe('0600');
    const second = await runModuleOn(t, 'file', { path, state: 'touch', mode: '0600' });
    expect(second.plan?.changed).toBe(true);
  });

  it('removes a tree, then has nothing to do', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(join(dir, 'x', 'y', 'z'), 'z');
    await converge('file', { path: join(dir, 'x'), state: 'absent' }, { diff: true });
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('changes the mode of an existing file (default state)', async () => {
    const dir = freshDir();
    const path = join(dir, 'f');
    writeFileSync(path, 'x', { mode: 0o644 });
    await converge('file', { path, mode: 'go=' });
    expect(modeOf(path)).toBe('0600');
  });
});

describe('command and shell on this machine', () => {
  it('passes argv items verbatim', async () => {
    const argv = ['printf', '%s|', NASTY, '*', "it's", ''];
    const run = await runModuleOn(t, 'command', { argv });
    expect(run.outcome).toMatchObject({ changed: true, result: { rc: 0, stdout: `${NASTY}|*|it's||` } });
  });

  it('splits a free-form line by quoting rules only', async () => {
    const run = await runModuleOn(t, 'command', { cmd: `printf '%s|' "a  b" 'c$(d)' \`e\` * "x\ny"` });
    expect(run.outcome).toMatchObject({ result: { stdout: 'a  b|c$(d)|`e`|*|x\ny|' } });
  });

  it('runs in chdir with stdin, and fails on a non-zero exit', async () => {
    const dir = freshDir();
    const run = await runModuleOn(t, 'command', {
      argv: ['sh', '-c', 'pwd; cat; exit 3'],
      chdir: dir,
      stdin: NASTY,
    });
    expect(run.outcome).toMatchObject({
      failed: true,
      msg: 'non-zero return code',
      result: { rc: 3, stdout: `${dir}\n${NASTY}` },
    });
  });

  it('creates: runs once, then the facts skip it; check mode predicts both', async () => {
    const dir = freshDir();
    const done = `${NASTY} done`;
    const args = { cmd: 'touch "$DONE_NAME"; echo ran', chdir: dir, creates: `${NASTY.slice(0, 6)}*done` };
    // The name reaches the shell through the environment, never through the script text.
    process.env.DONE_NAME = done;
    try {
      const check = await runModuleOn(t, 'shell', args, { check: true });
      expect(check.plan?.changed).toBe(true);
      expect(check.outcome).toEqual({ changed: true, result: expect.any(Object) });
      const real = await runModuleOn(t, 'shell', args);
      expect(real.outcome).toMatchObject({ changed: true, result: { stdout: 'ran' } });
      expect(existsSync(join(dir, done))).toBe(true);
      const again = await runModuleOn(t, 'shell', args, { check: true });
      expect(again.plan).toMatchObject({ changed: false });
    } finally {
      delete process.env.DONE_NAME;
    }
  });

  it('removes: runs only while the path exists', async () => {
    const dir = freshDir();
    const path = join(dir, `${NASTY}.pid`);
    writeFileSync(path, '1');
    const args = { argv: ['rm', '--', path], removes: path };
    expect((await runModuleOn(t, 'command', args)).outcome).toMatchObject({ changed: true });
    expect((await runModuleOn(t, 'command', args)).plan).toMatchObject({ changed: false });
  });

  it('without creates/removes check mode says the command would run, and does not run it', async () => {
    const dir = freshDir();
    const path = join(dir, 'ran');
    const run = await runModuleOn(t, 'command', { argv: ['touch', '--', path] }, { check: true });
    expect(run.outcome).toEqual({ changed: true, result: { cmd: ['touch', '--', path] } });
    expect(existsSync(path)).toBe(false);
  });

  it('shell gets pipes and expansions; values given as args stay quoted', async () => {
    const run = await runModuleOn(t, 'shell', { cmd: 'printf "%s\\n" a b c | wc -l', executable: '/bin/sh' });
    expect(run.outcome).toMatchObject({ result: { stdout: '3' } });
  });
});
