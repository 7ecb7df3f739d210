/**
 * Host ranges as Ansible writes them in inventories: `web[01:03]` is web01, web02, web03;
 * `db-[a:c]` is db-a, db-b, db-c; `[1:9:2]` steps by two. Several ranges in one name
 * multiply. A leading zero asks for zero padding to the width of the bounds.
 */

/** Refuse expansions that are almost certainly a typo and would swamp the run. */
const MAX_HOSTS = 10_000;

export class HostRangeError extends Error {}

export function hasHostRange(name: string): boolean {
  return /\[[^\]]*:[^\]]*\]/.test(name);
}

export function expandHostRange(name: string): string[] {
  const match = /^(.*?)\[([^\]]*)\](.*)$/.exec(name);
  if (!match) return [name];
  const [, head = '', body = '', tail = ''] = match;
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new HostRangeError(`invalid host range "[${body}]": expected [start:end] or [start:end:step]`);
  }
  const [begin = '', end = '', stepText = '1'] = parts;
  const step = Number(stepText);
  if (!/^\d+$/.test(stepText) || step < 1) {
    throw new HostRangeError(`invalid host range "[${body}]": step must be a positive integer`);
  }
  const items = rangeItems(begin === '' ? '0' : begin, end, step, body);
  const tails = expandHostRange(tail);
  if (items.length * tails.length > MAX_HOSTS) {
    throw new HostRangeError(`host range "${name}" expands to more than ${MAX_HOSTS} hosts`);
  }
  const out: string[] = [];
  for (const item of items) for (const rest of tails) out.push(`${head}${item}${rest}`);
  return out;
}

function rangeItems(begin: string, end: string, step: number, body: string): string[] {
  if (/^\d+$/.test(begin) && /^\d+$/.test(end)) {
    const padded = begin.length > 1 && begin.startsWith('0');
    if (padded && begin.length !== end.length) {
      throw new HostRangeError(`invalid host range "[${body}]": padded bounds must have the same width`);
    }
    const from = Number(begin);
    const to = Number(end);
    if (to < from) throw new HostRangeError(`invalid host range "[${body}]": end is before start`);
    if ((to - from) / step >= MAX_HOSTS) {
      throw new HostRangeError(`invalid host range "[${body}]": more than ${MAX_HOSTS} hosts`);
    }
    const out: string[] = [];
    for (let n = from; n <= to; n += step)
      out.push(padded ? String(n).padStart(begin.length, '0') : String(n));
    return out;
  }
  if (/^[a-zA-Z]$/.test(begin) && /^[a-zA-Z]$/.test(end)) {
    const from = begin.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (to < from) throw new HostRangeError(`invalid host range "[${body}]": end is before start`);
    const out: string[] = [];
    for (let c = from; c <= to; c += step) out.push(String.fromCharCode(c));
    return out;
  }
  throw new HostRangeError(`invalid host range "[${body}]": bounds must be two numbers or two letters`);
}
