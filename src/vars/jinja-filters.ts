/**
 * Ansible users write Jinja filters (`{{ foo | default('x') }}`); Bosun's templates call helpers
 * first (`{{ default foo "x" }}`). When a template fails on a filter, the message shows the
 * user's own expression rewritten, so the fix can be copied rather than worked out.
 */

/** Jinja filters with a helper of the same meaning. */
const FILTER_HELPERS: Readonly<Record<string, string>> = {
  default: 'default',
  d: 'default',
  join: 'join',
  to_json: 'to_json',
  to_nice_json: 'to_nice_json',
  to_yaml: 'to_yaml',
  to_nice_yaml: 'to_yaml',
  quote: 'quote',
  bool: 'bool',
  int: 'int',
  length: 'length',
  count: 'length',
  dict2items: 'dict2items',
  subelements: 'subelements',
};

/**
 * The Handlebars form of a mustache written with Jinja filters (`{{ a | f(x) | g }}` ->
 * `{{ g (f a x) }}`), or undefined when it uses something with no such form (an unknown filter,
 * a list literal, a subscript).
 */
export function handlebarsForm(mustache: string): string | undefined {
  // Jinja trims white space with {{- -}}, Handlebars with {{~ ~}}: the form shown has neither.
  const inner = /^\{\{[~-]?([\s\S]*?)[~-]?\}\}$/.exec(mustache.trim())?.[1];
  if (inner === undefined) return undefined;
  const [first, ...filters] = splitOutside(inner, '|');
  if (first === undefined || filters.length === 0) return undefined;
  let expression = operand(first);
  for (const filter of filters) {
    const call = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([\s\S]*)\))?\s*$/.exec(filter);
    const helper = call ? FILTER_HELPERS[call[1]!] : undefined;
    if (expression === undefined || helper === undefined) return undefined;
    const given = call![2]?.trim() ? splitOutside(call![2], ',').map(argument) : [];
    if (given.some((arg) => arg === undefined)) return undefined;
    const subject = /\s/.test(expression) ? `(${expression})` : expression;
    expression = [helper, subject, ...given].join(' ');
  }
  return expression === undefined ? undefined : `{{ ${expression} }}`;
}

/** A filter's argument: an operand, or an option `name=operand` (`to_nice_json(indent=2)`). */
function argument(text: string): string | undefined {
  const option = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)([\s\S]*)$/.exec(text);
  if (!option) return operand(text);
  const value = operand(option[2]!);
  return value === undefined ? undefined : `${option[1]}=${value}`;
}

/** A Jinja operand as a Handlebars one: a dotted name, a number, a boolean or a string in "". */
function operand(text: string): string | undefined {
  const value = text.trim();
  if (/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/.test(value)) {
    if (value === 'True' || value === 'False') return value.toLowerCase();
    return value;
  }
  if (/^-?\d+(?:\.\d+)?$/.test(value)) return value;
  const quoted = /^(['"])([^'"\\]*)\1$/.exec(value);
  return quoted ? JSON.stringify(quoted[2]) : undefined;
}

/** `text` split at `separator` outside quotes and brackets; `||` is not a separator. */
function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === separator && depth === 0 && text[i + 1] !== separator && text[i - 1] !== separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
