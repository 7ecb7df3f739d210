/**
 * Structural validation of YAML documents: TypeBox schemas checked by ajv, with ajv's errors
 * turned into one message that points at file:line:column and names the key path. Only the
 * most specific problem is reported; people fix one thing at a time and a wall of union
 * branch failures helps nobody.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BosunError, type BosunErrorCode } from '../errors.js';
import { describeValue, formatPosition, type KeyPath, pathText, type YamlSource } from './yaml-source.js';

export interface ValidationIssue {
  path: (string | number)[];
  /** `key` when the key itself is wrong (unknown key), `value` otherwise. */
  target: 'key' | 'value';
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** First (most specific) problem of `data` against `schema`, or undefined when it conforms. */
export function findIssue(schema: TSchema, data: unknown): ValidationIssue | undefined {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return undefined;
  return pickIssue(validate.errors ?? []);
}

/**
 * Check the document (or the part of it at `at`) and return it typed; otherwise throw a
 * BosunError `file:line:col: key.path: message`.
 */
export function validateSource<T extends TSchema>(
  schema: T,
  source: YamlSource,
  options: { code?: BosunErrorCode; at?: KeyPath; data?: unknown } = {},
): Static<T> {
  const at = options.at ?? [];
  const data = 'data' in options ? options.data : source.data;
  const issue = findIssue(schema, data);
  if (issue) throw issueError(source, [...at, ...issue.path], issue.target, issue.message, options.code);
  return data as Static<T>;
}

/** A located error about the node at `path` of `source`. */
export function issueError(
  source: YamlSource,
  path: KeyPath,
  target: 'key' | 'value',
  message: string,
  code: BosunErrorCode = 'BOSUN_INPUT',
): BosunError {
  const position = source.positionOf(path, target);
  const where = path.length > 0 ? `${pathText(path)}: ` : '';
  return new BosunError(code, `${formatPosition(position)}: ${where}${message}`, {
    details: { ...position, path: [...path] },
  });
}

function pointerPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function issuePath(error: ErrorObject): (string | number)[] {
  // ajv does not say which containers were lists; digits are taken as list indexes, which
  // positionOf also resolves as keys when the container is a mapping.
  const path: (string | number)[] = pointerPath(error.instancePath).map((part) =>
    /^\d+$/.test(part) ? Number(part) : part,
  );
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  null: 'empty',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
};

function pickIssue(errors: ErrorObject[]): ValidationIssue {
  const located = errors.map((error) => ({ error, path: issuePath(error) }));
  const depth = Math.max(...located.map((l) => l.path.length));
  const deepest = located.filter((l) => l.path.length === depth);
  const first = deepest[0]!;

  const unknown = deepest.find((l) => l.error.keyword === 'additionalProperties');
  if (unknown) {
    const properties = Object.keys((unknown.error.parentSchema?.properties as object | undefined) ?? {});
    const expected = properties.length > 0 ? `; expected one of: ${properties.join(', ')}` : '';
    return { path: unknown.path, target: 'key', message: `unknown key${expected}` };
  }

  const meaningful = deepest.filter((l) => l.error.keyword !== 'anyOf' && l.error.keyword !== 'oneOf');
  if (meaningful.length > 0 && meaningful.every((l) => l.error.keyword === 'type')) {
    const expected = new Set<string>();
    for (const { error } of meaningful) {
      const types = error.params.type as string | string[];
      for (const type of Array.isArray(types) ? types : String(types).split(',')) {
        expected.add(TYPE_NAMES[type] ?? type);
      }
    }
    const list = [...expected];
    // "empty" reads best last: "must be a mapping or empty".
    list.sort((a, b) => Number(a === 'empty') - Number(b === 'empty'));
    return {
      path: first.path,
      target: 'value',
      message: `must be ${list.join(' or ')}, got ${describeValue(first.error.data)}`,
    };
  }

  const chosen = meaningful[0] ?? first;
  return { path: chosen.path, target: 'value', message: describeError(chosen.error) };
}

function describeError(error: ErrorObject): string {
  const custom = error.parentSchema?.errorMessage;
  if (typeof custom === 'string') return custom;
  switch (error.keyword) {
    case 'enum':
      return `must be one of: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    case 'required':
      return `missing key "${String(error.params.missingProperty)}"`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}
