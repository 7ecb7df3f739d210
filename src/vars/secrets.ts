/**
 * The secret values of one run, and their redaction. A value is secret when it came from a
 * vault or a lookup, is a connection or become password, sits in a role parameter the role's
 * schema marks `secret: true`, or was registered or set by a `no_log` task. Redaction works on
 * text, not on variables: any string that contains a secret (a rendered task name, a diff, a
 * JSON event, an error) has it replaced by `[redacted]`, so values derived from a secret by
 * templating are covered without tracking where each one came from. A template helper's
 * output that no longer shows the secret as text is added as a secret of its own (`derive`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { quote } from '../transport/quote.js';

export const REDACTED = '[redacted]';

/**
 * Shorter strings are not taken as secrets: a no_log task's registered `ok` or `0` would
 * otherwise blank those words out of every later line. No password or hash is this short.
 */
export const MIN_SECRET_LENGTH = 4;

export class Secrets {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /** How many distinct texts are redacted (each secret, its lines and escaped forms). */
  get size(): number {
    return this.forms.size;
  }

  /** Add a secret; for a list or mapping, every string in it. */
  add(value: unknown): void {
    if (typeof value === 'string') {
      this.addText(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.add(item);
      return;
    }
    if (value !== null && typeof value === 'object') for (const item of Object.values(value)) this.add(item);
  }

  /**
   * A template helper's output made from a secret is secret too where it no longer shows the
   * secret as text (`to_yaml` folding a long one over two lines). `again` is the helper run on
   * the inputs with their secrets redacted: the strings and lines of `output` that differ from
   * its output, and that hold no secret already, are added. Helpers are pure, so what differs
   * came from a secret; an `again` that fails makes every new string of `output` secret.
   */
  derive(inputs: readonly unknown[], output: unknown, again: (redacted: unknown[]) => unknown): void {
    if (!this.pattern || !this.holds(inputs)) return;
    let plain: unknown;
    try {
      plain = again(this.redactDeep([...inputs]));
    } catch {
      plain = undefined;
    }
    this.addChanged(output, plain, new Set(stringsOf(inputs)));
  }

  private addChanged(output: unknown, plain: unknown, given: ReadonlySet<string>): void {
    if (typeof output === 'string') {
      if (output === plain || given.has(output) || this.holds(output)) return;
      const others =
        typeof plain === 'string' ? new Set(plain.split(/\r?\n/).map((l) => l.trim())) : new Set();
      this.addText(
        output,
        output.split(/\r?\n/).filter((line) => !others.has(line.trim()) && !this.holds(line)),
      );
      return;
    }
    if (output === null || typeof output !== 'object') return;
    const same = plain !== null && typeof plain === 'object' ? (plain as Record<string, unknown>) : {};
    for (const [key, item] of Object.entries(output)) this.addChanged(item, same[key], given);
  }

  private holds(value: unknown): boolean {
    return stringsOf([value]).some((text) => this.redact(text) !== text);
  }

  /** `text` with every secret in it replaced by `[redacted]`. */
  redact(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, REDACTED);
  }

  /** A copy of `value` with every string in it (keys too) redacted. */
  redactDeep<T>(value: T): T {
    if (!this.pattern) return value;
    return this.deep(value) as T;
  }

  private deep(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.deep(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[this.redact(key)] = this.deep(item);
      return out;
    }
    return value;
  }

  /**
   * The value as written, each of its lines (a command's stdout read line by line), and the
   * forms output escapes it into: inside a JSON string and inside shell single quotes.
   */
  private addText(value: string, lines = value.split(/\r?\n/)): void {
    const forms = [value, ...lines.map((line) => line.trim())];
    for (const form of [...forms]) {
      forms.push(JSON.stringify(form).slice(1, -1));
      forms.push(quote(form));
    }
    let added = false;
    for (const form of forms) {
      if (form.length < MIN_SECRET_LENGTH || this.forms.has(form)) continue;
      this.forms.add(form);
      added = true;
    }
    if (!added) return;
    // Longest first, so a secret that contains another is replaced whole.
    const sorted = [...this.forms].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }
}

function stringsOf(values: readonly unknown[], out: string[] = []): string[] {
  for (const value of values) {
    if (typeof value === 'string') out.push(value);
    else if (value !== null && typeof value === 'object') stringsOf(Object.values(value), out);
  }
  return out;
}

const current = new AsyncLocalStorage<Secrets>();

/** Run `body` with `secrets` as the secrets its template helpers derive values from. */
export function withSecrets<T>(secrets: Secrets, body: () => T): T {
  return current.run(secrets, body);
}

/** The secrets of the run or command this render belongs to. */
export function currentSecrets(): Secrets | undefined {
  return current.getStore();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
