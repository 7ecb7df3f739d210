/**
 * Files of variables (`vars_files:` of a play, `-e @file.yml`): a YAML or JSON mapping of
 * variable names to values. Each value keeps where it was written.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BosunError } from '../errors.js';
import { issueError } from '../model/validate.js';
import { describeValue, parseYaml, type YamlSource } from '../model/yaml-source.js';
import type { VarLayerName } from './precedence.js';
import { mappingLayer, type VarLayerInput } from './scope.js';

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
  options: { cwd?: string; display?: string; what?: string } = {},
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
  const source = parseYaml(text, display);
  return { source, values: varsOfSource(source, options.what) };
}

/** A vars file as a variable layer (play `vars_files:` use `vars files`). */
export async function loadVarsFile(
  path: string,
  layer: VarLayerName = 'vars files',
  options: { cwd?: string; display?: string } = {},
): Promise<VarLayerInput> {
  const { source, values } = await readVarsFile(path, options);
  return mappingLayer(layer, source, [], values);
}
