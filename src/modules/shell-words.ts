/**
 * Splits a command line into words the way a POSIX shell does for quoting only: blanks
 * separate words, '...' is literal, "..." keeps its content with \ escaping \ " $ ` and
 * newline, and outside quotes a backslash takes the next character literally. Nothing is
 * expanded: `$x`, `$(...)`, backticks and globs stay plain text, which is the point.
 */
import { BosunError } from '../errors.js';

export interface ShellWord {
  value: string;
  /** Offsets of the word in the source text (end exclusive), quotes included. */
  start: number;
  end: number;
}

const BLANK = /[ \t\n]/;
const DOUBLE_QUOTE_ESCAPES = new Set(['\\', '"', '$', '`']);

export function shellWords(text: string): ShellWord[] {
  const words: ShellWord[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (BLANK.test(c)) {
      i += 1;
      continue;
    }
    const start = i;
    let value = '';
    let inWord = true;
    while (inWord && i < text.length) {
      const ch = text[i] as string;
      if (BLANK.test(ch)) {
        inWord = false;
      } else if (ch === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) throw unterminated("'", start, text);
        value += text.slice(i + 1, close);
        i = close + 1;
      } else if (ch === '"') {
        i += 1;
        let closed = false;
        while (i < text.length) {
          const q = text[i] as string;
          if (q === '"') {
            closed = true;
            i += 1;
            break;
          }
          if (q === '\\' && i + 1 < text.length) {
            const next = text[i + 1] as string;
            if (next === '\n') {
              i += 2;
              continue;
            }
            if (DOUBLE_QUOTE_ESCAPES.has(next)) {
              value += next;
              i += 2;
              continue;
            }
          }
          value += q;
          i += 1;
        }
        if (!closed) throw unterminated('"', start, text);
      } else if (ch === '\\') {
        if (i + 1 >= text.length) {
          value += '\\';
          i += 1;
        } else {
          const next = text[i + 1] as string;
          // A backslash-newline joins lines; it is not part of any word.
          if (next !== '\n') value += next;
          i += 2;
        }
      } else {
        value += ch;
        i += 1;
      }
    }
    if (i > start) words.push({ value, start, end: i });
  }
  // A lone backslash-newline between words yields an empty span above; drop those.
  return words.filter((word) => !/^\\\n$/.test(text.slice(word.start, word.end)));
}

export function splitShellWords(text: string): string[] {
  return shellWords(text).map((word) => word.value);
}

function unterminated(quote: string, start: number, text: string): BosunError {
  return new BosunError('BOSUN_INPUT', `unterminated ${quote} quote in command: ${text.slice(start)}`);
}
