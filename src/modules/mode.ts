/**
 * File modes as operators write them: octal ("0644", "644", "0o644"), a YAML number whose
 * digits are octal (0644 and 644 both load as the number 644 in YAML 1.2), or chmod's
 * symbolic form ("u=rw,g=r,o=", "a+X"). A mode is always turned into the absolute bits it
 * gives for one file, so plans compare numbers and chmod always gets an exact octal value.
 */

export type ModeSpec =
  | { kind: 'octal'; bits: number; text: string }
  | { kind: 'symbolic'; clauses: SymbolicClause[]; text: string };

export interface SymbolicClause {
  who: string; // subset of "ugo"; "" means all, limited by the umask (as chmod does)
  ops: { op: '+' | '-' | '='; perms: string }[];
}

const OCTAL = /^(?:0o)?([0-7]{1,5})$/;
const CLAUSE = /^([ugoa]*)((?:[-+=][rwxXst]*)+)$/;

/** Parse a mode argument; a message describing the problem when it is not one. */
export function parseMode(value: string | number): ModeSpec | string {
  const text = String(value).trim();
  const octal = OCTAL.exec(text);
  if (octal) {
    const bits = Number.parseInt(octal[1] as string, 8);
    if (bits > 0o7777) return `mode "${text}" is out of range (at most 07777)`;
    return { kind: 'octal', bits, text };
  }
  if (typeof value === 'number') {
    return `mode ${text}: digits must be octal (0-7); write modes as strings like "0644"`;
  }
  const clauses: SymbolicClause[] = [];
  for (const part of text.split(',')) {
    const match = CLAUSE.exec(part);
    if (!match) return `invalid mode "${text}": expected octal like "0644" or symbolic like "u=rw,g=r,o="`;
    const who = (match[1] as string).includes('a') ? 'ugo' : (match[1] as string);
    const ops = [...(match[2] as string).matchAll(/([-+=])([rwxXst]*)/g)].map((m) => ({
      op: m[1] as '+' | '-' | '=',
      perms: m[2] as string,
    }));
    clauses.push({ who, ops });
  }
  return { kind: 'symbolic', clauses, text };
}

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };

/** The bits `spec` gives a path whose current bits are `current`. */
export function applyMode(spec: ModeSpec, current: number, isDirectory: boolean, umask: number): number {
  if (spec.kind === 'octal') return spec.bits;
  let mode = current & 0o7777;
  for (const clause of spec.clauses) {
    const who = clause.who === '' ? 0o7777 : [...clause.who].reduce((acc, w) => acc | (WHO_BITS[w] ?? 0), 0);
    const allowed = clause.who === '' ? 0o7777 & ~(umask & 0o777) : who;
    for (const { op, perms } of clause.ops) {
      let bits = 0;
      for (const p of perms) {
        if (p === 'r') bits |= 0o444;
        else if (p === 'w') bits |= 0o222;
        else if (p === 'x') bits |= 0o111;
        else if (p === 'X' && (isDirectory || (mode & 0o111) !== 0)) bits |= 0o111;
        else if (p === 's') bits |= 0o6000;
        else if (p === 't') bits |= 0o1000;
      }
      const value = bits & who & allowed;
      if (op === '+') mode |= value;
      else if (op === '-') mode &= ~value;
      else {
        // chmod keeps a directory's setuid/setgid bits unless the clause names them.
        const keep = isDirectory && !perms.includes('s') ? 0o6000 : 0;
        // Without `who`, '=' clears every bit and sets the perms the umask lets through.
        const cleared = who & ~keep;
        mode = (mode & ~cleared) | value;
      }
    }
  }
  return mode;
}

/** "0644"-style text, as Ansible reports modes. */
export function formatMode(bits: number): string {
  return bits.toString(8).padStart(4, '0');
}

/**
 * The chmod argument for exact bits. Five digits: GNU chmod keeps a directory's setuid and
 * setgid bits for shorter numeric modes, which would never converge.
 */
export function chmodArgument(bits: number): string {
  return bits.toString(8).padStart(5, '0');
}
