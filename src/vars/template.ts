/**
 * Rendering of playbook values, conditions and template files with Handlebars, strictly:
 * an undefined variable is an error naming it and where the value was written, never an
 * empty string. Ansible habits carry over: `{{ var }}` with spaces, dotted paths, a value
 * that is exactly `{{ expr }}` keeps its type (`loop: "{{ users }}"` loops over the list),
 * and variables may themselves be templates (`url: "https://{{ domain }}"`), rendered when
 * used, in the host's scope. Helpers are listed in helpers.ts.
 */
import { BosunError, isBosunError } from '../errors.js';
import { describeValue } from '../model/yaml-source.js';
import { createHandlebars, type SourceLocation, type TemplateDelegate } from '../vendor/handlebars.js';
import {
  BLOCK_HELPERS,
  callProblem,
  HELPER_NAMES,
  HelperError,
  MISSING,
  type RenderCall,
  registerHelpers,
  SOFT_ARGUMENTS,
  truthy,
  UndefinedVariableError,
  undefinedPassing,
} from './helpers.js';
import { handlebarsForm } from './jinja-filters.js';
import { childLocation, locate, locationText, type RenderLocation } from './location.js';
import type { ExplainedVar, VarScope } from './scope.js';
import { INTERNAL, TemplateSyntaxError, transformTemplate } from './template-ast.js';
import { type NameRules, type TemplateNames, templateNames } from './template-names.js';

export type { RenderLocation } from './location.js';

/** Helpers callable in values and conditions (block helpers: templateBlockHelpers). */
export const templateHelpers: readonly string[] = [...HELPER_NAMES];
export const templateBlockHelpers: readonly string[] = [...BLOCK_HELPERS];

const hb = createHandlebars();
registerHelpers(hb);

const CALLABLE = new Set<string>([...HELPER_NAMES, ...Object.values(INTERNAL)]);
const BLOCKS = new Set<string>(BLOCK_HELPERS);
const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  data: true,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries([...CALLABLE, ...BLOCKS].map((name) => [name, true])),
};

interface Compiled {
  run: TemplateDelegate;
  captures: boolean;
  names: TemplateNames;
}

const NAME_RULES: NameRules = { helpers: new Set(HELPER_NAMES), passing: undefinedPassing };

const compiled = new Map<string, Compiled>();
const CACHE_LIMIT = 5000;

