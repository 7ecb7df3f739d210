/**
 * The templates checked before connecting (src/engine/input-templates.ts): what is refused is in
 * the bad-input corpus; here, what must NOT be refused. The playbooks the fleet tests run load,
 * and variables that exist only at run time, or that a task
 * renders only on a condition the load cannot decide, pass.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunInput } from '../../../src/engine/input.js';
import { isBosunError } from '../../../src/errors.js';
import { runInProcess } from '../../support/in-process-cli.js';

const fixtures = resolve('test/fixtures/engine/templates');
const scratch = mkdtempSync(join(tmpdir(), 'bosun-templates-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function refusal(options: Parameters<typeof loadRunInput>[0]): Promise<string> {
  try {
    await loadRunInput(options);
  } catch (error) {
    if (isBosunError(error, 'BOSUN_INPUT')) return error.message;
    throw error;
  }
  throw new Error('loadRunInput accepted the input');
}

describe('the repository loads', () => {
  // playbooks/site.yml and crm.yml with each environment: test/unit/roles/playbooks.test.ts.
  it('and the playbooks the integration tests run on the fleet', async () => {
    const fleet = resolve('test/fixtures/engine/fleet');
    const inventory = join(scratch, 'lab.yml');
    writeFileSync(
      inventory,
      'all:\n  children:\n    lab:\n      hosts: { host1: {}, host2: {}, host3: {} }\n',
    );
    const playbooks = readdirSync(fleet).filter((name) => name.endsWith('.yml') && !name.startsWith('bad-'));
    expect(playbooks.length).toBeGreaterThanOrEqual(10);
    for (const playbook of playbooks) {
      // extras.yml is given its secret on the command line, as its test gives it.
      const extraVars = playbook === 'extras.yml' ? ['secret=s3cret'] : [];
      await expect(
        loadRunInput({ playbook, inventory: [inventory], extraVars, cwd: fleet }),
        playbook,
      ).resolves.toBeDefined();
    }
  });
});

describe('variables the load cannot refuse', () => {
  const base = { playbook: 'run-time.yml', inventory: ['inventory.yml'], cwd: fixtures };

  it('register, set_fact, loop variables, -e, guards and run-time conditions all pass', async () => {
    const input = await loadRunInput({ ...base, extraVars: ['deploy_tag=v1'] });
    expect(input.plays[0]!.hosts).toEqual(['web1', 'web2']);
  });

  it('a variable only -e gives is refused without it', async () => {
    expect(await refusal(base)).toBe(
      'run-time.yml:79:14: [0].tasks[17].debug.msg: undefined variable "deploy_tag" (host web1)',
    );
  });

  it('a task --tags leaves out is not checked for variables; one it selects is', async () => {
    const tags = { only: ['special'], skip: [] };
    expect(await refusal({ ...base, tags })).toBe(
      'run-time.yml:86:14: [0].tasks[19].debug.msg: undefined variable "only_with_tag" (host web1)',
    );
    await expect(
      loadRunInput({ ...base, extraVars: ['deploy_tag=v1', 'only_with_tag=x'], tags }),
    ).resolves.toBeDefined();
  });
});

describe('what only the run can see', () => {
  it('a lineinfile line that a registered value gives two lines fails that task, and nothing is written', async () => {
    const target = join(scratch, 'hosts.txt');
    const inventory = join(scratch, 'local.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    here: { bosun_connection: local }\n');
    const playbook = join(scratch, 'two-lines.yml');
    writeFileSync(
      playbook,
      [
        '- hosts: all',
        '  tasks:',
        '    - name: two lines, known only at run time',
        "      command: printf 'a\\nb'",
        '      register: two',
        '      changed_when: false',
        '    - name: one line in a file',
        '      lineinfile:',
        `        path: ${target}`,
        '        line: "{{ two.stdout }}"',
        '        create: true',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await runInProcess(['run', playbook, '-i', inventory], { cwd: scratch });
    expect(code).toBe(2);
    expect(stdout).toContain(
      `failed: [here] => ${playbook}:10:15: [0].tasks[1].lineinfile.line: line holds a line break: lineinfile compares it with each line of the file, so it never finds it and adds it again on every run; to manage several lines, use blockinfile`,
    );
    expect(existsSync(target)).toBe(false);
  });
});
