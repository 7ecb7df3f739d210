/**
 * YAML documents that remember where every key and value was written, so any later check
 * (schema, inventory semantics, connection variables) can point at file:line:column.
 */
import { readFile } from 'node:fs/promises';
import { BosunError, type BosunErrorCode } from '../errors.js';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Tags,
} from '../vendor/yaml.js';

export type KeyPath = readonly (string | number)[];

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface YamlParseOptions {
  /** Error code for syntax errors (BOSUN_INPUT unless the caller knows better). */
  code?: BosunErrorCode;
}

export class YamlSource {
  constructor(
    /** File name as shown in messages (as the user gave it). */
    readonly file: string,
    /** Plain JS value of the document (null for an empty file). */
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Where the node at `path` was written. `key` points at the last key of the path (for
   * "unknown key" messages), `value` at its value. A path that leaves the document (merged
   * or missing keys) falls back to the deepest node that exists.
   */
  positionOf(path: KeyPath, target: 'key' | 'value' = 'value'): SourcePosition {
    let node: unknown = this.doc.contents;
    let best = this.offsetOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      node = this.deref(node);
      let keyOffset: number | undefined;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
        if (!pair) break;
        keyOffset = this.offsetOf(pair.key);
        next = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
        next = node.items[Number(segment)];
        if (next === undefined) break;
      } else {
        break;
      }
      const last = i === path.length - 1;
      if (last && target === 'key' && keyOffset !== undefined) {
        best = keyOffset;
        break;
      }
      const valueOffset = this.offsetOf(next);
      // An empty value (`hosts:`) has no node of its own: its key is the best place to point.
      best = valueOffset ?? keyOffset ?? best;
      node = next;
    }
    const { line, col } = this.lines.linePos(best);
    return { file: this.file, line, column: col };
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private offsetOf(node: unknown): number | undefined {
    if (node === null || node === undefined || typeof node !== 'object') return undefined;
    const range = (node as Node).range;
    if (!range) return undefined;
    // A null scalar for an empty value sits at the end of its line; it has no text of its own.
    if (isScalar(node) && node.value === null && range[0] === range[1]) return undefined;
    return range[0];
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return undefined;
  return String(key);
}

/**
 * Parse YAML as Ansible does: YAML 1.1 (so `yes`/`no` are booleans, as PyYAML reads them),
 * merge keys allowed, duplicate keys rejected, alias expansion bounded.
 */
export function parseYaml(text: string, file: string, options: YamlParseOptions = {}): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    version: '1.1',
    customTags: pyyamlBooleans,
  });
  const error = doc.errors[0];
  if (error) {
    let offset = error.pos[0];
    let message = yamlMessage(error.message);
    if (error.code === 'DUPLICATE_KEY') {
      // The library points just before the key (often the end of the previous line).
      while (offset < text.length && /\s/.test(text[offset]!)) offset++;
      const key = /^[^:\n]*/
        .exec(text.slice(offset))?.[0]
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2');
      if (key) message = `duplicate key "${key}"`;
    }
    const { line, col } = lines.linePos(offset);
    throw new BosunError(options.code ?? 'BOSUN_INPUT', `${file}:${line}:${col}: invalid YAML: ${message}`, {
      details: { file, line, column: col },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new BosunError(
      options.code ?? 'BOSUN_INPUT',
      `${file}: invalid YAML: ${yamlMessage(String((cause as Error).message))}`,
      {
        cause,
      },
    );
  }
  return new YamlSource(file, data ?? null, doc, lines);
}

const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

/**
 * YAML 1.1 as PyYAML reads it: the library's 1.1 schema also takes `y` and `n` as booleans,
 * which would turn a host or key named `y` into `true`; PyYAML (so Ansible) does not.
 */
function pyyamlBooleans(tags: Tags): Tags {
  const booleans = tags.map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag) || !tag.test)
      return tag;
    return { ...tag, test: tag.identify?.(true) ? PY_TRUE : PY_FALSE };
  });
  return [...booleans, VAULT_SCALAR_TAG];
}

/**
 * A `!vault |` scalar: an encrypted value inside plain YAML. Parsing keeps the ciphertext; the
 * vars file reader decrypts it (src/vars/vault.ts), so elsewhere it never passes for a string.
 */
export class VaultScalar {
  constructor(readonly text: string) {}
}

const VAULT_SCALAR_TAG = {
  tag: '!vault',
  identify: (value: unknown) => value instanceof VaultScalar,
  resolve: (text: string) => new VaultScalar(text),
  stringify: (item: { value: unknown }) => (item.value as VaultScalar).text,
};

function yamlMessage(message: string): string {
  // Without prettyErrors the library still sometimes appends its own position; ours is in front.
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

/** Read and parse one YAML file; a missing or unreadable file is a clear error, not a stack. */
export async function loadYamlFile(
  path: string,
  options: YamlParseOptions & { display?: string } = {},
): Promise<YamlSource> {
  return parseYaml(await readSourceText(path, options), options.display ?? path, options);
}

/** The text of a file to parse; a missing or unreadable file is a clear error naming it. */
export async function readSourceText(
  path: string,
  options: { code?: BosunErrorCode | undefined; display?: string } = {},
): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (cause as Error).message;
    throw new BosunError(options.code ?? 'BOSUN_INPUT', `${options.display ?? path}: cannot read: ${why}`, {
      cause,
    });
  }
}

export function formatPosition(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.column}`;
}

/** A key path as people read it: all.children.web.hosts["10.0.0.1"], list items as [0]. */
export function pathText(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** "a list", "a string", "empty": how a YAML value is named in messages (never its content). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}
