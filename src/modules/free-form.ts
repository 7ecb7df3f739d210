/**
 * A module's arguments given as one string, as Ansible playbooks often do:
 * `command: ls -l` (the whole string is the free-form argument) or, for other modules,
 * `file: path=/srv/app state=directory mode=0755` and `debug: msg="Hello {{ name }}"`
 * (key=value words, quoted like a shell line, a `{{ ... }}` kept whole).
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import type { ModuleDefinition } from './types.js';

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)=/s;
const TRUE = new Set(['yes', 'true', 'on', '1', 'y']);
const FALSE = new Set(['no', 'false', 'off', '0', 'n']);

export type FreeFormResult = { args: Record<string, unknown> } | { error: string };

export function freeFormArgs(module: ModuleDefinition, text: string): FreeFormResult {
  if (module.freeForm !== undefined) return { args: { [module.freeForm]: text } };
  let words: string[];
  try {
    words = keyValueWords(text);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const properties = ((module.schema as TObject).properties ?? {}) as Record<string, TSchema>;
  const args: Record<string, unknown> = {};
  for (const word of words) {
    const match = KEY.exec(word);
    if (!match) {
      return {
        error: `"${word}" is not key=value: ${module.name} takes key=value words (path=/srv state=directory) or a mapping`,
      };
    }
    const key = match[1] as string;
    args[key] = coerce(word.slice(key.length + 1), properties[key]);
  }
  return { args };
}

/**
 * Words split at blanks, with '...' and "..." quoting and backslash escapes like a shell line;
 * a `{{ ... }}` is copied verbatim (its own quotes included), as Ansible's splitter does.
 */
export function keyValueWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  let quoteStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (text.startsWith('{{', i)) {
      const close = text.indexOf('}}', i + 2);
      const end = close < 0 ? text.length : close + 2;
      word += text.slice(i, end);
      inWord = true;
      i = end;
      continue;
    }
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) {
        word += text[i + 1];
        i += 1;
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      quoteStart = i;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1];
      inWord = true;
      i += 1;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
    i += 1;
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} quote: ${text.slice(quoteStart)}`);
  if (inWord) words.push(word);
  return words;
}

/** Text to the type the schema wants, as Ansible converts key=value strings. */
function coerce(value: string, schema: TSchema | undefined): unknown {
  if (schema === undefined || value.includes('{{')) return value;
  const types = new Set<string>(
    (schema.anyOf as TSchema[] | undefined)?.map((s) => s.type as string) ?? [schema.type as string],
  );
  if (types.has('string')) return value;
  if (types.has('boolean')) {
    const lower = value.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
  }
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}