function compile(text: string, keepType: boolean): Compiled {
  const key = `${keepType ? 'v' : 's'}${text}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  let program: ReturnType<typeof hb.parseWithoutProcessing>;
  try {
    program = hb.parseWithoutProcessing(text);
  } catch (error) {
    throw syntaxError(text, error);
  }
  // Read before the transform, which rewrites every lookup into a helper call.
  const names = templateNames(program, NAME_RULES);
  const { captures } = transformTemplate(program, {
    helpers: CALLABLE,
    blockHelpers: BLOCKS,
    softArguments: SOFT_ARGUMENTS,
    keepType,
    callProblem,
  });
  const entry = { run: hb.compile(program, COMPILE_OPTIONS), captures, names };
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(key, entry);
  return entry;
}

/** Handlebars' parse errors are jison's multi-line reports; make them one located line. */
function syntaxError(text: string, error: unknown): TemplateSyntaxError {
  const message = error instanceof Error ? error.message : String(error);
  const withLoc = error as { lineNumber?: number; column?: number };
  if (typeof withLoc.lineNumber === 'number' && !/^(?:Parse|Lexical) error/.test(message)) {
    const position = { line: withLoc.lineNumber, column: withLoc.column ?? 0 };
    const reworded = message
      .replace(/ - \d+:\d+$/, '')
      .replace(/^(\S+) doesn't match (\S+)$/, '"{{/$2}}" does not close "{{#$1}}"');
    return new TemplateSyntaxError(reworded, { source: '', start: position, end: position });
  }
  const lines = message.split('\n');
  const line = Number(/on line (\d+)/.exec(message)?.[1] ?? 1);
  const excerpt = lines[1] ?? '';
  const caret = (lines[2] ?? '').indexOf('^');
  const lineText = text.split('\n')[line - 1] ?? '';
  const column = caret < 0 ? 0 : guessColumn(lineText, excerpt.slice(0, caret), excerpt.slice(caret));
  const rest = lineText.slice(column);
  const token = /^(?:[A-Za-z0-9_.@-]+|==|!=|<=|>=|\S)/.exec(rest)?.[0];
  const got = /got '([A-Z_]+)'/.exec(message)?.[1];
  const lineStart =
    text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length + (line > 1 ? 1 : 0);
  const open = /'OPEN_ENDBLOCK'/.test(message) ? unclosedBlock(text) : undefined;
  if (open) {
    return new TemplateSyntaxError(
      `invalid template: "{{#${open.name}}}" is not closed (no "{{/${open.name}}}")`,
      { source: '', start: open.position, end: open.position },
    );
  }
  let what: string;
  if (got === 'EOF' || token === undefined) {
    what = /'OPEN_ENDBLOCK'/.test(message)
      ? 'a block is not closed (no "{{/...}}")'
      : text.lastIndexOf('{{') > text.lastIndexOf('}}')
        ? '"{{" is not closed'
        : 'unexpected end of the template';
  } else if (!text.slice(lineStart + column).includes('}}')) {
    what = '"{{" is not closed';
  } else {
    what = `unexpected "${token}"`;
  }
  const hint =
    token !== undefined && /^\d+$/.test(token) && lineText[column - 1] === '.'
      ? 'a list index ending a path is written list.[1]'
      : syntaxHint(text);
  const position = { line, column };
  return new TemplateSyntaxError(`invalid template: ${what}${hint ? `; ${hint}` : ''}`, {
    source: '',
    start: position,
    end: position,
  });
}

/** The innermost `{{#name}}` the template leaves open, and where it is (0-based column). */
function unclosedBlock(
  text: string,
): { name: string; position: { line: number; column: number } } | undefined {
  const open: { name: string; index: number }[] = [];
  for (const match of text.matchAll(/\{\{~?\s*([#/])\s*([A-Za-z_][\w-]*)/g)) {
    const name = match[2]!;
    if (match[1] === '#') open.push({ name, index: match.index });
    else {
      const at = open.map((block) => block.name).lastIndexOf(name);
      if (at >= 0) open.splice(at);
    }
  }
  const last = open.at(-1);
  if (!last) return undefined;
  const before = text.slice(0, last.index).split('\n');
  return { name: last.name, position: { line: before.length, column: before.at(-1)!.length } };
}

/** jison shows 20 characters either side of the error, newlines removed: find where that is. */
function guessColumn(lineText: string, before: string, after: string): number {
  const pre = before.replace(/^\.\.\./, '');
  const post = after.replace(/\.\.\.$/, '');
  let best = 0;
  let bestScore = -1;
  for (let p = 0; p <= Math.min(lineText.length, 4000); p++) {
    let score = 0;
    while (score < pre.length && score < p && lineText[p - 1 - score] === pre[pre.length - 1 - score])
      score++;
    let ahead = 0;
    while (ahead < post.length && lineText[p + ahead] === post[ahead]) ahead++;
    if (score + ahead > bestScore) {
      bestScore = score + ahead;
      best = p;
    }
  }
  return best;
}

function syntaxHint(text: string): string | undefined {
  const mustaches = text.match(/\{\{[\s\S]*?\}\}/g) ?? [];
  const filtered = mustaches.find((m) => /[^|]\|[^|]/.test(m));
  if (filtered !== undefined) {
    const form = handlebarsForm(filtered);
    return form
      ? `Jinja filters ("x | f") are not supported: write ${form}`
      : 'Jinja filters ("x | f") are not supported: call the helper first, e.g. {{ default x "y" }}, {{ join list "," }}';
  }
  if (mustaches.some((m) => /==|!=|<=|>=|\s[<>]\s/.test(m))) {
    return 'comparisons are helpers: eq a b, ne a b, lt, gt, le, ge';
  }
  if (mustaches.some((m) => /^\{\{~?\s*!/.test(m)) || /^\s*!/.test(text)) return 'negation is "not x"';
  if (mustaches.some((m) => /\sis\s+(?:not\s+)?[A-Za-z_]/.test(m))) {
    return 'Jinja tests ("x is ...") are not supported: use helpers, e.g. defined x, not (defined x), eq a b';
  }
  if (mustaches.some((m) => /[A-Za-z0-9_]\(/.test(m))) {
    return 'helpers take their arguments after a space, not in parentheses: join list ",", not join(list, ",")';
  }
  if (/\{%/.test(text))
    return 'Jinja statements {% %} are not supported: use {{#if x}}...{{/if}}, {{#each list}}...{{/each}}';
  return 'a literal "{{" is written "\\{{"';
}

// ---------------------------------------------------------------------------------------------

interface Context {
  scope: VarScope;
  /** Variables being rendered, innermost last: a cycle is an error, not a stack overflow. */
  resolving: string[];
}

/** Where a render happens: a value at `where`, or (fileMode) a whole template file. */
export interface Site {
  where: RenderLocation;
  file?: string;
}

const rendered = new WeakMap<VarScope, Map<string, unknown>>();

function context(scope: VarScope): Context {
  return { scope, resolving: [] };
}

function run(text: string, keepType: boolean, ctx: Context, site: Site): unknown {
  let template: Compiled;
  try {
    template = compile(text, keepType);
  } catch (error) {
    throw located(site, error);
  }
  const call: RenderCall = {
    resolve: (name, soft, loc) => resolveIn(ctx, name, soft, loc),
    captured: { value: undefined },
  };
  let output: string;
  try {
    output = template.run(ctx.scope.toObject(), { data: { bosun: call } });
  } catch (error) {
    if (isBosunError(error) && error.details?.fromVariable !== undefined) {
      // Rewritten at each level on the way out, so the outermost value that needed it wins.
      const usedLoc = error.details.usedLoc as SourceLocation | undefined;
      throw new BosunError(error.code, error.message, {
        cause: error.cause,
        details: { ...error.details, neededBy: siteText(site, usedLoc) },
      });
    }
    throw located(site, error);
  }
  return template.captures ? call.captured.value : output;
}

function located(site: Site, error: unknown): BosunError {
  if (isBosunError(error)) return error;
  let message: string;
  let loc: SourceLocation | undefined;
  const details: Record<string, unknown> = {};
  if (error instanceof UndefinedVariableError) {
    message = error.message;
    if (CALLABLE.has(error.variable)) message += ` ("${error.variable}" is a helper: give it arguments)`;
    loc = error.loc;
    details.variable = error.variable;
  } else if (error instanceof HelperError || error instanceof TemplateSyntaxError) {
    message = error.message;
    loc = error.loc;
  } else {
    const e = error as { message?: string; lineNumber?: number; column?: number };
    message = `cannot render: ${String(e.message ?? error).replace(/ - \d+:\d+$/, '')}`;
    if (typeof e.lineNumber === 'number') {
      const position = { line: e.lineNumber, column: e.column ?? 0 };
      loc = { source: '', start: position, end: position };
    }
  }
  return new BosunError('BOSUN_INPUT', `${prefixOf(site, loc, details)}${message}${lineNote(site, loc)}`, {
    cause: error,
    details,
  });
}

function prefixOf(site: Site, loc: SourceLocation | undefined, details: Record<string, unknown>): string {
  if (site.file !== undefined) {
    const line = loc?.start.line ?? 1;
    const column = (loc?.start.column ?? 0) + 1;
    Object.assign(details, { file: site.file, line, column });
    return `${site.file}:${line}:${column}: `;
  }
  const { prefix, details: where } = locate(site.where);
  Object.assign(details, where);
  return prefix;
}

/** A value's position is where it starts; for multi-line values, say which line of it. */
function lineNote(site: Site, loc: SourceLocation | undefined): string {
  if (site.file !== undefined || !loc || loc.start.line <= 1) return '';
  return ` (line ${loc.start.line} of the value)`;
}

/** Text of a site for "needed by" notes. */
function siteText(site: Site, loc: SourceLocation | undefined): string {
  if (site.file !== undefined) return `${site.file}:${loc?.start.line ?? 1}:${(loc?.start.column ?? 0) + 1}`;
  return locationText(site.where);
}

/**
 * Run a public render; an error found while rendering a variable the value uses points at
 * the variable's definition, and says which value needed it.
 */
function guarded<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (isBosunError(error) && error.details?.fromVariable !== undefined) {
      const { fromVariable: _from, usedLoc: _loc, neededBy, ...details } = error.details;
      const note = typeof neededBy === 'string' ? ` (needed by ${neededBy})` : '';
      throw new BosunError(error.code, `${error.message}${note}`, {
        cause: error.cause,
        details: neededBy === undefined ? details : { ...details, neededBy },
      });
    }
    throw error;
  }
}

function containsTemplate(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (depth > 100 || value === null || typeof value !== 'object') return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((item) => containsTemplate(item, depth + 1));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` with each string holding `{{` replaced by `fn` of it (lists and mappings deeply). */
function mapTemplates(
  value: unknown,
  where: RenderLocation,
  fn: (text: string, where: RenderLocation) => unknown,
): unknown {
  if (typeof value === 'string') return value.includes('{{') ? fn(value, where) : value;
  if (Array.isArray(value)) return value.map((item, i) => mapTemplates(item, childLocation(where, i), fn));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = mapTemplates(item, childLocation(where, key), fn);
    return out;
  }
  return value;
}

function deepRender(value: unknown, ctx: Context, where: RenderLocation): unknown {
  return mapTemplates(value, where, (text, at) => run(text, true, ctx, { where: at }));
}

const MAX_NESTING = 50;

/** A host variable with its templates rendered (once per scope), or MISSING. */
function resolveIn(ctx: Context, name: string, soft: boolean, usedLoc?: SourceLocation): unknown {
  const definition = ctx.scope.definition(name);
  if (!definition) return MISSING;
  if (!definition.templated || !containsTemplate(definition.value)) return definition.value;
  let cache = rendered.get(ctx.scope);
  if (cache?.has(name)) return cache.get(name);
  if (ctx.resolving.includes(name) || ctx.resolving.length >= MAX_NESTING) {
    const chain = [...ctx.resolving.slice(ctx.resolving.indexOf(name)), name].join(' -> ');
    throw new BosunError(
      'BOSUN_INPUT',
      `${locate(definition.at).prefix}variable "${name}" is defined in terms of itself (${chain})`,
      { details: { ...locate(definition.at).details, cycle: chain, fromVariable: name } },
    );
  }
  ctx.resolving.push(name);
  let value: unknown;
  try {
    value = deepRender(definition.value, ctx, definition.at);
  } catch (error) {
    if (soft && isBosunError(error) && typeof error.details?.variable === 'string') return MISSING;
    if (isBosunError(error)) {
      throw new BosunError(error.code, error.message, {
        cause: error.cause,
        details: { ...error.details, fromVariable: error.details?.fromVariable ?? name, usedLoc },
      });
    }
    throw error;
  } finally {
    ctx.resolving.pop();
  }
  if (!cache) {
    cache = new Map();
    rendered.set(ctx.scope, cache);
  }
  cache.set(name, value);
  return value;
}

// ---------------------------------------------------------------------------------------------

/**
 * Render every string containing `{{` in a value (lists and mappings deeply). A string that
 * is exactly one `{{ expr }}` yields the expression's value with its type (list, mapping,
 * number, boolean); others yield text, lists and mappings inside text as JSON.
 * Errors: BOSUN_INPUT `FILE:LINE:COL: key.path: undefined variable "X"`.
 */
export function renderValue(value: unknown, scope: VarScope, where: RenderLocation): unknown {
  return guarded(() => deepRender(value, context(scope), where));
}

/** Render a string as text (task names, messages): the result is always a string. */
export function renderText(text: string, scope: VarScope, where: RenderLocation): string {
  if (!text.includes('{{')) return text;
  return guarded(() => run(text, false, context(scope), { where }) as string);
}

/**
 * Evaluate `when`, `changed_when`, `failed_when` or `until`. An expression in helper syntax:
 * `enabled`, `not enabled`, `eq env "STG"`, `and (eq env "STG") (not dry)`, `defined x`;
 * written bare or as one `{{ ... }}`. A list holds when every item holds; true/false are
 * themselves. Any undefined variable is an error (test with `defined x` first).
 */
export function evaluateCondition(expr: unknown, scope: VarScope, where: RenderLocation): boolean {
  if (typeof expr === 'boolean') return expr;
  if (Array.isArray(expr)) {
    return expr.every((item, i) => evaluateCondition(item, scope, childLocation(where, i)));
  }
  if (typeof expr === 'number') return expr !== 0;
  const site = { where };
  const value = guarded(() => run(conditionTemplate(expr, where), true, context(scope), site));
  return truthy(value);
}

/** The template a condition is evaluated as, `{{ expr }}`; throws for what cannot be a condition. */
function conditionTemplate(expr: unknown, where: RenderLocation): string {
  const fail = (message: string) =>
    new BosunError('BOSUN_INPUT', `${locate(where).prefix}${message}`, {
      details: locate(where).details,
    });
  if (typeof expr !== 'string') {
    throw fail(
      `a condition must be an expression, true, false or a list of them, got ${describeValue(expr)}`,
    );
  }
  let text = expr.trim();
  const wrapped = /^\{\{~?([\s\S]*?)~?\}\}$/.exec(text);
  if (wrapped && !wrapped[1]!.includes('}}')) text = wrapped[1]!.trim();
  if (text === '') throw fail('empty condition');
  if (text.includes('{{') || text.includes('}}')) {
    throw fail('a condition is one expression, not a template: write it without "{{ }}", e.g. eq env "STG"');
  }
  return `{{ ${text} }}`;
}

/**
 * Render a template file (the template module): the whole text is a template, the result a
 * string; errors point at `FILE:LINE:COL` inside the template.
 */
export function renderTemplateFile(text: string, scope: VarScope, file: string): string {
  checkJinjaStatements(text, file);
  const site: Site = { where: { file, line: 1, column: 1 }, file };
  return guarded(() => run(text, false, context(scope), site) as string);
}

/** Jinja's `{% %}` statements have no Handlebars reading: say what to write instead. */
function checkJinjaStatements(text: string, file: string): void {
  // Raw blocks keep their text literal; blank them (keeping positions) before looking for Jinja.
  const outsideRaw = text.replace(/\{\{\{\{raw\}\}\}\}[\s\S]*?\{\{\{\{\/raw\}\}\}\}/g, (m) =>
    m.replace(/[^\n]/g, ' '),
  );
  const jinja = /\{%-?\s*([A-Za-z_]*)/.exec(outsideRaw);
  if (jinja) {
    const before = text.slice(0, jinja.index).split('\n');
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    throw new BosunError(
      'BOSUN_INPUT',
      `${file}:${line}:${column}: Jinja statement "{% ${jinja[1]} %}" is not supported: ` +
        'use {{#if x}}...{{else}}...{{/if}} and {{#each list}}...{{/each}}; a literal "{%" is kept inside {{{{raw}}}}...{{{{/raw}}}}',
      { details: { file, line, column } },
    );
  }
}

/** One variable with its templates rendered; an undefined name is an error. */
export function resolveVariable(scope: VarScope, name: string): unknown {
  return guarded(() => {
    const value = resolveIn(context(scope), name, false);
    if (value === MISSING)
      throw new BosunError('BOSUN_INPUT', `undefined variable "${name}"`, { details: { variable: name } });
    return value;
  });
}

export interface ExplainedRenderedVar extends ExplainedVar {
  /** The value with its templates rendered, when it has any and they render. */
  rendered?: unknown;
  /** Why it does not render (an undefined variable it uses). */
  renderError?: string;
}

/** scope.explain() plus each templated value rendered, for `bosun vars`. */
export function explainVars(scope: VarScope): ExplainedRenderedVar[] {
  return scope.explain().map((entry) => {
    const definition = scope.definition(entry.name);
    if (!definition?.templated || !containsTemplate(definition.value)) return entry;
    try {
      return { ...entry, rendered: resolveIn(context(scope), entry.name, false) };
    } catch (error) {
      return { ...entry, renderError: error instanceof Error ? error.message : String(error) };
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reading templates without rendering them: what the load checks before any connection.

/** A variable a value certainly needs when it is rendered, and where the value uses it. */
export interface NeededVariable {
  name: string;
  site: Site;
  loc: SourceLocation | undefined;
}

export interface TemplateInspection {
  /** Variables the render fails without, in the order it looks them up. */
  needed: NeededVariable[];
  /** Every variable the render may look at (in blocks and guarded arguments too). */
  referenced: Set<string>;
}

function inspect(text: string, keepType: boolean, site: Site): TemplateInspection {
  let template: Compiled;
  try {
    template = compile(text, keepType);
  } catch (error) {
    throw located(site, error);
  }
  const { required, referenced } = template.names;
  return { needed: required.map(({ name, loc }) => ({ name, loc, site })), referenced };
}

function merged(list: readonly TemplateInspection[]): TemplateInspection {
  return {
    needed: list.flatMap((item) => item.needed),
    referenced: new Set(list.flatMap((item) => [...item.referenced])),
  };
}

/**
 * Parse every template of a value as renderValue renders it. A syntax error or an unknown
 * helper throws the error the render would give; nothing is rendered.
 */
export function inspectValue(value: unknown, where: RenderLocation): TemplateInspection {
  const found: TemplateInspection[] = [];
  mapTemplates(value, where, (text, at) => found.push(inspect(text, true, { where: at })));
  return merged(found);
}

/** inspectValue for a string rendered as text (renderText). */
export function inspectText(text: string, where: RenderLocation): TemplateInspection {
  if (!text.includes('{{')) return merged([]);
  return inspect(text, false, { where });
}

/**
 * A condition as evaluateCondition reads it. For a list every item is parsed, but only the
 * first one is certainly evaluated: the others only while the ones before them hold.
 */
export function inspectCondition(expr: unknown, where: RenderLocation): TemplateInspection {
  if (typeof expr === 'boolean' || typeof expr === 'number') return merged([]);
  if (Array.isArray(expr)) {
    const items = expr.map((item, i) => inspectCondition(item, childLocation(where, i)));
    return { needed: items[0]?.needed ?? [], referenced: merged(items).referenced };
  }
  return inspect(conditionTemplate(expr, where), true, { where });
}

/** A template file as renderTemplateFile reads it; errors point into the file. */
export function inspectTemplateFile(text: string, file: string): TemplateInspection {
  checkJinjaStatements(text, file);
  return inspect(text, false, { where: { file, line: 1, column: 1 }, file });
}

/** The error the render gives when `need` is undefined, worded as at run time. */
export function undefinedVariableError(need: NeededVariable): BosunError {
  return located(need.site, new UndefinedVariableError(need.name, need.loc));
}

/** An error found in a variable's value, said as the render says it: which value needed it. */
export function neededByError(error: BosunError, usedBy: NeededVariable): BosunError {
  const neededBy = siteText(usedBy.site, usedBy.loc);
  return new BosunError(error.code, `${error.message} (needed by ${neededBy})`, {
    cause: error.cause,
    details: { ...error.details, neededBy },
  });
}

/** Whether a variable's definition is rendered when used (it holds templates of its own). */
export function isTemplatedDefinition(definition: { templated: boolean; value: unknown }): boolean {
  return definition.templated && containsTemplate(definition.value);
}
