import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('bin/bosun.js', () => {
  it('says how to build when dist/ is missing, and exits 1', () => {
    // A copy of the launcher in a folder without dist/, as in a clone before `npm install`.
    const dir = mkdtempSync(join(tmpdir(), 'bosun-bin-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    copyFileSync(join(import.meta.dirname, '../../../bin/bosun.js'), join(dir, 'bin/bosun.js'));
    const run = spawnSync(process.execPath, [join(dir, 'bin/bosun.js'), 'version'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('dist/src/cli/main.js is missing');
    expect(run.stderr).toContain('npm install');
  });
});
