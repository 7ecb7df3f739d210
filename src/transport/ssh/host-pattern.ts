/**
 * OpenSSH host pattern lists, shared by ssh_config `Host` lines and known_hosts host fields:
 * `*` matches any run of characters, `?` one character, a leading `!` negates, matching is
 * case-insensitive, and one matching negated pattern vetoes the whole list.
 */

/** Whether `name` matches one wildcard pattern (no negation). */
export function matchWildcard(name: string, pattern: string): boolean {
  const text = name.toLowerCase();
  const pat = pattern.toLowerCase();
  // Iterative glob with backtracking to the last star: linear enough for host names.
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pat.length && (pat[p] === '?' || pat[p] === text[t])) {
      t++;
      p++;
    } else if (p < pat.length && pat[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.length && pat[p] === '*') p++;
  return p === pat.length;
}

/** Whether `name` matches a list of patterns, honouring `!` negation. */
export function matchPatternList(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchWildcard(name, pattern.slice(1))) return false;
    } else if (matchWildcard(name, pattern)) {
      matched = true;
    }
  }
  return matched;
}
