/**
 * Every remote command is built here. `sh` is a tagged template: literal parts are taken
 * as written (they are the program's own text), every interpolated value is quoted as a
 * single shell word. Arrays become several words. `raw()` marks a value that is already
 * shell syntax (a command built by another `sh` call), and is the only way to splice one.
 */
const RAW = Symbol('bosun.raw');

export interface RawShell {
  readonly [RAW]: true;
  readonly text: string;
}

export function raw(text: string): RawShell {
  return { [RAW]: true, text };
}

function isRaw(value: unknown): value is RawShell {
  return typeof value === 'object' && value !== null && RAW in value;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one value as a POSIX shell word. */
export function quote(value: string | number | boolean): string {
  const text = String(value);
  if (text !== '' && SAFE_WORD.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export type ShellValue =
  | string
  | number
  | boolean
  | RawShell
  | readonly (string | number | boolean | RawShell)[];

function render(value: ShellValue): string {
  if (Array.isArray(value)) return value.map((v) => render(v as ShellValue)).join(' ');
  if (isRaw(value)) return value.text;
  if (value === null || value === undefined) {
    // A missing value is a bug in the caller; quoting "undefined" would hide it.
    throw new TypeError('sh: interpolated value is null or undefined');
  }
  return quote(value as string | number | boolean);
}

/** Build a shell command; interpolations are quoted. Returns a RawShell so results nest. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): RawShell {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

/** The text of a command built with `sh` (or a raw string the caller vouches for). */
export function commandText(command: RawShell | string): string {
  return typeof command === 'string' ? command : command.text;
}
