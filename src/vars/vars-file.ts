/**
 * Files of variables (`vars_files:` of a play, `-e @file.yml`): a YAML or JSON mapping of
 * variable names to values. Each value keeps where it was written.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BosunError } from '../errors.js';
import { issueError } from '../model/validate.js';
import {
  describeValue,
  parseYaml,
  pathText,
  VaultScalar,
  type YamlParseOptions,
  type YamlSource,
} from '../model/yaml-source.js';
import type { VarLayerName } from './precedence.js';
import { mappingLayer, type VarLayerInput } from './scope.js';
import type { Secrets } from './secrets.js';
import { isVaultText, openVault, type VaultPasswordSource } from './vault.js';

/** What reading encrypted vars needs: the passwords, and the run's secrets to add the values to. */
export interface VaultContext {
  passwords: VaultPasswordSource;
  secrets: Secrets;
}

export interface VarsFileOptions {
  cwd?: string;
  display?: string;
  what?: string;
  vault?: VaultContext | undefined;
}

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function invalidNameMessage(name: string): string {
  return `variable name "${name}" is not valid: use letters, digits and '_', not starting with a digit`;
}

/** The mapping of a vars document, checked: a mapping (or empty) whose keys are variable names. */
export function varsOfSource(source: YamlSource, what = 'a vars file'): Record<string, unknown> {
  const data = source.data;
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw issueError(
      source,
      [],
      'value',
      `${what} must be a mapping of variable names to values, got ${describeValue(data)}`,
    );
  }
  for (const name of Object.keys(data)) {
    if (!VAR_NAME.test(name)) throw issueError(source, [name], 'key', invalidNameMessage(name));
  }
  return data as Record<string, unknown>;
}

/**
 * Read a vars file. `display` is how the file is named in messages (as the user wrote it);
 * a missing file is a BOSUN_INPUT error naming it.
 */
export async function readVarsFile(
  path: string,
  options: VarsFileOptions = {},
): Promise<{ source: YamlSource; values: Record<string, unknown> }> {
  const display = options.display ?? path;
  const absolute = resolve(options.cwd ?? process.cwd(), path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (cause as Error).message;
    const shown = absolute === display ? display : `${display} (${absolute})`;
    throw new BosunError('BOSUN_INPUT', `cannot read ${options.what ?? 'vars file'} ${shown}: ${why}`, {
      cause,
      details: { file: display },
    });
  }
  const { source, encrypted } = await parseVarsText(text, display, options.vault);
  const values = await openVars(varsOfSource(source, options.what), options.vault, display, encrypted);
  return { source, values };
}

/**
 * The YAML document of a vars text (a vars file, an inventory's group_vars/ or host_vars/
 * file): a whole-file vault is opened first. Its values still hold their `!vault` scalars:
 * `openVars` opens them once the caller has checked the document's shape.
 */
export async function parseVarsText(
  text: string,
  display: string,
  vault: VaultContext | undefined,
  options: YamlParseOptions = {},
): Promise<{ source: YamlSource; encrypted: boolean }> {
  const encrypted = isVaultText(text);
  const plain = encrypted ? await openVault(text, noPasswords(vault), display) : text;
  return { source: parseYaml(plain, display, options), encrypted };
}

/**
 * `values` with each `!vault` value decrypted. Every decrypted value is a secret of the run,
 * as is every value of a file that was encrypted whole. `at` names where they were written in
 * errors (a file, or file:line:column); `path` is their key path there.
 */
export async function openVars<T>(
  values: T,
  vault: VaultContext | undefined,
  at: string,
  encrypted = false,
  path: (string | number)[] = [],
): Promise<T> {
  const opened = (await openValues(values, vault, at, path)) as T;
  if (encrypted) vault?.secrets.add(opened);
  return opened;
}

function noPasswords(vault: VaultContext | undefined): VaultPasswordSource {
  return vault ? vault.passwords : async () => undefined;
}

/** The values with each `!vault` scalar decrypted (and added to the run's secrets). */
async function openValues(
  value: unknown,
  vault: VaultContext | undefined,
  file: string,
  path: (string | number)[],
): Promise<unknown> {
  if (value instanceof VaultScalar) {
    const where = path.length === 0 ? file : `${file}: ${pathText(path)}`;
    const plain = await openVault(value.text, noPasswords(vault), where);
    vault?.secrets.add(plain);
    return plain;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries())
      out.push(await openValues(item, vault, file, [...path, index]));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = await openValues(item, vault, file, [...path, key]);
    return out;
  }
  return value;
}

/** A vars file as a variable layer (play `vars_files:` use `vars files`). */
export async function loadVarsFile(
  path: string,
  layer: VarLayerName = 'vars files',
  options: VarsFileOptions = {},
): Promise<VarLayerInput> {
  const { source, values } = await readVarsFile(path, options);
  return mappingLayer(layer, source, [], values);
}
