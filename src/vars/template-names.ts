/**
 * The variables a parsed template looks up, read from its syntax tree without rendering it, so
 * the load can tell which variables a value will certainly need (`required`) and which it may
 * look at (`referenced`). Nothing here knows any value: a name inside `{{#if}}` or `{{#each}}`
 * is only looked up when the block runs, and `default x "y"`, `defined x` or the second operand
 * of `and`/`or` may never need theirs, so those are referenced but not required.
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
} from '../vendor/handlebars.js';

/** A variable looked up, and where in the template. */
export interface NameUse {
  name: string;
  loc: SourceLocation | undefined;
}

export interface TemplateNames {
  /** Names whose absence fails the render, in the order they are looked up. */
  required: NameUse[];
  /** Every name the template may look up, in blocks and guarded arguments too. */
  referenced: Set<string>;
}

/**
 * How a helper treats an undefined argument: `all`, it gives undefined back (which fails where
 * it is used); `first`, only its first argument is certainly looked at (and, or); `none`, it
 * swallows undefined (default, defined).
 */
export type UndefinedPassing = 'all' | 'first' | 'none';

export interface NameRules {
  /** Helpers callable with arguments. */
  helpers: ReadonlySet<string>;
  passing(helper: string): UndefinedPassing;
}

interface Call {
  path: Node;
  params: Expression[];
  hash?: Hash | undefined;
}

export function templateNames(program: Program, rules: NameRules): TemplateNames {
  const walker = new NameWalker(rules);
  walker.program(program, true);
  return { required: walker.required, referenced: walker.referenced };
}

class NameWalker {
  readonly required: NameUse[] = [];
  readonly referenced = new Set<string>();
  private readonly blockParams: Set<string>[] = [];

  constructor(private readonly rules: NameRules) {}

  /** `certain`: the statements run whenever the template is rendered (not inside a block). */
  program(program: Program, certain: boolean): void {
    if (program.blockParams?.length) this.blockParams.push(new Set(program.blockParams));
    for (const statement of program.body) {
      if (statement.type === 'MustacheStatement') {
        const mustache = statement as MustacheStatement;
        this.reference(mustache);
        if (certain) this.required.push(...this.undefinedWhenMissing(mustache));
      } else if (statement.type === 'BlockStatement') {
        const block = statement as BlockStatement;
        for (const param of block.params) this.reference(param);
        for (const pair of block.hash?.pairs ?? []) this.reference(pair.value);
        // A block helper fails on an undefined argument before choosing what to run.
        const [first] = block.params;
        if (certain && first) this.required.push(...this.undefinedWhenMissing(first));
        if (block.program) this.program(block.program, false);
        if (block.inverse) this.program(block.inverse, false);
      }
    }
    if (program.blockParams?.length) this.blockParams.pop();
  }

  /** Names that, when missing, make this expression's value undefined. */
  private undefinedWhenMissing(node: Node | Call): NameUse[] {
    const call = node as Call;
    const type = (node as Node).type;
    if (type === 'PathExpression') {
      const name = this.lookupName(node as PathExpression);
      return name === undefined ? [] : [{ name, loc: (node as PathExpression).loc }];
    }
    if (type === 'SubExpression' || type === 'MustacheStatement') {
      if (call.path.type === 'SubExpression') return this.undefinedWhenMissing(call.path);
      if (call.path.type !== 'PathExpression') return [];
      const path = call.path as PathExpression;
      const helper = path.parts.length === 1 ? path.parts[0]! : undefined;
      // `{{ x }}` is a lookup whatever x is called; `(x)` is one unless x is a helper.
      if (isBare(call, type === 'MustacheStatement' ? undefined : helper, this.rules))
        return this.undefinedWhenMissing(path);
      if (!helper) return [];
      const passing = this.rules.passing(helper);
      if (passing === 'none') return [];
      const args = passing === 'first' ? call.params.slice(0, 1) : call.params;
      const values = passing === 'all' ? (call.hash?.pairs ?? []).map((pair) => pair.value) : [];
      return [...args, ...values].flatMap((arg) => this.undefinedWhenMissing(arg));
    }
    return [];
  }

  /** Every variable name under a node; helper names in call position are not variables. */
  private reference(node: Node | Call): void {
    const type = (node as Node).type;
    if (type === 'PathExpression') {
      const path = node as PathExpression;
      const first = path.data ? undefined : path.parts[0];
      if (first !== undefined && !this.blockParams.some((set) => set.has(first))) this.referenced.add(first);
      return;
    }
    if (type !== 'SubExpression' && type !== 'MustacheStatement') return;
    const call = node as Call;
    const path = call.path as PathExpression;
    const helper = path.type === 'PathExpression' && path.parts.length === 1 ? path.parts[0] : undefined;
    if (
      call.path.type === 'SubExpression' ||
      isBare(call, type === 'MustacheStatement' ? undefined : helper, this.rules)
    )
      this.reference(call.path);
    for (const param of call.params) this.reference(param);
    for (const pair of call.hash?.pairs ?? []) this.reference(pair.value);
  }

  /** The host variable a path starts with, when it is one (not `this`, `../x`, `@index` or a block param). */
  private lookupName(path: PathExpression): string | undefined {
    if (path.data || path.depth > 0 || path.parts.length === 0) return undefined;
    if (/^(?:\.|this\b)/.test(path.original)) return undefined;
    const first = path.parts[0]!;
    return this.blockParams.some((set) => set.has(first)) ? undefined : first;
  }
}

/** A call without arguments that is a variable lookup (`helper`: the name, when it may be one). */
function isBare(call: Call, helper: string | undefined, rules: NameRules): boolean {
  const bare = call.params.length === 0 && !(call.hash?.pairs.length ?? 0);
  return bare && !(helper !== undefined && rules.helpers.has(helper));
}
