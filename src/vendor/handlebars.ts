/**
 * The one door to handlebars: an isolated instance (its own helpers, nothing registered
 * globally), the parser that keeps source positions, and the AST types the template layer
 * rewrites. Handlebars' logger writes to the console, and the engine never prints, so it is
 * silenced here (the logger is shared by every instance of the library).
 */
import Handlebars from 'handlebars';

Handlebars.logger.level = 'silent' as unknown as number;

export type HandlebarsInstance = typeof Handlebars;
export type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;
export type TemplateDelegate = Handlebars.TemplateDelegate;

/** What a helper receives last; `loc` is where the call was written in the template. */
export interface HelperOptions {
  name: string;
  hash: Record<string, unknown>;
  data: Record<string, unknown> & { root?: unknown };
  loc?: SourceLocation;
  fn?: (context: unknown, options?: unknown) => string;
  inverse?: (context: unknown, options?: unknown) => string;
}

export type SourceLocation = hbs.AST.SourceLocation;
export type Program = hbs.AST.Program;
export type Node = hbs.AST.Node;
export type Statement = hbs.AST.Statement;
export type Expression = hbs.AST.Expression;
export type MustacheStatement = hbs.AST.MustacheStatement;
export type BlockStatement = hbs.AST.BlockStatement;
export type SubExpression = hbs.AST.SubExpression;
export type PathExpression = hbs.AST.PathExpression;
export type StringLiteral = hbs.AST.StringLiteral;
export type Hash = hbs.AST.Hash;

/** A fresh environment with only the library's built-in helpers. */
export function createHandlebars(): HandlebarsInstance {
  return Handlebars.create();
}
