/**
 * The template helpers, the only functions a playbook can call. They run on the controller
 * and touch nothing but their arguments: no file or environment lookups. The secret lookups
 * (`ssm`, `aws_secret`) read values the run fetched from AWS (lookups.ts); they never wait.
 *
 * A missing variable arrives as an `Undefined` value. Ordinary helpers hand it on untouched,
 * so the error names the variable where the value is finally used; `default`, `defined`,
 * `and` and `or` look at it (`and (defined x) (eq x 1)` is false, not an error, when x is
 * missing, as Python's short-circuit would have it).
 */
import { BosunError } from '../errors.js';
import { describeValue } from '../model/yaml-source.js';
import { quote } from '../transport/quote.js';
import type { HandlebarsInstance, HelperOptions, SourceLocation } from '../vendor/handlebars.js';
import { stringify } from '../vendor/yaml.js';
import { currentLookups, type LookupCall } from './lookups.js';
import { currentSecrets } from './secrets.js';
import { INTERNAL, type LookupKind } from './template-ast.js';
import type { UndefinedPassing } from './template-names.js';

/** A variable that does not exist, on its way to where it is used. */
export class Undefined {
  constructor(
    readonly name: string,
    readonly loc: SourceLocation | undefined,
  ) {}
}

/** Thrown when an undefined value reaches output, a block or a condition. */
export class UndefinedVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly loc: SourceLocation | undefined,
  ) {
    super(`undefined variable "${variable}"`);
  }
}

/** A helper refused its arguments. */
export class HelperError extends Error {
  constructor(
    message: string,
    public loc?: SourceLocation,
  ) {
    super(message);
  }
}

export const MISSING: unique symbol = Symbol('bosun.missing');

/** What one render call gives the helpers (through Handlebars' `data`). */
export interface RenderCall {
  /** A host variable, rendered; MISSING when undefined (soft: also when its template is). */
  resolve(name: string, soft: boolean, usedAt: SourceLocation | undefined): unknown;
  captured: { value: unknown };
}

/** Helpers callable in expressions, as listed to users. */
export const HELPER_NAMES = [
  'default',
  'defined',
  'join',
  'to_json',
  'to_nice_json',
  'to_yaml',
  'quote',
  'eq',
  'ne',
  'lt',
  'gt',
  'le',
  'ge',
  'and',
  'or',
  'not',
  'bool',
  'int',
  'length',
  'lookup',
  'dict2items',
  'subelements',
  'ssm',
  'aws_secret',
] as const;

/** Block helpers: `{{#if x}}...{{else}}...{{/if}}`; `raw` keeps `{{ }}` inside it literal. */
export const BLOCK_HELPERS = ['if', 'unless', 'each', 'with', 'raw'] as const;

/** Arguments that may be undefined without failing: default's first, all of defined's. */
export const SOFT_ARGUMENTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['default', [0]],
  ['defined', []],
]);

const FALSE_WORDS = new Set(['', 'false', 'no', 'off', '0']);

/**
 * Truth of a condition's value. Strings are read as YAML booleans first ("false", "no", "off",
 * "0" and "" are false), so `-e enabled=false` and a variable holding "no" mean no; any other
 * non-empty string is true. Empty lists and mappings are false, as in Jinja.
 */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return !FALSE_WORDS.has(value.trim().toLowerCase());
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Ansible's `bool` filter: true only for true, 1 and "yes"/"on"/"1"/"true" (any case). */
export function ansibleBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return ['yes', 'on', '1', 'true'].includes(value.trim().toLowerCase());
  return false;
}

/** A value as text inside a larger string: lists and mappings as JSON, null as nothing. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b, k) &&
        deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

type HelperFn = (
  args: unknown[],
  hash: Record<string, unknown>,
  options: HelperOptions,
  self: unknown,
) => unknown;

interface HelperSpec {
  fn: HelperFn;
  /** Arity: [min, max]. */
  arity: [number, number];
  /** Looks at Undefined arguments itself instead of handing the first one on. */
  seesUndefined?: boolean;
  /** With seesUndefined: which arguments it certainly hands on when undefined (default: none). */
  passing?: UndefinedPassing;
  /** Hash options it accepts (`to_nice_json x indent=2`). */
  options?: string[];
}

function compare(name: string, a: unknown, b: unknown): number {
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  throw new HelperError(
    `${name}: cannot compare ${describeValue(a)} with ${describeValue(b)} (convert with int first)`,
  );
}

