/**
 * `-e` arguments, the strongest variables a user gives. Three forms, as in Ansible:
 *   -e 'key=value other="two words"'   pairs separated by spaces, values typed like YAML scalars
 *   -e @vars/STG/vars.yml              a YAML or JSON file of variables (relative to cwd)
 *   -e '{"a": 1, "b": [2]}'            an inline JSON or YAML mapping
 * Later arguments win over earlier ones. Messages name the argument (`-e #2`) and keys, never
 * values: an -e value is often a password.
 */

import { BosunError } from '../errors.js';
import { formatPosition, parseYaml } from '../model/yaml-source.js';
import type { VarDefinitionInput, VarLayerInput } from './scope.js';
import { invalidNameMessage, readVarsFile, VAR_NAME, type VaultContext, varsOfSource } from './vars-file.js';

export interface ExtraVars {
  /** Effective values (the last -e setting a name wins). */
  values: Record<string, unknown>;
  /** Where each effective value came from: `-e #1`, `vars/STG/vars.yml:3:1`. */
  sources: Record<string, string>;
  /** Every definition in command-line order, for the `extra vars` layer. */
  definitions: VarDefinitionInput[];
}

export async function parseExtraVars(
  args: readonly string[],
  cwd: string = process.cwd(),
  vault?: VaultContext,
): Promise<ExtraVars> {
  const definitions: VarDefinitionInput[] = [];
  for (const [index, arg] of args.entries()) {
    definitions.push(...(await parseOne(arg, `-e #${index + 1}`, cwd, vault)));
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const d of definitions) {
    values[d.name] = d.value;
    sources[d.name] = d.source ?? '-e';
  }
  return { values, sources, definitions };
}

/** The `extra vars` layer of a scope. */
export function extraVarsLayer(extra: ExtraVars): VarLayerInput {
  return { layer: 'extra vars', source: '-e', definitions: extra.definitions };
}

async function parseOne(
  arg: string,
  label: string,
  cwd: string,
  vault: VaultContext | undefined,
): Promise<VarDefinitionInput[]> {
  const trimmed = arg.trim();
  if (trimmed === '')
    throw new BosunError('BOSUN_INPUT', `${label}: empty value: expected key=value, @file or a mapping`);
  if (trimmed.startsWith('@')) {
    const path = trimmed.slice(1);
    if (path === '') throw new BosunError('BOSUN_INPUT', `${label}: "@" needs a file name: -e @vars.yml`);
    const { source, values } = await readVarsFile(path, {
      cwd,
      display: path,
      what: 'extra vars file',
      vault,
    });
    return Object.entries(values).map(([name, value]) => ({
      name,
      value,
      source: formatPosition(source.positionOf([name], 'key')),
      at: { source, path: [name] },
    }));
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const source = parseYaml(trimmed, label);
    const values = varsOfSource(source, 'extra vars');
    return Object.entries(values).map(([name, value]) => ({
      name,
      value,
      source: label,
      at: { source, path: [name] },
    }));
  }
  return pairs(trimmed, label).map(({ name, value }) => ({
    name,
    value,
    source: label,
    at: { label, path: [name] },
  }));
}

interface Segment {
  text: string;
  quoted: boolean;
}

/** `key=value` words; a value written in quotes stays a string, others are typed as YAML scalars. */
export function pairs(text: string, label: string): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = [];
  let i = 0;
  let word = 0;
  const fail = (message: string) => new BosunError('BOSUN_INPUT', `${label}: ${message}`);
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    word++;
    const segments: Segment[] = [];
    let plain = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === '"' || c === "'") {
        if (plain !== '') segments.push({ text: plain, quoted: false });
        plain = '';
        let quoted = '';
        let j = i + 1;
        let closed = false;
        while (j < text.length) {
          const d = text[j]!;
          if (d === c) {
            closed = true;
            break;
          }
          if (c === '"' && d === '\\' && j + 1 < text.length) {
            const next = text[j + 1]!;
            quoted += next === '"' || next === '\\' ? next : `\\${next}`;
            j += 2;
            continue;
          }
          quoted += d;
          j++;
        }
        if (!closed) {
          const key = segments
            .map((s) => s.text)
            .join('')
            .split('=')[0];
          throw fail(`unterminated ${c} quote in word ${word}${key ? ` (key "${key}")` : ''}`);
        }
        segments.push({ text: quoted, quoted: true });
        i = j + 1;
      } else if (c === '\\' && i + 1 < text.length) {
        plain += text[i + 1];
        i += 2;
      } else {
        plain += c;
        i++;
      }
    }
    if (plain !== '') segments.push({ text: plain, quoted: false });

    const split = segments.findIndex((s) => !s.quoted && s.text.includes('='));
    if (split < 0 || segments.slice(0, split).some((s) => s.quoted)) {
      throw fail(
        `word ${word} is not key=value (several pairs are separated by spaces; quote values with spaces: key="a b")`,
      );
    }
    const first = segments[split]!;
    const at = first.text.indexOf('=');
    const name = segments
      .slice(0, split)
      .map((s) => s.text)
      .join('')
      .concat(first.text.slice(0, at));
    if (name === '') throw fail(`word ${word} has no variable name before "="`);
    if (!VAR_NAME.test(name)) throw fail(invalidNameMessage(name));
    const rest: Segment[] = [{ text: first.text.slice(at + 1), quoted: false }, ...segments.slice(split + 1)];
    const valueText = rest.map((s) => s.text).join('');
    out.push({ name, value: rest.some((s) => s.quoted) ? valueText : scalar(valueText) });
  }
  if (out.length === 0) throw fail('empty value: expected key=value, @file or a mapping');
  return out;
}

/**
 * An unquoted value typed as YAML would type it, but only when nothing is lost: `8080` is a
 * number and `yes` a boolean, while `1.10` and `0755` stay strings (they are versions and
 * modes far more often than numbers).
 */
export function scalar(text: string): unknown {
  if (text === '') return '';
  let parsed: unknown;
  try {
    parsed = parseYaml(text, '-e').data;
  } catch {
    return text;
  }
  if (parsed === null) return /^(?:~|null|Null|NULL)$/.test(text) ? null : text;
  if (typeof parsed === 'boolean') return parsed;
  if (typeof parsed === 'number') return Number.isFinite(parsed) && String(parsed) === text ? parsed : text;
  return text;
}
