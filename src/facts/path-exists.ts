/**
 * Whether paths or glob patterns match anything on the host (command/shell `creates` and
 * `removes`). Patterns keep `*`, `?` and simple `[...]` classes live for the shell's pathname
 * expansion and a leading `~/` for the home folder; every other character is quoted, so no
 * other expansion can happen.
 */
import { moduleFailure } from '../modules/failure.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { parseReport, single } from './report.js';

/** A shell word that expands `pattern` as a glob and nothing else. */
export function globWord(pattern: string): RawShell {
  let out = '';
  let literal = '';
  const flush = () => {
    if (literal !== '') out += quote(literal);
    literal = '';
  };
  let i = 0;
  if (pattern === '~' || pattern.startsWith('~/')) {
    out += '"$HOME"';
    i = 1;
  }
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '*' || c === '?') {
      flush();
      out += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      const body = close < 0 ? '' : pattern.slice(i + 1, close);
      // Only classes made of plain characters stay live; anything else is matched literally.
      if (close > 0 && /^!?[A-Za-z0-9_.-]+$/.test(body)) {
        flush();
        out += `[${body}]`;
        i = close + 1;
        continue;
      }
    }
    literal += c;
    i += 1;
  }
  flush();
  return raw(out === '' ? "''" : out);
}

export interface ExistsQuery {
  /** Key printed in the report and returned in the result. */
  key: string;
  pattern: string;
}

/** One script: `cd` into `chdir` when given (relative patterns are relative to it), then test each. */
export function pathsExistScript(queries: ExistsQuery[], chdir?: string): RawShell {
  const lines: RawShell[] = [];
  if (chdir !== undefined) lines.push(sh`cd -- ${chdir} || exit 1`);
  for (const { key, pattern } of queries) {
    lines.push(
      sh`r=0; for f in ${globWord(pattern)}; do if [ -e "$f" ] || [ -L "$f" ]; then r=1; break; fi; done; echo ${key}="$r"`,
    );
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parsePathsExist(result: ExecResult, keys: string[]): Record<string, boolean> {
  if (result.code !== 0) {
    throw moduleFailure(result.stderr.trim() || `checking paths failed with exit code ${result.code}`, {
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  const report = parseReport(result.stdout);
  const out: Record<string, boolean> = {};
  for (const key of keys) {
    const value = single(report, key);
    if (value !== '0' && value !== '1') {
      throw moduleFailure(`unexpected output while checking ${key}: ${JSON.stringify(result.stdout)}`);
    }
    out[key] = value === '1';
  }
  return out;
}