/** A lookup's value from the run's cache; outside a run (checks at load) it is always pending. */
function lookup(call: LookupCall): string {
  const lookups = currentLookups();
  if (lookups) return lookups.value(call);
  throw new BosunError('BOSUN_LOOKUP', `${call.name} is looked up when the run needs it`, {
    details: { pending: call },
  });
}

function lookupName(helper: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new HelperError(`${helper}: expected a name (a string), got ${describeValue(value)}`);
  return value;
}

function regionOf(hash: Record<string, unknown>): string | undefined {
  return hash.region === undefined ? undefined : String(hash.region);
}

const SPECS: Record<(typeof HELPER_NAMES)[number], HelperSpec> = {
  ssm: {
    arity: [1, 1],
    options: ['region'],
    fn: ([name], hash) => lookup({ service: 'ssm', name: lookupName('ssm', name), region: regionOf(hash) }),
  },
  aws_secret: {
    arity: [1, 1],
    options: ['region', 'key'],
    fn: ([id], hash) => {
      const name = lookupName('aws_secret', id);
      const text = lookup({ service: 'secretsmanager', name, region: regionOf(hash) });
      if (hash.key === undefined) return text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new HelperError(`aws_secret "${name}": key=${String(hash.key)} needs a JSON secret`);
      }
      const value = own(parsed, String(hash.key));
      if (value === MISSING)
        throw new HelperError(`aws_secret "${name}": no key "${String(hash.key)}" in the secret`);
      return value;
    },
  },
  default: {
    arity: [2, 3],
    seesUndefined: true,
    fn: ([value, fallback, orFalsy]) => {
      if (orFalsy instanceof Undefined) return orFalsy;
      if (value instanceof Undefined || (truthy(orFalsy) && !truthy(value))) return fallback;
      return value;
    },
  },
  defined: {
    arity: [1, Number.POSITIVE_INFINITY],
    seesUndefined: true,
    fn: (args) => args.every((a) => !(a instanceof Undefined)),
  },
  join: {
    arity: [1, 2],
    fn: ([list, separator]) => {
      if (!Array.isArray(list)) throw new HelperError(`join: expected a list, got ${describeValue(list)}`);
      return list.map(displayValue).join(separator === undefined ? '' : displayValue(separator));
    },
  },
  to_json: { arity: [1, 1], fn: ([value]) => JSON.stringify(value ?? null) },
  to_nice_json: {
    arity: [1, 1],
    options: ['indent'],
    fn: ([value], hash) => {
      const indent = hash.indent === undefined ? 4 : Number(hash.indent);
      if (!Number.isInteger(indent) || indent < 0 || indent > 10) {
        throw new HelperError('to_nice_json: indent must be an integer from 0 to 10');
      }
      return JSON.stringify(value ?? null, null, indent);
    },
  },
  to_yaml: { arity: [1, 1], fn: ([value]) => stringify(value ?? null).replace(/\n$/, '') },
  quote: {
    arity: [1, 1],
    fn: ([value]) => {
      const word = (v: unknown): string => {
        if (v === null || v === undefined) return quote('');
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return quote(v);
        throw new HelperError(`quote: cannot quote ${describeValue(v)} as a shell word`);
      };
      return Array.isArray(value) ? value.map(word).join(' ') : word(value);
    },
  },
  eq: { arity: [2, 2], fn: ([a, b]) => deepEqual(a, b) },
  ne: { arity: [2, 2], fn: ([a, b]) => !deepEqual(a, b) },
  lt: { arity: [2, 2], fn: ([a, b]) => compare('lt', a, b) < 0 },
  gt: { arity: [2, 2], fn: ([a, b]) => compare('gt', a, b) > 0 },
  le: { arity: [2, 2], fn: ([a, b]) => compare('le', a, b) <= 0 },
  ge: { arity: [2, 2], fn: ([a, b]) => compare('ge', a, b) >= 0 },
  and: {
    arity: [1, Number.POSITIVE_INFINITY],
    seesUndefined: true,
    passing: 'first',
    fn: (args) => {
      for (const a of args) {
        if (a instanceof Undefined) return a;
        if (!truthy(a)) return false;
      }
      return true;
    },
  },
  or: {
    arity: [1, Number.POSITIVE_INFINITY],
    seesUndefined: true,
    passing: 'first',
    fn: (args) => {
      for (const a of args) {
        if (a instanceof Undefined) return a;
        if (truthy(a)) return true;
      }
      return false;
    },
  },
  not: { arity: [1, 1], fn: ([value]) => !truthy(value) },
  bool: { arity: [1, 1], fn: ([value]) => ansibleBool(value) },
  int: {
    arity: [1, 1],
    fn: ([value]) => {
      if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
      throw new HelperError(`int: ${describeValue(value)} is not an integer`);
    },
  },
  length: {
    arity: [1, 1],
    fn: ([value]) => {
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (value !== null && typeof value === 'object') return Object.keys(value).length;
      throw new HelperError(`length: ${describeValue(value)} has no length`);
    },
  },
  // Ansible's filters of the same names: loops need lists, and variables are often mappings.
  dict2items: {
    arity: [1, 1],
    fn: ([value]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new HelperError(`dict2items: expected a mapping, got ${describeValue(value)}`);
      }
      return Object.entries(value).map(([key, item]) => ({ key, value: item }));
    },
  },
  subelements: {
    arity: [2, 2],
    options: ['skip_missing'],
    fn: ([list, path], hash) => {
      if (!Array.isArray(list))
        throw new HelperError(`subelements: expected a list, got ${describeValue(list)}`);
      if (typeof path !== 'string' || path === '') {
        throw new HelperError(
          'subelements: the second argument is a key path such as "groups" or "value.groups"',
        );
      }
      const pairs: unknown[][] = [];
      for (const [index, item] of list.entries()) {
        let sub: unknown = item;
        for (const key of path.split('.')) sub = own(sub, key);
        if (sub === MISSING || sub === undefined || sub === null) {
          if (ansibleBool(hash.skip_missing)) continue;
          throw new HelperError(
            `subelements: item ${index} has no "${path}" (pass skip_missing=true to skip such items)`,
          );
        }
        if (!Array.isArray(sub)) {
          throw new HelperError(
            `subelements: "${path}" of item ${index} must be a list, got ${describeValue(sub)}`,
          );
        }
        for (const element of sub) pairs.push([item, element]);
      }
      return pairs;
    },
  },
  lookup: {
    arity: [2, 2],
    fn: ([container, key], hash, options) => {
      const value = own(container, String(key));
      if (value !== MISSING) return value;
      const base = typeof hash.__base === 'string' ? hash.__base : 'lookup';
      const k = String(key);
      const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)
        ? `.${k}`
        : /^\d+$/.test(k)
          ? `.[${k}]`
          : `[${JSON.stringify(k)}]`;
      return new Undefined(`${base}${shown}`, options.loc);
    },
  },
};

