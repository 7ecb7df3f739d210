/**
 * Accounts as the host's name service sees them (getent: /etc/passwd, /etc/group, LDAP...), for
 * the user module: the passwd entry, whether its home exists, explicit group memberships, the
 * groups the task names, and the shadow password field. The password hash itself never leaves
 * the host: the script prints sha256 digests of it, enough to tell whether it is the one asked
 * for without the facts (or any log of them) holding the hash.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { parseReport, single } from './report.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The shadow password field, described without its value. */
export interface PasswordState {
  /** sha256 (hex) of the whole field. */
  full: string;
  /** sha256 of the field without the `!` that `usermod -L` puts in front. */
  bare: string;
  /** The field starts with `!` (locked by usermod -L, or no password at all). */
  bang: boolean;
  /** No usable password: empty, `*`, `!`, `!!` or `!*`. */
  none: boolean;
}

export interface UserFacts {
  /** Undefined when the user does not exist. */
  passwd?: PasswdEntry;
  /** The home folder in passwd exists. */
  homeExists: boolean;
  /** The home folder the task asks for exists (when it asked for one). */
  targetHomeExists: boolean;
  /** /etc/shadow could be read (the task runs as root). */
  shadowReadable: boolean;
  /** Undefined when the user has no shadow entry (or shadow could not be read). */
  password?: PasswordState;
  /** Groups listing the user as a member (supplementary groups; the primary one only if listed). */
  memberOf: GroupEntry[];
  /** Entries found for the groups the task names (by name or gid), and for the user's name. */
  groups: GroupEntry[];
  /** The user's primary group, when it has an entry. */
  primary?: GroupEntry;
}

/** `name:x:uid:gid:gecos:home:shell`; undefined when the line is not one. */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const fields = line.split(':');
  if (fields.length !== 7 || !/^\d+$/.test(fields[2] ?? '') || !/^\d+$/.test(fields[3] ?? ''))
    return undefined;
  return {
    name: fields[0] as string,
    uid: Number(fields[2]),
    gid: Number(fields[3]),
    comment: fields[4] as string,
    home: fields[5] as string,
    shell: fields[6] as string,
  };
}

/** `name:x:gid:member,member`; undefined when the line is not one. */
export function parseGroupLine(line: string): GroupEntry | undefined {
  const fields = line.split(':');
  if (fields.length !== 4 || !/^\d+$/.test(fields[2] ?? '')) return undefined;
  const members = (fields[3] as string).split(',').filter((member) => member !== '');
  return { name: fields[0] as string, gid: Number(fields[2]), members };
}

/** Whether a group argument (a name, or a gid when all digits) names this group. */
export function namesGroup(wanted: string | number, group: { name: string; gid: number }): boolean {
  const text = String(wanted);
  return /^\d+$/.test(text) ? Number(text) === group.gid : text === group.name;
}

/** Print a group's entry as `group=...` when it exists (`getent group 100` looks up by gid). */
export function groupLookupLines(queries: readonly string[]): RawShell[] {
  return [...new Set(queries)].map(
    (query) => sh`if e=$(getent group ${query}); then printf 'group=%s\\n' "$e"; fi`,
  );
}

/** The shadow field ($f) is summarised by digests; the lock is a `!` in front of a hash. */
const SHADOW_LINES = [
  'if s=$(getent shadow "$n" 2>/dev/null); then',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  '  f=${s#*:}; f=${f%%:*}',
  `  case "$f" in ''|'*'|'!'|'!!'|'!*') echo pw_none=1 ;; esac`,
  `  case "$f" in '!'*) echo pw_bang=1 ;; esac`,
  `  echo "pw_full=$(printf '%s' "$f" | sha256sum | cut -d' ' -f1)"`,
  `  echo "pw_bare=$(printf '%s' "\${f#!}" | sha256sum | cut -d' ' -f1)"`,
  'fi',
];

export interface UserFactsOptions {
  /** Groups to look up (the group and groups arguments). */
  groups?: readonly string[];
  /** A home folder whose existence matters (the home argument). */
  home?: string | undefined;
}

export function userFactsScript(name: string, options: UserFactsOptions = {}): RawShell {
  const lines: RawShell[] = [
    sh`n=${name}`,
    ...groupLookupLines([name, ...(options.groups ?? [])]),
    raw('[ -r /etc/shadow ] && echo shadow_readable=1'),
    raw('p=$(getent passwd "$n") || exit 0'),
    raw(`printf 'passwd=%s\\n' "$p"`),
    raw(`h=$(printf '%s\\n' "$p" | cut -d: -f6)`),
    raw('[ -n "$h" ] && [ -d "$h" ] && echo home_exists=1'),
    raw(
      `g=$(printf '%s\\n' "$p" | cut -d: -f4); if e=$(getent group "$g"); then printf 'primary=%s\\n' "$e"; fi`,
    ),
  ];
  if (options.home !== undefined) lines.push(sh`[ -d ${options.home} ] && echo target_home_exists=1`);
  lines.push(
    // Explicit memberships; ENVIRON, not -v: awk would read backslashes in -v values as escapes.
    raw(
      `getent group | U="$n" awk -F: '{ k = split($4, m, ","); for (i = 1; i <= k; i++) if (m[i] == ENVIRON["U"]) { print "member=" $0; break } }'`,
    ),
    ...SHADOW_LINES.map((line) => raw(line)),
    raw('exit 0'),
  );
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseUserFacts(result: ExecResult, name: string): UserFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot look up user ${name}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      {
        exitCode: result.code,
        stderr: result.stderr,
      },
    );
  }
  const report = parseReport(result.stdout);
  const facts: UserFacts = {
    homeExists: single(report, 'home_exists') === '1',
    targetHomeExists: single(report, 'target_home_exists') === '1',
    shadowReadable: single(report, 'shadow_readable') === '1',
    memberOf: groupEntries(report.values.get('member') ?? [], name),
    groups: groupEntries(report.values.get('group') ?? [], name),
  };
  const line = single(report, 'passwd');
  if (line !== undefined) {
    const entry = parsePasswdLine(line);
    if (!entry) throw moduleFailure(`cannot look up user ${name}: unexpected passwd entry "${line}"`);
    // getent looks a numeric key up as a uid: only an entry with this very name is the user.
    if (entry.name === name) facts.passwd = entry;
  }
  const primary = single(report, 'primary');
  if (facts.passwd && primary !== undefined) {
    const [entry] = groupEntries([primary], name);
    if (entry && entry.gid === facts.passwd.gid) facts.primary = entry;
  }
  const full = single(report, 'pw_full');
  const bare = single(report, 'pw_bare');
  if (facts.passwd && full !== undefined && bare !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(full) || !/^[0-9a-f]{64}$/.test(bare)) {
      throw moduleFailure(`cannot look up user ${name}: unexpected shadow digest`);
    }
    facts.password = {
      full,
      bare,
      bang: single(report, 'pw_bang') === '1',
      none: single(report, 'pw_none') === '1',
    };
  }
  return facts;
}

function groupEntries(lines: string[], name: string): GroupEntry[] {
  return lines.map((line) => {
    const entry = parseGroupLine(line);
    if (!entry) throw moduleFailure(`cannot look up user ${name}: unexpected group entry "${line}"`);
    return entry;
  });
}
