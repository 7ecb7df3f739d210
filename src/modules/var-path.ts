/**
 * Looks a dotted variable path up in the host's variables: `result.stdout_lines[0]`,
 * `hostvars['web1'].port`. Only lookups, no expressions: debug `var` names what to show.
 */

/** The value at `path`, or undefined when any step is missing. */
export function lookupPath(vars: Record<string, unknown>, path: string): unknown {
  const steps = parsePath(path);
  if (steps === undefined) return undefined;
  let value: unknown = vars;
  for (const step of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value) && typeof step !== 'number') return undefined;
    if (!Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** Path steps, or undefined when `path` is not a plain lookup. */
export function parsePath(path: string): (string | number)[] | undefined {
  const steps: (string | number)[] = [];
  const pattern =
    /\s*(?:(^|\.)([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\])/y;
  let at = 0;
  const text = path.trim();
  while (at < text.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return undefined;
    if (match[2] !== undefined) {
      if (match[1] === '' && at !== 0) return undefined;
      steps.push(match[2]);
    } else if (match[3] !== undefined) steps.push(Number(match[3]));
    else steps.push((match[4] ?? match[5]) as string);
    at = pattern.lastIndex;
  }
  return steps.length > 0 ? steps : undefined;
}
