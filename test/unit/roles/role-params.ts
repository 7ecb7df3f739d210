/**
 * Loading a role with given params the way `bosun run` does (a playbook through loadPlaybook),
 * for the exact messages of bad parameters.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBosunError } from '../../../src/errors.js';
import { loadPlaybook } from '../../../src/model/playbook.js';
import type { PlaybookModel } from '../../../src/model/playbook-types.js';

/** A one-play playbook applying `role` with `params` (YAML text of the params mapping, indented by the caller). */
export function playbookText(role: string, params: string): string {
  return `- hosts: all\n  roles:\n    - role: ${role}\n      params:\n${params
    .split('\n')
    .map((line) => `        ${line}`)
    .join('\n')}\n`;
}

export async function loadWithParams(role: string, params: string): Promise<PlaybookModel> {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-role-params-'));
  try {
    await writeFile(join(dir, 'playbook.yml'), playbookText(role, params));
    return await loadPlaybook('playbook.yml', { cwd: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The BOSUN_INPUT message loading fails with (the test fails if loading succeeds). */
export async function paramsError(role: string, params: string): Promise<string> {
  try {
    await loadWithParams(role, params);
  } catch (error) {
    if (isBosunError(error, 'BOSUN_INPUT')) return error.message;
    throw error;
  }
  throw new Error(`role ${role} accepted the params:\n${params}`);
}
