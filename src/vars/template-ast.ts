/**
 * Rewrites a parsed Handlebars template so that every variable lookup goes through one helper
 * (`__bosun_member`). Handlebars' own strict mode cannot do what Bosun needs: it does not
 * check helper arguments (`{{join users}}` with no `users` passes undefined), it crashes on
 * `x.y` when `x` is missing, it cannot let `default x "y"` / `defined x` see a missing `x`
 * without failing, and it cannot render variables that are themselves templates. Through the
 * helper, a missing variable becomes an "undefined" value that helpers pass along and that
 * fails, naming the variable, only where it is used (so `and (defined x) (eq x 1)` works).
 *
 * Each top-level `{{ expr }}` becomes `{{__bosun_out expr}}` (or `__bosun_capture` when the
 * whole string is that one expression, to keep the value's type). Helper names are checked
 * here, before anything runs.
 */
import type {
  BlockStatement,
  Expression,
  Hash,
  MustacheStatement,
  Node,
  PathExpression,
  Program,
  SourceLocation,
  Statement,
  StringLiteral,
  SubExpression,
} from '../vendor/handlebars.js';

export const INTERNAL = {
  member: '__bosun_member',
  soft: '__bosun_soft',
  out: '__bosun_out',
  capture: '__bosun_capture',
} as const;

/** How `__bosun_member` finds its first segment. */
export type LookupKind =
  /** `x.y`: on the current context, then among the host's variables (as Jinja would). */
  | 'name'
  /** `this.x`, `../x`, `@root.x`, a block param: on the given base only. */
  | 'base';

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: SourceLocation | undefined,
  ) {
    super(message);
  }
}

export interface TransformOptions {
  /** Helpers callable with arguments. */
  helpers: ReadonlySet<string>;
  /** Helpers usable as `{{#name}}` blocks. */
  blockHelpers: ReadonlySet<string>;
  /** Helpers whose arguments may be undefined (name -> which argument indexes; all when empty). */
  softArguments: ReadonlyMap<string, readonly number[]>;
  /** A template that is one `{{ expr }}` and nothing else yields the value of expr. */
  keepType: boolean;
  /** Why a call cannot work (arguments, options), found before anything runs. */
  callProblem?: (name: string, count: number, optionNames: readonly string[]) => string | undefined;
}

export interface TransformResult {
  program: Program;
  /** True when the template was one expression whose value is captured. */
  captures: boolean;
}

const LITERALS = new Set([
  'StringLiteral',
  'NumberLiteral',
  'BooleanLiteral',
  'UndefinedLiteral',
  'NullLiteral',
]);

export function transformTemplate(program: Program, options: TransformOptions): TransformResult {
  const t = new Transformer(options);
  const only = program.body.length === 1 ? program.body[0] : undefined;
  const captures = options.keepType && only?.type === 'MustacheStatement';
  t.program(program, captures);
  return { program, captures };
}

class Transformer {
  private readonly blockParams: Set<string>[] = [];

  constructor(private readonly options: TransformOptions) {}

  program(program: Program, captures = false): void {
    if (program.blockParams?.length) this.blockParams.push(new Set(program.blockParams));
    for (const statement of program.body) this.statement(statement, captures);
    if (program.blockParams?.length) this.blockParams.pop();
  }

