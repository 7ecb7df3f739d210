/**
 * Host patterns, evaluated as Ansible does (pure: no I/O, unit-tested by table).
 *
 *   all, *            every host
 *   web1, webservers  a host or a group (a group means every host in it and its children)
 *   web*, db-?.lan    shell globs, over group names and host names
 *   ~web\d+           a regular expression (anchored at the start, as Python's re.match)
 *   webservers[0]     one host of a group by index (negative counts from the end)
 *   webservers[0:2]   hosts 0 to 2 of a group, inclusive; [1:] to the end
 *   a:b  a,b          union
 *   a:&b              intersection
 *   a:!b              exclusion
 *
 * Terms are split on commas and on colons outside brackets (an IPv6 address stays whole).
 * Unions are applied first, then intersections, then exclusions, whatever the written
 * order; a pattern made only of intersections and exclusions starts from `all`. A term that
 * matches nothing is reported back (the CLI warns) rather than failing the run.
 */
import { isIPv6 } from 'node:net';
import { BosunError } from '../errors.js';

export interface PatternInventory {
  /** Every host, in inventory order. */
  readonly hosts: readonly string[];
  /** Group name to its hosts (including those of descendant groups), in group order. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

export interface PatternResult {
  /** Matched hosts, in the order the union found them. */
  hosts: string[];
  /** Terms (as written, with their ! or & prefix) that matched no host. */
  unmatched: string[];
}

/** Split a pattern (or several) into terms. */
export function splitPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitPattern(p));
  const terms: string[] = [];
  for (const part of pattern.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    if (isIPv6(trimmed.replace(/^[!&]/, ''))) {
      terms.push(trimmed);
      continue;
    }
    // A term is a run of anything but whitespace, ':' and brackets, or a bracketed expression.
    for (const match of trimmed.matchAll(/(?:[^\s:[\]]|\[[^\]]*\])+/g)) terms.push(match[0]);
  }
  return terms;
}

/** Hosts matching `pattern`, in Ansible's evaluation order. */
export function matchHosts(pattern: string | readonly string[], inventory: PatternInventory): PatternResult {
  const terms = splitPattern(pattern);
  if (terms.length === 0) {
    throw new BosunError('BOSUN_INPUT', 'empty host pattern: give a host, a group, a glob or "all"');
  }
  const regular = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const intersections = terms.filter((t) => t.startsWith('&'));
  const exclusions = terms.filter((t) => t.startsWith('!'));
  if (regular.length === 0) regular.push('all');

  const unmatched: string[] = [];
  const selected: string[] = [];
  const seen = new Set<string>();
  for (const term of regular) {
    const hosts = matchTerm(term, inventory);
    if (hosts.length === 0 && term !== 'all') unmatched.push(term);
    for (const host of hosts) {
      if (!seen.has(host)) {
        seen.add(host);
        selected.push(host);
      }
    }
  }
  let result = selected;
  for (const term of intersections) {
    const hosts = new Set(matchTerm(term.slice(1), inventory));
    if (hosts.size === 0) unmatched.push(term);
    result = result.filter((h) => hosts.has(h));
  }
  for (const term of exclusions) {
    const hosts = new Set(matchTerm(term.slice(1), inventory));
    if (hosts.size === 0) unmatched.push(term);
    result = result.filter((h) => !hosts.has(h));
  }
  return { hosts: result, unmatched };
}

type Subscript = { index: number } | { start: number; end: number | undefined };

/** Ansible's PATTERN_WITH_SUBSCRIPT: `name[3]`, `name[-1]`, `name[1:3]`, `name[1:]`. */
function splitSubscript(term: string): { base: string; subscript?: Subscript } {
  if (term.startsWith('~')) return { base: term };
  const match = /^(.+)\[(?:(-?\d+)|(\d+):(\d*))\]$/.exec(term);
  if (!match) return { base: term };
  const [, base = '', index, start, end] = match;
  if (index !== undefined) return { base, subscript: { index: Number(index) } };
  return {
    base,
    subscript: { start: Number(start), end: end === '' || end === undefined ? undefined : Number(end) },
  };
}

function applySubscript(hosts: string[], subscript: Subscript | undefined): string[] {
  if (!subscript) return hosts;
  if ('index' in subscript) {
    const at = subscript.index < 0 ? hosts.length + subscript.index : subscript.index;
    const host = hosts[at];
    return host === undefined ? [] : [host];
  }
  const end = subscript.end === undefined ? hosts.length - 1 : subscript.end;
  return hosts.slice(subscript.start, end + 1);
}

function matchTerm(term: string, inventory: PatternInventory): string[] {
  if (term === 'all' || term === '*') return [...inventory.hosts];
  const { base, subscript } = splitSubscript(term);
  return applySubscript(enumerate(base, inventory), subscript);
}

function enumerate(pattern: string, inventory: PatternInventory): string[] {
  const test = matcher(pattern);
  const results: string[] = [];
  let groupMatched = false;
  for (const [name, hosts] of inventory.groups) {
    if (!test(name)) continue;
    groupMatched = true;
    results.push(...hosts);
  }
  // As Ansible: host names are searched when no group matched, or when the pattern could
  // match several names (glob, regex, or a dotted name that may be a host's FQDN).
  if (!groupMatched || pattern.startsWith('~') || /[.?*[]/.test(pattern)) {
    for (const host of inventory.hosts) if (test(host)) results.push(host);
  }
  return [...new Set(results)];
}

function matcher(pattern: string): (name: string) => boolean {
  if (pattern.startsWith('~')) {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${pattern.slice(1)})`);
    } catch (cause) {
      throw new BosunError('BOSUN_INPUT', `invalid regular expression in host pattern "${pattern}"`, {
        cause,
      });
    }
    return (name) => regex.test(name);
  }
  if (!/[*?[]/.test(pattern)) return (name) => name === pattern;
  const regex = globToRegExp(pattern);
  return (name) => regex.test(name);
}

/** Python's fnmatch.translate, case-sensitive: `*`, `?`, `[seq]`, `[!seq]`. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    i++;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
      } else {
        let body = glob.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        out += `[${body}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}
