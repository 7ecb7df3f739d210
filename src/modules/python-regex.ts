/**
 * Regular expressions as Ansible users write them (Python's `re`), run by JavaScript. The
 * syntax is nearly the same; the differences that would silently change a match are
 * translated: `^`, `$` and `.` get Python's meaning (only `\n` ends a line, `$` also matches
 * before a final newline), `\A`/`\Z`, named groups `(?P<name>...)`/`(?P=name)`, and leading
 * inline flags `(?i)`, `(?m)`, `(?s)`. Replacement templates use Python's `\1`, `\g<1>`,
 * `\g<name>` and escapes, never JavaScript's `$1` (a `$` in a replacement is literal).
 */

export interface PythonRegexOptions {
  /** re.MULTILINE: `^`/`$` match at every line (replace). */
  multiline?: boolean;
  /** re.DOTALL. */
  dotAll?: boolean;
  /** Find every match (replace). */
  global?: boolean;
}

const INLINE_FLAGS = /^\(\?([aiLmsux]+)\)/;

/** The JavaScript RegExp for a Python pattern; throws an Error whose message says what is wrong. */
export function pythonRegExp(pattern: string, options: PythonRegexOptions = {}): RegExp {
  let source = pattern;
  let multiline = options.multiline === true;
  let dotAll = options.dotAll === true;
  let ignoreCase = false;
  const inline = INLINE_FLAGS.exec(source);
  if (inline) {
    const flags = inline[1] as string;
    if (flags.includes('x')) throw new Error(`the verbose flag (?x) is not supported in "${pattern}"`);
    if (flags.includes('L')) throw new Error(`the locale flag (?L) is not supported in "${pattern}"`);
    ignoreCase = flags.includes('i');
    multiline ||= flags.includes('m');
    dotAll ||= flags.includes('s');
    source = source.slice(inline[0].length);
  }
  const translated = translate(source, multiline, dotAll, pattern);
  try {
    return new RegExp(translated, `${ignoreCase ? 'i' : ''}${options.global ? 'g' : ''}d`);
  } catch (error) {
    throw new Error(
      `invalid regular expression "${pattern}": ${(error as Error).message.replace(/^.*: /, '')}`,
    );
  }
}

/** A message when `pattern` is not a usable regular expression. */
export function regexProblem(pattern: string, options: PythonRegexOptions = {}): string | undefined {
  try {
    pythonRegExp(pattern, options);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function translate(source: string, multiline: boolean, dotAll: boolean, pattern: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new Error(`"${pattern}" ends with a lone backslash`);
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i += 1;
      if (source[i] === '^') {
        out += '^';
        i += 1;
      }
      // Python takes a `]` right after `[` or `[^` as a member; JavaScript would end the class.
      if (source[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    if (source.startsWith('(?P=', i)) {
      const end = source.indexOf(')', i);
      if (end < 0) throw new Error(`unterminated group reference in "${pattern}"`);
      out += `\\k<${source.slice(i + 4, end)}>`;
      i = end + 1;
      continue;
    }
    if (c === '^') out += multiline ? '(?:(?<=\\n)|(?<![\\s\\S]))' : '(?<![\\s\\S])';
    else if (c === '$') out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
    else if (c === '.') out += dotAll ? '[\\s\\S]' : '[^\\n]';
    else out += c;
    i += 1;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  f: '\f',
  v: '\v',
  a: '\u0007',
  b: '\b',
  '\\': '\\',
};

/**
 * Python's match.expand: `template` with group references replaced by what `match` captured
 * (an unmatched group gives ''). Throws on a reference to a group the pattern lacks.
 */
export function expandTemplate(
  template: string,
  match: RegExpExecArray | string[],
  groups?: Record<string, string | undefined>,
): string {
  let out = '';
  let i = 0;
  const group = (ref: string): string => {
    if (/^\d+$/.test(ref)) {
      const index = Number(ref);
      if (index >= match.length)
        throw new Error(`invalid group reference \\${ref}: the pattern has ${match.length - 1} group(s)`);
      return match[index] ?? '';
    }
    if (!groups || !(ref in groups)) throw new Error(`unknown group name "${ref}"`);
    return groups[ref] ?? '';
  };
  while (i < template.length) {
    const c = template[i] as string;
    if (c !== '\\' || i + 1 >= template.length) {
      out += c;
      i += 1;
      continue;
    }
    const next = template[i + 1] as string;
    if (next === 'g') {
      const close = template.indexOf('>', i);
      if (template[i + 2] !== '<' || close < 0) throw new Error('\\g must be followed by <name> or <number>');
      out += group(template.slice(i + 3, close));
      i = close + 1;
      continue;
    }
    if (/[0-9]/.test(next)) {
      const digits = /^[0-9]{1,2}/.exec(template.slice(i + 1))?.[0] as string;
      if (digits.startsWith('0')) {
        // \0 and \0N are octal escapes in Python, not group references.
        const octal = /^[0-7]{1,3}/.exec(template.slice(i + 1))?.[0] as string;
        out += String.fromCharCode(Number.parseInt(octal, 8));
        i += 1 + octal.length;
      } else {
        out += group(digits);
        i += 1 + digits.length;
      }
      continue;
    }
    const escaped = ESCAPES[next];
    if (escaped !== undefined) out += escaped;
    else if (/[A-Za-z]/.test(next)) throw new Error(`bad escape \\${next} in "${template}"`);
    else out += c + next;
    i += 2;
  }
  return out;
}

/** Python's re.subn: every match of a global `regex` in `text` replaced by the expanded template. */
export function substitute(regex: RegExp, text: string, template: string): { text: string; count: number } {
  let count = 0;
  const result = text.replace(regex, (...args: unknown[]) => {
    const last = args[args.length - 1];
    const groups =
      typeof last === 'object' && last !== null
        ? (args.pop() as Record<string, string | undefined>)
        : undefined;
    // The callback gets (match, ...captures, offset, whole text[, groups]).
    const captures = args.slice(0, -2) as string[];
    count += 1;
    return expandTemplate(template, captures, groups);
  });
  return { text: result, count };
}
