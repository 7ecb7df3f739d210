/**
 * Module arguments checked against the module's schema when the playbook is loaded. A value
 * holding `{{` is only known per host, after rendering: for this check it stands in as a value
 * its schema accepts, so the rest of the arguments are still checked now.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { didYouMean } from './suggest.js';
import type { ModuleInfo } from './task-modules.js';
import { findIssue, issueError } from './validate.js';
import type { KeyPath, YamlSource } from './yaml-source.js';

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{');
}

export function holdsTemplate(value: unknown): boolean {
  if (isTemplate(value)) return true;
  if (Array.isArray(value)) return value.some(holdsTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsTemplate);
  return false;
}

/** Where each argument was written, to point at it: under the module key, or under `args:`. */
export type ArgOrigins = Map<string, KeyPath>;

/** What is being checked, for messages: `argument` of `module "copy"`, `parameter` of `role "users"`. */
export interface ValueSubject {
  noun: 'argument' | 'parameter';
  owner: string;
}

/**
 * Throws a located BOSUN_INPUT error for the first problem of `values` against `schema`: an
 * unknown key (with a suggestion), a missing required one, or a value of the wrong type or shape.
 * `basePath` locates the whole set; `origins` where each top-level key was written.
 */
export function checkValues(
  schema: TSchema,
  values: Record<string, unknown>,
  subject: ValueSubject,
  source: YamlSource,
  basePath: KeyPath,
  origins: ArgOrigins = new Map(),
): void {
  const locate = (path: readonly (string | number)[]): KeyPath => {
    const [first, ...rest] = path;
    if (first === undefined) return basePath;
    return [...(origins.get(String(first)) ?? [...basePath, first]), ...rest];
  };
  const known = knownKeys(schema);
  if (known) {
    for (const key of Object.keys(values)) {
      if (!known.has(key)) {
        throw issueError(
          source,
          locate([key]),
          'key',
          `unknown ${subject.noun} "${key}" of ${subject.owner}${didYouMean(key, known)}`,
        );
      }
    }
  }
  const issue = findIssue(schema, standIn(schema, values));
  if (!issue) return;
  const missing = /^missing key "(.*)"$/.exec(issue.message);
  const choices = choicesAt(schema, issue.path);
  let message = issue.message;
  if (missing && issue.path.length === 0)
    message = `missing required ${subject.noun} "${missing[1]}" of ${subject.owner}`;
  else if (choices) {
    const given = valueAt(values, issue.path);
    const suggestion = typeof given === 'string' ? didYouMean(given, choices.map(String)) : '';
    message = `must be one of: ${choices.map((c) => JSON.stringify(c)).join(', ')}${suggestion}`;
  }
  throw issueError(source, locate(issue.path), issue.target, message);
}

/** The allowed values when the schema at `path` is a set of literals (a union of constants or an enum). */
export function choicesAt(schema: TSchema, path: readonly (string | number)[]): unknown[] | undefined {
  let node: TSchema | undefined = schema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    const branches = alternatives(node);
    node =
      typeof segment === 'number'
        ? (branches.find((b) => b.type === 'array')?.items as TSchema | undefined)
        : propertySchema(
            branches.filter((b) => b.type === 'object'),
            segment,
          );
  }
  if (node === undefined) return undefined;
  if (Array.isArray(node.enum)) return node.enum as unknown[];
  const branches = alternatives(node);
  return branches.length > 1 && branches.every((b) => 'const' in b)
    ? branches.map((b) => b.const)
    : undefined;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** Module arguments: see checkValues; then the module's own cross-argument rules. */
export function checkModuleArgs(
  module: ModuleInfo,
  args: Record<string, unknown>,
  source: YamlSource,
  modulePath: KeyPath,
  origins: ArgOrigins,
): void {
  const subject: ValueSubject = { noun: 'argument', owner: `module "${module.name}"` };
  checkValues(module.schema, args, subject, source, modulePath, origins);
  // A rule about a templated value is checked once it is rendered, at run time, unless the
  // problem is in the value's own text.
  const issues = (module.checkArgs?.(args) ?? []).filter(
    (issue) => issue.key === undefined || issue.literal === true || !holdsTemplate(args[issue.key]),
  );
  const [issue] = issues;
  if (issue) {
    const path =
      issue.key === undefined ? modulePath : (origins.get(issue.key) ?? [...modulePath, issue.key]);
    throw issueError(source, path, 'value', issue.message);
  }
}

/** Top-level keys when the schema closes them (an object, or a union of objects). */
function knownKeys(schema: TSchema): Set<string> | undefined {
  const branches = alternatives(schema);
  if (
    branches.length === 0 ||
    !branches.every((b) => b.type === 'object' && b.additionalProperties === false)
  )
    return undefined;
  return new Set(branches.flatMap((b) => Object.keys((b.properties as object | undefined) ?? {})));
}

function alternatives(schema: TSchema): TSchema[] {
  const list = (schema.anyOf ?? schema.oneOf) as TSchema[] | undefined;
  return list ? list.flatMap(alternatives) : [schema];
}

/** `value` with every templated part replaced by something its (sub)schema accepts. */
function standIn(schema: TSchema | undefined, value: unknown): unknown {
  if (schema === undefined) return value;
  if (isTemplate(value)) return acceptable(schema, value);
  if (Array.isArray(value)) {
    const items = alternatives(schema).find((b) => b.type === 'array')?.items as TSchema | undefined;
    return value.map((item) => standIn(items, item));
  }
  if (value !== null && typeof value === 'object') {
    const objects = alternatives(schema).filter((b) => b.type === 'object');
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = standIn(propertySchema(objects, key), item);
    return out;
  }
  return value;
}

function propertySchema(objects: TSchema[], key: string): TSchema | undefined {
  for (const branch of objects) {
    const property = (branch.properties as Record<string, TSchema> | undefined)?.[key];
    if (property) return property;
  }
  for (const branch of objects) {
    const patterns = branch.patternProperties as Record<string, TSchema> | undefined;
    const first = patterns ? Object.values(patterns)[0] : undefined;
    if (first) return first;
    if (typeof branch.additionalProperties === 'object') return branch.additionalProperties as TSchema;
  }
  return undefined;
}

function acceptable(schema: TSchema, template: string): unknown {
  // Only TypeBox schemas (with their Kind) can be checked and instantiated by Value.
  if (!(Kind in schema)) return template;
  try {
    if (Value.Check(schema, template)) return template;
    return Value.Create(schema);
  } catch {
    return template;
  }
}
