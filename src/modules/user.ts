/**
 * user: a local account present (with uid, primary and supplementary groups, comment, home,
 * shell, password hash and lock) or absent, through useradd/usermod/userdel. The password is
 * a crypt hash; it reaches the host on chpasswd's standard input only, never in a command line,
 * a fact, a result or a diff.
 */
import { createHash } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { idRangesScript, parseIdRanges } from '../facts/id-ranges.js';
import { newHomeScript, parseNewHome } from '../facts/new-home.js';
import {
  type GroupEntry,
  namesGroup,
  type PasswdEntry,
  parsePasswdLine,
  parseUserFacts,
  type UserFacts,
  userFactsScript,
} from '../facts/passwd.js';
import type { Effect, UserAfter } from '../predict/effects.js';
import { needsNewIds, withNewIds } from '../predict/useradd-ids.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { joinLines, payloadOf, receiveLines } from '../transport/verified-write.js';
import { firstLine, moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
  StateDiff,
  Step,
} from './types.js';
import {
  createdEffects,
  MADE_HOME,
  NEW_HOME,
  overlayUser,
  rehome,
  removedEffects,
  withNewHome,
} from './user-prediction.js';

export const UserArgs = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Name of the account.' }),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'present: the account exists with the attributes given. absent: it is removed.',
      }),
    ),
    uid: Type.Optional(Type.Integer({ minimum: 0, description: 'User id.' })),
    group: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], {
        description:
          'Primary group (name or gid); it must exist. Default for a new account: a group of the same name (created by useradd, or the existing one).',
      }),
    ),
    groups: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.String()], {
        description:
          'Supplementary groups (a list, or names separated by commas). Without append, the account is removed from groups not listed; an empty list removes it from all.',
      }),
    ),
    append: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Add the account to groups without removing it from the others.',
      }),
    ),
    comment: Type.Optional(
      Type.String({
        description: 'The GECOS field (full name); no ":", line breaks, tabs or other control characters.',
      }),
    ),
    home: Type.Optional(Type.String({ minLength: 1, description: 'Home folder (absolute path).' })),
    create_home: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Create the home folder (from /etc/skel) when the account is created, or when the home folder of an existing account is missing.',
      }),
    ),
    move_home: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'When home changes, move the content of the old home folder to the new one.',
      }),
    ),
    shell: Type.Optional(Type.String({ minLength: 1, description: 'Login shell.' })),
    password: Type.Optional(
      Type.String({
        description:
          'The password as a crypt hash (e.g. from `mkpasswd -m sha-512`), never the plain text. "!" or "*" mean no password. Never logged or shown in diffs.',
      }),
    ),
    update_password: Type.Optional(
      Type.Union([Type.Literal('always'), Type.Literal('on_create')], {
        default: 'always',
        description: 'always: set password when it differs. on_create: only for a new account.',
      }),
    ),
    password_lock: Type.Optional(
      Type.Boolean({
        description:
          'true: lock the password (a "!" in front of the hash, as usermod -L does); false: unlock it. Unset: leave as is.',
      }),
    ),
    system: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Create a system account (uid from the system range, no aging); new accounts only.',
      }),
    ),
    remove: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'With state: absent, also remove the home folder and mail spool (userdel -r).',
      }),
    ),
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'With state: absent, remove the account even while it is logged in, and with remove, a home folder it does not own (userdel -f).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type UserArgs = Static<typeof UserArgs>;

/** What Ansible puts in the result instead of the password. */
const HIDDEN_PASSWORD = 'NOT_LOGGING_PASSWORD';
const PASSWD_PREFIX = 'bosun-passwd=';
/** A home folder that is meant not to exist (Debian's system accounts use it). */
const NO_HOME = '/nonexistent';

/** ASCII control characters (tab, line breaks, escape, DEL...). */
const CONTROL = /[\x00-\x1f\x7f]/;

