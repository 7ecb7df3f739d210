/**
 * Unified diffs (`diff -u` format, 3 lines of context) of text, with Myers' O(ND) algorithm on
 * lines. Used for --diff: the modules give the text before and after, the engine makes the diff.
 */

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

interface Lines {
  lines: string[];
  /** The text does not end with a newline (its last line is incomplete). */
  noFinalNewline: boolean;
}

function splitLines(text: string): Lines {
  if (text === '') return { lines: [], noFinalNewline: false };
  const lines = text.split('\n');
  const noFinalNewline = lines[lines.length - 1] !== '';
  if (!noFinalNewline) lines.pop();
  return { lines, noFinalNewline };
}

/** The shortest edit script from a to b, as a list of kept, removed and added lines. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk back through the saved frontiers to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const frontier = trace[d]!;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!)) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x]!, a: x, b: y });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      ops.push({ kind: '+', line: b[y]!, a: x, b: y });
    } else {
      x--;
      ops.push({ kind: '-', line: a[x]!, a: x, b: y });
    }
  }
  return ops.reverse();
}

function range(start: number, count: number): string {
  // GNU diff: an empty range names the line before it; a one-line range has no count.
  if (count === 0) return `${start},0`;
  if (count === 1) return `${start + 1}`;
  return `${start + 1},${count}`;
}

export interface UnifiedDiffOptions {
  beforeLabel?: string;
  afterLabel?: string;
  context?: number;
}

/** A unified diff of two texts; '' when they are equal. */
export function unifiedDiff(before: string, after: string, options: UnifiedDiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const a = splitLines(before);
  const b = splitLines(after);
  // Lines are compared with their "no newline" mark, so a change of the final newline shows.
  const aKeys = a.lines.map((line, i) =>
    i === a.lines.length - 1 && a.noFinalNewline ? `${line}\u0000` : line,
  );
  const bKeys = b.lines.map((line, i) =>
    i === b.lines.length - 1 && b.noFinalNewline ? `${line}\u0000` : line,
  );
  const ops = diffLines(aKeys, bKeys);

  let out = `--- ${options.beforeLabel ?? 'before'}\n+++ ${options.afterLabel ?? 'after'}\n`;
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]!.kind === ' ') i++;
    if (i >= ops.length) break;
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is no more than 2 * context kept lines away.
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length) {
      if (ops[end]!.kind !== ' ') lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const first = hunk[0]!;
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out += `@@ -${range(first.a, aCount)} +${range(first.b, bCount)} @@\n`;
    for (const op of hunk) {
      const incomplete = op.line.endsWith('\u0000');
      out += `${op.kind}${incomplete ? op.line.slice(0, -1) : op.line}\n`;
      if (incomplete) out += '\\ No newline at end of file\n';
    }
    i = end;
  }
  return out;
}

/** Attributes as `key: value` lines (values as JSON, strings bare), for a diff of states. */
export function stateText(state: Record<string, unknown>): string {
  return Object.entries(state)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
    .join('');
}
