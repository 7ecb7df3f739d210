/**
 * A role's README, generated from its definition so the documentation cannot drift from the
 * parameters the loader checks: the description, then one table row per parameter (name,
 * type, default, description) read from the TypeBox schema, and a table per parameter whose
 * values are objects (the fields of each entry of `users`, say).
 *
 * A role may add sections of its own (`readme`), written into the same block after the tables.
 *
 * The generated part sits between two markers; text outside them is the author's (examples,
 * notes) and is kept as is. test/unit/model/role-docs.test.ts fails when a committed README
 * differs from what this module generates (`npm run docs` rewrites them).
 */
import type { TSchema } from '@sinclair/typebox';
import type { ReadmeSection } from './role.js';

export const DOCS_START =
  '<!-- bosun:role-docs:start (generated from index.ts by `npm run docs`: do not edit) -->';
export const DOCS_END = '<!-- bosun:role-docs:end -->';

export interface DocumentedRole {
  name: string;
  description?: string;
  schema?: TSchema;
  defaults?: Record<string, unknown>;
  readme?: ReadmeSection[];
}

type Json = Record<string, unknown>;

/** The generated block, markers included. */
export function roleDocsBlock(role: DocumentedRole): string {
  const lines: string[] = [DOCS_START, ''];
  if (role.description) lines.push(role.description.trim(), '');
  const schema = role.schema ? (JSON.parse(JSON.stringify(role.schema)) as Json) : undefined;
  const properties = schema ? propertiesOf(schema) : undefined;
  if (!properties || Object.keys(properties).length === 0) {
    lines.push('This role takes no parameters.', '', ...sections(role), DOCS_END);
    return lines.join('\n');
  }
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  const defaults = role.defaults ?? {};
  lines.push('## Parameters', '', '| Name | Type | Default | Description |', '| --- | --- | --- | --- |');
  const nested: [string, Json][] = [];
  for (const [name, property] of Object.entries(properties)) {
    const fallback = Object.hasOwn(defaults, name) ? defaults[name] : property.default;
    const shownDefault =
      fallback !== undefined ? code(inline(fallback)) : required.has(name) ? '(required)' : '(none)';
    lines.push(row([code(name), typeText(property), shownDefault, describe(property)]));
    const entry = entrySchema(property);
    if (entry) nested.push([name, entry]);
  }
  for (const [name, entry] of nested) {
    const fields = propertiesOf(entry)!;
    const needed = new Set((entry.required as string[] | undefined) ?? []);
    lines.push('', `### Fields of each \`${name}\` entry`, '');
    lines.push('| Field | Type | Default | Description |', '| --- | --- | --- | --- |');
    for (const [field, property] of Object.entries(fields)) {
      const shownDefault =
        property.default !== undefined
          ? code(inline(property.default))
          : needed.has(field)
            ? '(required)'
            : '(none)';
      lines.push(row([code(field), typeText(property), shownDefault, describe(property)]));
    }
  }
  lines.push('', ...sections(role), DOCS_END);
  return lines.join('\n');
}

/** The role's own sections, each followed by a blank line. */
function sections(role: DocumentedRole): string[] {
  return (role.readme ?? []).flatMap((section) => [`## ${section.title}`, '', section.markdown.trim(), '']);
}

/**
 * The README with its generated block replaced (or, for a README without markers or none at
 * all, a title, the block, and the rest of the old text below it).
 */
export function renderRoleReadme(role: DocumentedRole, existing?: string): string {
  const block = roleDocsBlock(role);
  if (existing !== undefined) {
    const start = existing.indexOf(DOCS_START);
    const end = existing.indexOf(DOCS_END);
    if (start !== -1 && end > start) {
      return existing.slice(0, start) + block + existing.slice(end + DOCS_END.length);
    }
  }
  const rest = existing?.trim() ? `\n${existing.trim()}\n` : '';
  return `# Role \`${role.name}\`\n\n${block}\n${rest}`;
}

function propertiesOf(schema: Json): Record<string, Json> | undefined {
  const properties = schema.properties;
  return properties && typeof properties === 'object' ? (properties as Record<string, Json>) : undefined;
}

/** The object schema of a list item or a mapping value, when the values are objects. */
function entrySchema(schema: Json): Json | undefined {
  const inner = unwrapNullable(schema);
  const candidate =
    inner.type === 'array'
      ? (inner.items as Json | undefined)
      : inner.type === 'object' && inner.patternProperties
        ? (Object.values(inner.patternProperties as Record<string, Json>)[0] ?? undefined)
        : inner.type === 'object' && inner.properties
          ? inner
          : undefined;
  return candidate && propertiesOf(candidate) ? candidate : undefined;
}

function unwrapNullable(schema: Json): Json {
  const anyOf = schema.anyOf as Json[] | undefined;
  if (anyOf && anyOf.length === 2 && anyOf.some((s) => s.type === 'null')) {
    return anyOf.find((s) => s.type !== 'null')!;
  }
  return schema;
}

/** A schema as a reader would say it: `list of string`, `"present" or "absent"`, `mapping of login to object`. */
export function typeText(schema: Json): string {
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => code(JSON.stringify(v))).join(' or ');
  const anyOf = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (anyOf) return anyOf.map(typeText).join(' or ');
  switch (schema.type) {
    case 'string': {
      // The rule in words when the schema has it (the same words as its error message).
      const rule =
        typeof schema.errorMessage === 'string' ? schema.errorMessage.replace(/^must be /, '') : '';
      if (rule) return `string: ${rule}`;
      return typeof schema.pattern === 'string' ? `string matching ${code(schema.pattern)}` : 'string';
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum;
      const max = schema.maximum;
      if (min !== undefined && max !== undefined) return `${schema.type} ${min}..${max}`;
      if (min !== undefined) return `${schema.type} >= ${min}`;
      if (max !== undefined) return `${schema.type} <= ${max}`;
      return String(schema.type);
    }
    case 'boolean':
    case 'null':
      return String(schema.type);
    case 'array':
      return `list of ${schema.items ? typeText(schema.items as Json) : 'any'}`;
    case 'object': {
      const pattern = schema.patternProperties as Record<string, Json> | undefined;
      if (pattern) {
        const [keyPattern, value] = Object.entries(pattern)[0]!;
        const keyText = keyPattern === '^(.*)$' ? 'string' : `string matching ${code(keyPattern)}`;
        return `mapping of ${keyText} to ${typeText(value)}`;
      }
      return 'object';
    }
    default:
      return 'any';
  }
}

function describe(schema: Json): string {
  const text = typeof schema.description === 'string' ? schema.description : '';
  return text.replace(/\s*\n\s*/g, ' ');
}

function inline(value: unknown): string {
  return JSON.stringify(value);
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
}
