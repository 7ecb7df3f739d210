/**
 * The output format of every gather script: `key=value` lines (values never hold a newline),
 * then optionally a line `content:` after which everything, to the end, is a file's bytes.
 * Keys may repeat (one line per item).
 */
export interface FactReport {
  values: Map<string, string[]>;
  /** Raw text after the `content:` line, when the script printed one. */
  content?: string;
}

export const CONTENT_MARKER = 'content:';

export function parseReport(stdout: string): FactReport {
  const values = new Map<string, string[]>();
  let rest = stdout;
  while (rest.length > 0) {
    const end = rest.indexOf('\n');
    const line = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end + 1);
    if (line === CONTENT_MARKER) return { values, content: rest };
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const list = values.get(key) ?? [];
    list.push(line.slice(eq + 1));
    values.set(key, list);
  }
  return { values };
}

/** Last value given for `key`. */
export function single(report: FactReport, key: string): string | undefined {
  const list = report.values.get(key);
  return list?.[list.length - 1];
}