  private statement(statement: Statement, captures: boolean): void {
    switch (statement.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const mustache = statement as MustacheStatement;
        const expression = this.expression(mustache);
        mustache.path = internalPath(captures ? INTERNAL.capture : INTERNAL.out, mustache.loc);
        mustache.params = [expression];
        (mustache as { hash?: Hash }).hash = undefined;
        return;
      }
      case 'BlockStatement':
        this.block(statement as BlockStatement);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new TemplateSyntaxError('partials ({{> name}}) are not supported', statement.loc);
      default:
        throw new TemplateSyntaxError(`${statement.type} is not supported`, statement.loc);
    }
  }

  private block(block: BlockStatement): void {
    const path = block.path as Node;
    const name = path.type === 'PathExpression' ? simpleName(path as PathExpression) : undefined;
    if (!name || !this.options.blockHelpers.has(name)) {
      const shown = path.type === 'PathExpression' ? (path as PathExpression).original : 'this';
      throw new TemplateSyntaxError(
        `"{{#${shown}}}" is not a block helper: use ${[...this.options.blockHelpers].map((h) => `#${h}`).join(', ')}`,
        block.loc,
      );
    }
    const problem = this.options.callProblem?.(name, block.params.length, []);
    if (problem) throw new TemplateSyntaxError(problem, block.loc);
    block.params = block.params.map((p) => this.argument(p, false));
    if (block.hash) this.hash(block.hash);
    if (block.program) this.program(block.program);
    if (block.inverse) this.program(block.inverse);
  }

  /** The value of a mustache's content: a literal, a lookup or a helper call. */
  private expression(node: {
    path: Node;
    params: Expression[];
    hash?: Hash;
    loc: SourceLocation;
  }): Expression {
    const { path } = node;
    const params = node.params ?? [];
    const hasHash = (node.hash?.pairs.length ?? 0) > 0;
    if (LITERALS.has(path.type)) {
      if (params.length > 0 || hasHash) {
        throw new TemplateSyntaxError(`a literal cannot be called like a helper`, node.loc);
      }
      return path;
    }
    if (path.type === 'SubExpression') return this.argument(path, false);
    const p = path as PathExpression;
    if (params.length === 0 && !hasHash) return this.lookup(p, false);
    return this.call(p, params, node.hash, node.loc);
  }

  private call(
    path: PathExpression,
    params: Expression[],
    hash: Hash | undefined,
    loc: SourceLocation,
  ): SubExpression {
    const name = simpleName(path);
    if (!name || !this.options.helpers.has(name))
      throw unknownHelper(path.original, params, this.options, loc);
    const problem = this.options.callProblem?.(
      name,
      params.length,
      (hash?.pairs ?? []).map((pair) => pair.key),
    );
    if (problem) throw new TemplateSyntaxError(problem, loc);
    const soft = this.options.softArguments.get(name);
    const args = params.map((param, i) =>
      this.argument(param, soft !== undefined && (soft.length === 0 || soft.includes(i))),
    );
    if (hash) this.hash(hash);
    if (name === 'lookup' && params[0]?.type === 'PathExpression') {
      // The helper only sees values; it needs the name to say which key is missing.
      const base = stringLiteral((params[0] as PathExpression).original, loc);
      const pairs = hash?.pairs ?? [];
      hash = {
        type: 'Hash',
        pairs: [...pairs, { type: 'HashPair', key: '__base', value: base, loc }],
        loc,
      } as Hash;
    }
    return { type: 'SubExpression', path, params: args, hash, loc } as SubExpression;
  }

  private argument(node: Expression, soft: boolean): Expression {
    if (node.type === 'PathExpression') return this.lookup(node as PathExpression, soft);
    if (node.type === 'SubExpression') {
      const sexpr = node as SubExpression;
      const name = simpleName(sexpr.path);
      const bare = sexpr.params.length === 0 && !(sexpr.hash?.pairs.length ?? 0);
      // `(x)` with no arguments is a lookup unless x is a helper.
      if (bare && !(name && this.options.helpers.has(name))) return this.lookup(sexpr.path, soft);
      return this.call(sexpr.path, sexpr.params, sexpr.hash, sexpr.loc);
    }
    return node;
  }

  private hash(hash: Hash): void {
    for (const pair of hash.pairs) pair.value = this.argument(pair.value, false);
  }

  /** `x.y` -> (__bosun_member <base> kind "x.y" "x" "y"). */
  private lookup(path: PathExpression, soft: boolean): Expression {
    if (path.parts.length === 0 && !path.data) return path; // `this`, `.`, `..`: the context itself
    const loc = path.loc;
    const [first, ...rest] = path.parts as [string, ...string[]];
    const scoped = /^(?:\.|this\b)/.test(path.original);
    let base: PathExpression;
    let kind: LookupKind = 'base';
    let segments: string[];
    if (path.data) {
      base = {
        type: 'PathExpression',
        data: true,
        depth: path.depth,
        parts: [first],
        original: `@${first}`,
        loc,
      };
      segments = rest;
    } else if (path.depth === 0 && !scoped && this.blockParams.some((set) => set.has(first))) {
      base = { type: 'PathExpression', data: false, depth: 0, parts: [first], original: first, loc };
      segments = rest;
    } else {
      base = {
        type: 'PathExpression',
        data: false,
        depth: path.depth,
        parts: [],
        original: path.depth > 0 ? '../'.repeat(path.depth) : 'this',
        loc,
      };
      segments = path.parts;
      if (path.depth === 0 && !scoped) kind = 'name';
    }
    return {
      type: 'SubExpression',
      path: internalPath(soft ? INTERNAL.soft : INTERNAL.member, loc),
      params: [
        base,
        stringLiteral(kind, loc),
        stringLiteral(path.original, loc),
        ...segments.map((s) => stringLiteral(s, loc)),
      ],
      hash: undefined,
      loc,
    } as unknown as SubExpression;
  }
}

function simpleName(path: PathExpression): string | undefined {
  if (path.type !== 'PathExpression' || path.data || path.depth > 0 || path.parts.length !== 1)
    return undefined;
  if (/^(?:\.|this\b)/.test(path.original)) return undefined;
  return path.parts[0];
}

function internalPath(name: string, loc: SourceLocation): PathExpression {
  return {
    type: 'PathExpression',
    data: false,
    depth: 0,
    parts: [name],
    original: name,
    loc,
  } as PathExpression;
}

function stringLiteral(value: string, loc: SourceLocation): StringLiteral {
  return { type: 'StringLiteral', value, original: value, loc } as StringLiteral;
}

const JINJA_WORDS = new Set(['and', 'or', 'not', 'is', 'in', 'if', 'else']);

function unknownHelper(
  name: string,
  params: Expression[],
  options: TransformOptions,
  loc: SourceLocation,
): TemplateSyntaxError {
  const words = params.filter((p) => p.type === 'PathExpression').map((p) => (p as PathExpression).original);
  const infix = words.find((w) => JINJA_WORDS.has(w));
  if (infix === 'is') {
    return new TemplateSyntaxError(
      `Jinja tests ("${name} is ...") are not supported: write "defined ${name}" or "not (defined ${name})"`,
      loc,
    );
  }
  if (infix) {
    return new TemplateSyntaxError(
      `"${name} ${infix} ..." is not supported: helpers come first, as in "${infix} ${name} ..." (e.g. "and a b", "not a")`,
      loc,
    );
  }
  const known = [...options.helpers].filter((h) => !h.startsWith('__')).sort();
  const close = known.find((h) => editDistance(h, name) <= 2);
  const hint = close ? `; did you mean "${close}"?` : '';
  return new TemplateSyntaxError(
    `unknown helper "${name}"${hint} (helpers: ${known.join(', ')}; a variable takes no arguments)`,
    loc,
  );
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
