/**
 * A file's bytes in a gather script's output. The transport decodes output as UTF-8 text, so
 * the bytes travel encoded: base64 where the host has it, else od's hex dump (POSIX), with an
 * `encoding=` line saying which. The encoded bytes follow the report's `content:` marker.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw } from '../transport/quote.js';
import { type FactReport, single } from './report.js';

/** Defines `enc` (stdin -> encoded stdout) and prints `encoding=`; put it before any use of enc. */
export function encoderScript(): RawShell {
  return raw(
    [
      'if command -v base64 >/dev/null 2>&1; then enc() { base64; }; echo encoding=base64',
      'else enc() { od -An -v -tx1; }; echo encoding=hex; fi',
    ].join('\n'),
  );
}

/** Encoded text as printed by `enc` back to bytes. */
export function decodeEncoded(report: FactReport, text: string): Buffer {
  const encoding = single(report, 'encoding');
  const compact = text.replace(/\s+/g, '');
  if (encoding === 'base64' && /^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return Buffer.from(compact, 'base64');
  if (encoding === 'hex' && /^(?:[0-9a-f]{2})*$/.test(compact)) return Buffer.from(compact, 'hex');
  throw moduleFailure(`unexpected encoded content from the host (encoding ${encoding ?? 'not given'})`);
}

/** One value printed as `key=$(... | enc)` on one line: a path that may hold any character. */
export function decodeEncodedValue(report: FactReport, key: string): string | undefined {
  const value = single(report, key);
  if (value === undefined) return undefined;
  const text = decodeEncoded(report, value).toString('utf8');
  // The value was printed by a command that ends it with a newline.
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