/** Why an account or group name is unusable; undefined when it is fine. */
export function nameProblem(name: string, what: string): string | undefined {
  if (CONTROL.test(name)) {
    const shown = name.replace(
      /[\x00-\x1f\x7f]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    return `${what} name "${shown}" must not contain control characters (useradd and groupadd refuse them)`;
  }
  if (/[\s:,/]/.test(name)) return `${what} name "${name}" must not contain white space, ":", "," or "/"`;
  if (name.startsWith('-')) return `${what} name "${name}" must not start with "-"`;
  if (/^\d+$/.test(name)) return `${what} name "${name}" must not be all digits (it would read as an id)`;
  return undefined;
}

/**
 * What a field of /etc/passwd (comment, home, shell) cannot hold: ":" separates the fields, a
 * line break ends the entry, and shadow-utils (Debian 12's 4.13) refuses every other control
 * character, a tab included, but only after the account is half made, with the misleading
 * "failure while writing changes to /etc/passwd". Non-ASCII text (UTF-8) is accepted.
 */
export function passwdFieldProblem(value: string, key: string): string | undefined {
  const found = /[:\x00-\x1f\x7f]/.exec(value)?.[0];
  if (found === undefined) return undefined;
  if (found === ':') return `${key} must not contain ":" (it separates the fields of /etc/passwd)`;
  if (found === '\n' || found === '\r') {
    return `${key} must not contain a line break (/etc/passwd holds one account per line)`;
  }
  const what =
    found === '\t' ? 'a tab' : `the control character U+${found.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return `${key} must not contain ${what}: useradd and usermod refuse control characters in /etc/passwd fields (they fail with "failure while writing changes to /etc/passwd")`;
}

/** Crypt hashes ($id$...), traditional DES hashes, and the "no password" markers; "!" in front locks. */
const CRYPT = /^!?(?:\$[0-9a-z-]+\$[^:\s]*|[./0-9A-Za-z]{13}|\*|!|)$/;

export function groupList(groups: string[] | string | undefined): string[] | undefined {
  if (groups === undefined) return undefined;
  const list = Array.isArray(groups) ? groups : groups.split(',');
  return list.map((group) => group.trim()).filter((group) => group !== '');
}

export function checkUserArgs(args: UserArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (!isTemplated(args.name)) {
    const problem = nameProblem(args.name, 'user');
    if (problem) issues.push({ key: 'name', message: problem });
  }
  for (const key of ['comment', 'home', 'shell'] as const) {
    const value = args[key];
    if (value === undefined || isTemplated(value)) continue;
    const problem = passwdFieldProblem(value, key);
    if (problem) issues.push({ key, message: problem });
  }
  if (args.home !== undefined && !isTemplated(args.home) && !args.home.startsWith('/')) {
    issues.push({ key: 'home', message: 'home must be an absolute path' });
  }
  const named: [string, string][] = [
    ...(args.group === undefined ? [] : [['group', String(args.group)] as [string, string]]),
    ...(groupList(args.groups) ?? []).map((group) => ['groups', group] as [string, string]),
  ];
  for (const [key, group] of named) {
    if (isTemplated(group) || /^\d+$/.test(group)) continue;
    const problem = nameProblem(group, 'group');
    if (problem) issues.push({ key, message: problem });
  }
  // The value itself never appears in a message: it may be a secret written in the clear by mistake.
  if (args.password !== undefined && !isTemplated(args.password) && !CRYPT.test(args.password)) {
    issues.push({
      key: 'password',
      message:
        'password must be a crypt hash (for example from `mkpasswd -m sha-512` or `openssl passwd -6`), not the password itself',
    });
  }
  return issues;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function withoutBang(hash: string): string {
  return hash.startsWith('!') ? hash.slice(1) : hash;
}

/** The shadow field the arguments ask for (undefined: leave the password alone). */
function wantedField(args: UserArgs): string | undefined {
  if (args.password === undefined) return undefined;
  if (args.password_lock === true) return `!${withoutBang(args.password)}`;
  if (args.password_lock === false) return withoutBang(args.password);
  return args.password;
}

function groupName(entry: GroupEntry | undefined, id: number): string {
  return entry ? entry.name : String(id);
}

function lookup(facts: UserFacts, wanted: string | number): GroupEntry | undefined {
  return facts.groups.find((group) => namesGroup(wanted, group));
}

/** A step that fails the task with `message` (the plan is the same in check mode and in a run). */
function script(lines: RawShell[]): RawShell {
  return raw(['set -e', ...lines.map((line) => line.text)].join('\n'));
}

/**
 * A missing home folder made the way useradd does: a copy of /etc/skel, mode from the UMASK of
 * login.defs, owned by the account.
 */
function createHomeLines(home: string, owner: RawShell): RawShell[] {
  return [
    sh`h=${home}`,
    raw('mkdir -p -- "$(dirname -- "$h")"'),
    raw('if [ -d /etc/skel ]; then cp -R -P -p -- /etc/skel "$h"; else mkdir -- "$h"; fi'),
    raw(
      `m=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-7]\\{1,\\}\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)`,
    ),
    raw(`chmod -- "$(printf '%o' $(( 0777 & ~0\${m:-022} )))" "$h"`),
    sh`chown -R -- ${owner} "$h"`,
  ];
}

function printEntry(name: string): RawShell {
  return sh`printf '%s%s\\n' ${PASSWD_PREFIX} "$(getent passwd ${name})"`;
}

function passwordStep(name: string, field: string): Step {
  const line = `${name}:${field}\n`;
  return {
    // A cut line would set a cut hash: chpasswd reads it only once it arrived whole.
    command: joinLines([raw('set -e'), ...receiveLines(payloadOf(line)), raw('chpasswd -e < "$tmp"')]),
    stdin: line,
    description: `set the password of ${name}`,
    secrets: [field],
  };
}

interface Change {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  words: string[];
}

function planAbsent(args: UserArgs, facts: UserFacts): Plan {
  const result: Record<string, unknown> = {
    name: args.name,
    state: 'absent',
    remove: args.remove === true,
    force: args.force === true,
  };
  if (!facts.passwd) return { changed: false, reason: `user ${args.name} does not exist`, result };
  const flags = [...(args.remove ? ['-r'] : []), ...(args.force ? ['-f'] : [])];
  const before: Record<string, unknown> = { name: args.name, state: 'present' };
  const after: Record<string, unknown> = { name: args.name, state: 'absent' };
  if (args.remove) {
    before.home = facts.passwd.home;
    after.home = '(removed)';
  }
  return {
    changed: true,
    summary: `remove user ${args.name}${args.remove ? ` and its home ${facts.passwd.home}` : ''}`,
    steps: [{ command: sh`userdel ${[...flags, '--', args.name]}`, description: `remove user ${args.name}` }],
    diffs: [{ before, after }],
    result,
    effects: removedEffects(args.name, facts, args.remove === true),
  };
}

function planCreate(args: UserArgs, facts: UserFacts, result: Record<string, unknown>): Plan {
  const words: string[] = [];
  const after: Record<string, unknown> = { name: args.name, state: 'present' };
  if (args.uid !== undefined) {
    words.push('-u', String(args.uid));
    after.uid = args.uid;
  }
  if (args.group !== undefined) {
    words.push('-g', String(args.group));
    after.group = String(args.group);
  } else if (lookup(facts, args.name)) {
    // useradd would try to create a group of this name and fail: join the existing one.
    words.push('-g', args.name);
    after.group = args.name;
  }
  const groups = groupList(args.groups);
  if (groups !== undefined && groups.length > 0) {
    words.push('-G', groups.join(','));
    after.groups = groups;
  }
  if (args.comment !== undefined) {
    words.push('-c', args.comment);
    after.comment = args.comment;
  }
  if (args.home !== undefined) {
    words.push('-d', args.home);
    after.home = args.home;
  }
  if (args.shell !== undefined) {
    words.push('-s', args.shell);
    after.shell = args.shell;
  }
  words.push(args.create_home === false ? '-M' : '-m');
  if (args.system) {
    words.push('-r');
    after.system = true;
  }
  const lines: RawShell[] = [sh`useradd ${words} -- ${args.name}`];
  const field = wantedField(args);
  if (field === undefined && args.password_lock === true) {
    lines.push(sh`usermod -L -- ${args.name}`);
    after.password_lock = true;
  }
  lines.push(printEntry(args.name));
  const steps: Step[] = [{ command: script(lines), description: `create user ${args.name}` }];
  if (field !== undefined) {
    steps.push(passwordStep(args.name, field));
    after.password = '(set)';
    if (args.password_lock !== undefined) after.password_lock = args.password_lock;
  }
  return {
    changed: true,
    summary: `create user ${args.name}`,
    steps,
    diffs: [{ before: { name: args.name, state: 'absent' }, after }],
    result,
    effects: createdEffects(args, facts, groups, field),
  };
}

/** usermod words for the attributes that differ. */
function attributeChange(args: UserArgs, facts: UserFacts, passwd: PasswdEntry): Change {
  const change: Change = { before: {}, after: {}, words: [] };
  const set = (key: string, flag: string, before: unknown, after: unknown, word: string) => {
    change.before[key] = before;
    change.after[key] = after;
    change.words.push(flag, word);
  };
  if (args.uid !== undefined && args.uid !== passwd.uid) {
    set('uid', '-u', passwd.uid, args.uid, String(args.uid));
  }
  if (args.group !== undefined) {
    const entry = lookup(facts, args.group);
    if (!entry || entry.gid !== passwd.gid) {
      set('group', '-g', groupName(facts.primary, passwd.gid), String(args.group), String(args.group));
    }
  }
  if (args.comment !== undefined && args.comment !== passwd.comment) {
    set('comment', '-c', passwd.comment, args.comment, args.comment);
  }
  if (args.home !== undefined && args.home !== passwd.home) {
    set('home', '-d', passwd.home, args.home, args.home);
    if (args.move_home) change.words.push('-m');
  }
  if (args.shell !== undefined && args.shell !== passwd.shell) {
    set('shell', '-s', passwd.shell, args.shell, args.shell);
  }
  const wanted = groupList(args.groups);
  if (wanted !== undefined) {
    const current = facts.memberOf.map((group) => group.name);
    const has = (group: string) => facts.memberOf.some((member) => namesGroup(group, member));
    const missing = wanted.filter((group) => !has(group));
    if (args.append) {
      if (missing.length > 0) {
        change.before.groups = current;
        change.after.groups = [...current, ...missing];
        change.words.push('-a', '-G', missing.join(','));
      }
    } else {
      const extra = facts.memberOf.filter((member) => !wanted.some((group) => namesGroup(group, member)));
      if (missing.length > 0 || extra.length > 0) {
        change.before.groups = current;
        change.after.groups = wanted;
        change.words.push('-G', wanted.join(','));
      }
    }
  }
  return change;
}

/** Password and lock: a chpasswd step and/or a usermod -L/-U word. */
function passwordChange(
  args: UserArgs,
  facts: UserFacts,
  change: Change,
): { field?: string; lockWord?: '-L' | '-U' } {
  const out: { field?: string; lockWord?: '-L' | '-U' } = {};
  const applies = args.password !== undefined && args.update_password !== 'on_create';
  if (!applies && args.password_lock === undefined) return out;
  if (!facts.shadowReadable) {
    throw moduleFailure(
      `cannot read /etc/shadow to compare the password of ${args.name}: run the task as root (become)`,
    );
  }
  const pw = facts.password;
  const locked = pw?.bang === true && !pw.none;
  const field = applies ? wantedField(args) : undefined;
  if (field !== undefined) {
    if (pw?.full === sha256(field)) return out;
    const sameHash = pw !== undefined && pw.bare === sha256(withoutBang(field));
    if (sameHash && args.password_lock === true) out.lockWord = '-L';
    else if (sameHash && args.password_lock === false) out.lockWord = '-U';
    else {
      out.field = field;
      change.before.password = pw === undefined || pw.none ? '(none)' : '(hidden)';
      change.after.password = '(changed)';
    }
  } else if (args.password_lock === true && !(pw?.bang ?? false)) {
    out.lockWord = '-L';
  } else if (args.password_lock === false && locked) {
    out.lockWord = '-U';
  }
  if (out.lockWord !== undefined) {
    change.before.password_lock = out.lockWord === '-U';
    change.after.password_lock = out.lockWord === '-L';
  }
  return out;
}

function planModify(
  args: UserArgs,
  facts: UserFacts,
  passwd: PasswdEntry,
  result: Record<string, unknown>,
): Plan {
  const change = attributeChange(args, facts, passwd);
  const password = passwordChange(args, facts, change);
  const words = [...change.words, ...(password.lockWord ? [password.lockWord] : [])];
  const lines: RawShell[] = [];
  if (words.length > 0) lines.push(sh`usermod ${words} -- ${args.name}`);

  const home = args.home ?? passwd.home;
  const moved =
    args.home !== undefined && args.home !== passwd.home && args.move_home === true && facts.homeExists;
  const homeExists =
    args.home !== undefined && args.home !== passwd.home ? facts.targetHomeExists || moved : facts.homeExists;
  const effects: Effect[] = [];
  if (args.create_home !== false && !homeExists && home !== NO_HOME && home !== '' && home !== '/') {
    const gid = change.after.group !== undefined ? String(args.group) : String(passwd.gid);
    const uid = args.uid ?? passwd.uid;
    lines.push(...createHomeLines(home, sh`${String(uid)}:${gid}`));
    if (change.after.home === undefined) change.before.home = `${home} (missing)`;
    change.after.home = `${home} (created)`;
    effects.push({
      kind: 'path',
      path: home,
      after: { type: 'directory', owner: String(uid), group: gid },
      why: MADE_HOME,
    });
  }
  if (lines.length === 0 && password.field === undefined) {
    return { changed: false, reason: `user ${args.name} has the attributes asked for`, result };
  }
  const steps: Step[] = [];
  if (lines.length > 0) {
    lines.push(printEntry(args.name));
    steps.push({ command: script(lines), description: `update user ${args.name}` });
  }
  if (password.field !== undefined) steps.push(passwordStep(args.name, password.field));
  const diff: StateDiff = {
    before: { name: args.name, ...change.before },
    after: { name: args.name, ...change.after },
  };
  const keys = Object.keys(change.after);
  effects.unshift({
    kind: 'user',
    name: args.name,
    after: changedAccount(args, facts, change, password.field),
  });
  return {
    changed: true,
    summary: `update user ${args.name}: ${keys.join(', ')}`,
    steps,
    diffs: [diff],
    result,
    effects,
  };
}

/** The fields usermod changes, for check mode. */
function changedAccount(
  args: UserArgs,
  facts: UserFacts,
  change: Change,
  field: string | undefined,
): UserAfter {
  const after: UserAfter = {};
  if ('uid' in change.after && args.uid !== undefined) after.uid = args.uid;
  if ('group' in change.after && args.group !== undefined) {
    after.group = String(args.group);
    const gid = lookup(facts, args.group)?.gid;
    if (gid !== undefined && gid >= 0) after.gid = gid;
  }
  if ('comment' in change.after && args.comment !== undefined) after.comment = args.comment;
  if (args.home !== undefined && args.home !== facts.passwd?.home) after.home = args.home;
  if ('shell' in change.after && args.shell !== undefined) after.shell = args.shell;
  if ('groups' in change.after) {
    const wanted = groupList(args.groups) ?? [];
    after.groups = wanted;
    if (args.append) after.append = true;
  }
  if (field !== undefined) after.password = field;
  return after;
}

export function planUser(args: UserArgs, facts: UserFacts, ctx: ModuleContext): Plan {
  const plan = planAccount(args, facts);
  if (plan.changed && !ctx.diff) delete plan.diffs;
  return plan;
}

function planAccount(args: UserArgs, facts: UserFacts): Plan {
  if (args.state === 'absent') return planAbsent(args, facts);
  const result: Record<string, unknown> = { name: args.name, state: 'present' };
  const passwd = facts.passwd;
  if (passwd) {
    result.uid = args.uid ?? passwd.uid;
    result.group = args.group === undefined ? passwd.gid : (lookup(facts, args.group)?.gid ?? args.group);
    result.comment = args.comment ?? passwd.comment;
    result.home = args.home ?? passwd.home;
    result.shell = args.shell ?? passwd.shell;
  }
  const groups = groupList(args.groups);
  if (groups !== undefined) result.groups = groups;
  if (args.system !== undefined) result.system = args.system;
  if (args.password !== undefined) result.password = HIDDEN_PASSWORD;
  return passwd ? planModify(args, facts, passwd, result) : planCreate(args, facts, result);
}

/** The account as it is after the steps (printed by the first step), for the result. */
export function finishUser(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const result: Record<string, unknown> = { ...plan.result };
  const failed = outputs.find((output) => output.code !== 0);
  if (failed) {
    const msg = firstLine(failed.stderr) || `exit code ${failed.code}`;
    return {
      changed: outputs.indexOf(failed) > 0,
      failed: true,
      msg,
      result: { ...result, msg, rc: failed.code },
    };
  }
  for (const output of outputs) {
    const line = output.stdout.split('\n').find((text) => text.startsWith(PASSWD_PREFIX));
    const entry = line === undefined ? undefined : parsePasswdLine(line.slice(PASSWD_PREFIX.length));
    if (entry && result.state === 'present') {
      Object.assign(result, {
        uid: entry.uid,
        group: entry.gid,
        comment: entry.comment,
        home: entry.home,
        shell: entry.shell,
      });
    }
  }
  return { changed: true, result };
}

function factOptions(args: UserArgs) {
  return {
    groups: [...(args.group === undefined ? [] : [String(args.group)]), ...(groupList(args.groups) ?? [])],
    home: args.home,
  };
}

export const userModule: ModuleDefinition<UserArgs, UserFacts> = {
  name: 'user',
  description:
    'Manage a local user account (useradd/usermod/userdel); the password is given as a crypt hash.',
  schema: UserArgs,
  kind: 'plan',
  checkArgs: checkUserArgs,
  gather: (args) => userFactsScript(args.name, factOptions(args)),
  parse: (result, args) => parseUserFacts(result, args.name),
  overlay: (facts, overlay, args) => overlayUser(facts, overlay, args, factOptions(args).groups),
  predict: {
    // A home the plan makes: its mode and the copy of /etc/skel are read from the host.
    // And the ids useradd chooses for a new account and its group, when none is given.
    script: (_args, _facts, plan) => {
      const parts = [];
      if (plan.effects?.some((effect) => effect.why === NEW_HOME || effect.why === MADE_HOME))
        parts.push(newHomeScript());
      if (needsNewIds(plan.effects)) parts.push(idRangesScript());
      return parts.length === 0 ? undefined : raw(parts.map((part) => part.text).join('\n'));
    },
    parse(result, args, _facts, plan, ctx) {
      const home = parseNewHome(result);
      let effects =
        args.home === undefined ? rehome(plan.effects ?? [], args.name, home.homeBase) : (plan.effects ?? []);
      const ranges = needsNewIds(effects) ? parseIdRanges(result) : undefined;
      if (ranges) effects = withNewIds(effects, ranges, ctx.overlay.state);
      return { effects: withNewHome(effects, home, ctx.overlay) };
    },
  },
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'user: planned without facts');
    return planUser(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishUser(outputs, plan),
};