/**
 * Why calling helper `name` with `count` arguments and these options cannot work (wrong number
 * of arguments, an option it does not take); undefined when it can, or when it is no helper.
 * The same words when the template is parsed and when it runs.
 */
export function callProblem(name: string, count: number, optionNames: readonly string[]): string | undefined {
  if ((BLOCK_HELPERS as readonly string[]).includes(name)) {
    return name === 'raw' || count === 1 ? undefined : `#${name} takes exactly one argument, got ${count}`;
  }
  const spec = Object.hasOwn(SPECS, name) ? (SPECS as Record<string, HelperSpec>)[name] : undefined;
  if (!spec) return undefined;
  const [min, max] = spec.arity;
  if (count < min || count > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} or ${max}`;
    const plural = expected === '1' ? '' : 's';
    return `${name}: expects ${expected} argument${plural}, got ${count}`;
  }
  const unknown = optionNames.find((k) => !spec.options?.includes(k));
  if (unknown === undefined) return undefined;
  const allowed = spec.options?.length ? ` (options: ${spec.options.join(', ')})` : ' (it takes no options)';
  return `${name}: unknown option "${unknown}"${allowed}`;
}

/** How a helper treats an undefined argument, for the load's reading of templates (template-names.ts). */
export function undefinedPassing(name: string): UndefinedPassing {
  const spec = Object.hasOwn(SPECS, name) ? (SPECS as Record<string, HelperSpec>)[name] : undefined;
  if (!spec?.seesUndefined) return 'all';
  return spec.passing ?? 'none';
}

function own(container: unknown, key: string): unknown {
  if (container === null || typeof container !== 'object') return MISSING;
  return Object.hasOwn(container, key) ? (container as Record<string, unknown>)[key] : MISSING;
}

const LOOKUP_HELPERS: ReadonlySet<string> = new Set(['ssm', 'aws_secret']);

function call(options: HelperOptions): RenderCall {
  return options.data.bosun as RenderCall;
}

function wrap(name: string, spec: HelperSpec) {
  return function (this: unknown, ...all: unknown[]): unknown {
    const options = all.pop() as HelperOptions;
    const hash = options.hash ?? {};
    const optionNames = Object.keys(hash).filter((k) => k !== '__base');
    const problem = callProblem(name, all.length, optionNames);
    if (problem) throw new HelperError(problem, options.loc);
    if (!spec.seesUndefined) {
      const missing = [...all, ...optionNames.map((k) => hash[k])].find((a) => a instanceof Undefined);
      if (missing) return missing;
    }
    try {
      const result = spec.fn(all, hash, options, this);
      // What a helper makes from a secret is secret (the lookups' values are secrets already).
      const secrets = currentSecrets();
      if (secrets && !spec.seesUndefined && !LOOKUP_HELPERS.has(name)) {
        secrets.derive([...all, hash], result, (redacted) =>
          spec.fn(redacted.slice(0, -1), redacted.at(-1) as Record<string, unknown>, options, this),
        );
      }
      return result;
    } catch (error) {
      if (error instanceof HelperError && !error.loc) error.loc = options.loc;
      throw error;
    }
  };
}

/** `(__bosun_member base kind "display" ...segments)`: see template-ast.ts. */
function member(soft: boolean) {
  return function (this: unknown, ...all: unknown[]): unknown {
    const options = all.pop() as HelperOptions;
    const [base, kind, display, ...segments] = all as [unknown, LookupKind, string, ...string[]];
    const root = options.data.root;
    let value: unknown = base;
    let i = 0;
    if (segments.length > 0) {
      const first = segments[0]!;
      if (base === root) {
        value = call(options).resolve(first, soft, options.loc);
      } else {
        value = own(base, first);
        if (value === MISSING && kind === 'name') value = call(options).resolve(first, soft, options.loc);
      }
      i = 1;
    }
    for (; i < segments.length && value !== MISSING; i++) value = own(value, segments[i]!);
    if (value === MISSING || value === undefined) return new Undefined(display, options.loc);
    return value;
  };
}

function fail(value: unknown): never {
  const u = value as Undefined;
  throw new UndefinedVariableError(u.name, u.loc);
}

/** Register every helper on an isolated Handlebars instance. */
export function registerHelpers(hb: HandlebarsInstance): void {
  const builtin = { each: hb.helpers.each!, with: hb.helpers.with! };
  // log writes to the console; lookup, if, unless, each and with are replaced below.
  hb.unregisterHelper('log');

  for (const name of HELPER_NAMES) hb.registerHelper(name, wrap(name, SPECS[name]));
  hb.registerHelper(INTERNAL.member, member(false));
  hb.registerHelper(INTERNAL.soft, member(true));
  hb.registerHelper(INTERNAL.out, (value: unknown) => {
    if (value instanceof Undefined) fail(value);
    return displayValue(value);
  });
  hb.registerHelper(INTERNAL.capture, (value: unknown, options: HelperOptions) => {
    if (value instanceof Undefined) fail(value);
    call(options).captured = { value };
    return '';
  });

  const block = (name: string, run: (self: unknown, value: unknown, options: HelperOptions) => string) =>
    function (this: unknown, ...all: unknown[]): string {
      const options = all.pop() as HelperOptions;
      const problem = callProblem(name, all.length, []);
      if (problem) throw new HelperError(problem, options.loc);
      if (all[0] instanceof Undefined) fail(all[0]);
      return run(this, all[0], options);
    };
  hb.registerHelper(
    'if',
    block('if', (self, value, o) => (truthy(value) ? o.fn!(self) : o.inverse!(self))),
  );
  hb.registerHelper(
    'unless',
    block('unless', (self, value, o) => (truthy(value) ? o.inverse!(self) : o.fn!(self))),
  );
  hb.registerHelper(
    'each',
    block('each', (self, value, o) => {
      if (value !== null && typeof value !== 'object') {
        throw new HelperError(`#each: expected a list or a mapping, got ${describeValue(value)}`, o.loc);
      }
      return builtin.each.call(self, value, o) as string;
    }),
  );
  hb.registerHelper(
    'with',
    block('with', (self, value, o) => builtin.with.call(self, value, o) as string),
  );
  hb.registerHelper('raw', function (this: unknown, ...all: unknown[]): string {
    const options = all.pop() as HelperOptions;
    return options.fn!(this);
  });
}
