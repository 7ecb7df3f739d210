import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { listPlays } from '../../../src/engine/listing.js';
import { isBosunError } from '../../../src/errors.js';
import { runInProcess } from '../../support/in-process-cli.js';

// Loading a run's input: everything checked before any connection. And the commands that
// only read input (`bosun vars`, `bosun schema`, `bosun run --list-*`), run in-process.

const dir = join(import.meta.dirname, '../../fixtures/engine/input');
const scratch = mkdtempSync(join(tmpdir(), 'bosun-input-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function inputError(options: Parameters<typeof loadRunInput>[0]): Promise<string> {
  try {
    await loadRunInput(options);
  } catch (error) {
    if (isBosunError(error) && (error.code === 'BOSUN_INPUT' || error.code === 'BOSUN_INVENTORY'))
      return error.message;
    throw error;
  }
  throw new Error('loadRunInput did not fail');
}

function bosun(argv: string[]) {
  return runInProcess(argv, { cwd: dir });
}

describe('loadRunInput', () => {
  it('matches hosts per play, reads vars files per host and knows every connection', async () => {
    const input = await loadRunInput({ playbook: 'site.yml', inventory: ['inventory.yml'], cwd: dir });
    expect(input.plays.map((p) => p.hosts)).toEqual([['web1', 'web2', 'db1'], ['db1']]);
    // A templated vars file name is rendered per host: db1 has env PRD, the others STG.
    const files = (host: string) => input.plays[0]!.varsFiles.get(host)!.map((layer) => layer.source);
    expect(files('web1')).toEqual(['vars/common.yml', 'vars/STG.yml']);
    expect(files('db1')).toEqual(['vars/common.yml', 'vars/PRD.yml']);
    // web1 is reached by the second play's delegate_to too.
    expect([...input.connections.keys()].sort()).toEqual(['db1', 'web1', 'web2']);
    expect(input.warnings).toEqual([]);
  });

  it('applies --limit, and refuses a limit matching nothing', async () => {
    const input = await loadRunInput({
      playbook: 'site.yml',
      inventory: ['inventory.yml'],
      cwd: dir,
      limit: 'web2',
    });
    expect(input.plays.map((p) => p.hosts)).toEqual([['web2'], []]);
    expect(
      await inputError({ playbook: 'site.yml', inventory: ['inventory.yml'], cwd: dir, limit: 'nope' }),
    ).toBe('--limit "nope" matches no host of the inventory');
  });

  it('fails before connecting, with the place, on bad input found only with the inventory', async () => {
    expect(await inputError({ playbook: 'missing-src.yml', inventory: ['inventory.yml'], cwd: dir })).toMatch(
      /^missing-src\.yml:5:14: \[0\]\.tasks\[0\]\.copy\.src: file "nowhere\.txt" not found on the controller \(looked for .*files\/nowhere\.txt, .*\/nowhere\.txt\)$/,
    );
    expect(
      await inputError({ playbook: 'missing-template.yml', inventory: ['inventory.yml'], cwd: dir }),
    ).toMatch(
      /^missing-template\.yml:5:14: \[0\]\.tasks\[0\]\.template\.src: template "nope\.hbs" not found on the controller \(looked for .*\/templates\/nope\.hbs, .*\/nope\.hbs\)$/,
    );
    expect(await inputError({ playbook: 'bad-delegate.yml', inventory: ['inventory.yml'], cwd: dir })).toBe(
      'bad-delegate.yml:4:20: [0].tasks[0].delegate_to: no host "web9" in the inventory (delegate_to names an inventory host, or localhost)',
    );
    expect(
      await inputError({ playbook: 'missing-env-file.yml', inventory: ['inventory.yml'], cwd: dir }),
    ).toBe(
      'missing-env-file.yml:3:7: [0].vars_files[0]: vars file "vars/web1.yml" (for host web1) not found (looked for vars/web1.yml)',
    );
    expect(await inputError({ playbook: 'site.yml', inventory: [], cwd: dir })).toMatch(
      /^no inventory given/,
    );
    expect(
      await inputError({
        playbook: 'site.yml',
        inventory: ['inventory.yml'],
        extraVars: ['@nothing.yml'],
        cwd: dir,
      }),
    ).toMatch(/nothing\.yml/);
  });

  it('lists tasks after tag selection: always runs, never only when asked', async () => {
    const input = await loadRunInput({ playbook: 'site.yml', inventory: ['inventory.yml'], cwd: dir });
    const names = (only: string[], skip: string[] = []) =>
      listPlays(input, { only, skip }).map((play) => play.tasks.map((task) => task.name));
    expect(names([])).toEqual([['copy a shipped file', 'say'], ['on the db']]);
    expect(names(['files'])).toEqual([['copy a shipped file', 'say'], []]);
    expect(names(['debug'])).toEqual([['say', 'never unless asked'], []]);
    expect(names([], ['always', 'files'])).toEqual([[], ['on the db']]);
  });
});

describe('bosun vars', () => {
  it('shows each value, its layer and source, and what it overrode; secrets redacted', async () => {
    const r = await bosun([
      'vars',
      'web1',
      '-i',
      'inventory.yml',
      '-e',
      'region=us',
      '--playbook',
      'site.yml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('web1: play #1 "site" of site.yml');
    const block = (name: string) => {
      const at = lines.findIndex((line) => line.startsWith(`${name} = `));
      const out = [lines[at]];
      for (let i = at + 1; lines[i]?.startsWith('    '); i++) out.push(lines[i]);
      return out.join('\n');
    };
    expect(block('port')).toBe(
      [
        'port = 9000  [vars files] vars/common.yml:1:1',
        '    overrode 8080  [inventory host vars] inventory.yml:11:11 (host web1)',
        '    overrode 80  [inventory group vars] inventory.yml:8:9 (group web)',
      ].join('\n'),
    );
    expect(block('region')).toBe(
      'region = "us"  [extra vars] -e #1\n    overrode "eu"  [vars files] vars/common.yml:2:1',
    );
    expect(block('motd')).toBe(
      'motd = "staging {{ inventory_hostname }}"  [vars files] vars/STG.yml:1:1\n    renders to "staging web1"',
    );
    expect(block('bosun_password')).toBe(
      'bosun_password = "[redacted]"  [inventory group vars] inventory.yml:4:5 (group all)',
    );
    expect(r.stdout).not.toContain('inventory-secret');
  });

  it('works from the inventory alone, and as JSON', async () => {
    const r = await bosun(['vars', 'db1', '-i', 'inventory.yml', '--json']);
    expect(r.code).toBe(0);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.find((e) => e.name === 'env')).toEqual({
      name: 'env',
      value: 'PRD',
      layer: 'inventory host vars',
      source: 'inventory.yml:16:11 (host db1)',
      overridden: [{ value: 'STG', layer: 'inventory group vars', source: 'inventory.yml:3:5 (group all)' }],
    });
    const unknown = await bosun(['vars', 'db9', '-i', 'inventory.yml']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe('bosun: error[BOSUN_INPUT]: no host "db9" in the inventory\n');
  });
});

describe('bosun schema', () => {
  it('writes the JSON Schemas into --out', async () => {
    const out = join(scratch, 'schemas');
    const r = await bosun(['schema', '--out', out]);
    expect(r.code).toBe(0);
    const written = readdirSync(out).sort();
    expect(written).toEqual(
      expect.arrayContaining(['inventory.schema.json', 'playbook.schema.json', 'vars.schema.json']),
    );
    expect(r.stdout.trim().split('\n').sort()).toEqual(written.map((name) => `wrote ${join(out, name)}`));
    const playbook = JSON.parse(readFileSync(join(out, 'playbook.schema.json'), 'utf8'));
    expect(playbook.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});

describe('bosun run --list-hosts', () => {
  it('lists without connecting (the inventory hosts do not exist)', async () => {
    const r = await bosun(['run', 'site.yml', '-i', 'inventory.yml', '--list-hosts', '-l', 'db']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '\nplaybook: site.yml\n\n  play #1 (all): site\tTAGS: []\n    pattern: all\n    hosts (1):\n      db1\n' +
        '\n  play #2 (db): databases\tTAGS: []\n    pattern: db\n    hosts (1):\n      db1\n',
    );
  });
});
