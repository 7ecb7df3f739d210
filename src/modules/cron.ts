/**
 * cron: entries of a user's crontab (installed with `crontab -`) or of a file in /etc/cron.d.
 * Each job is known by a `#Ansible: <name>` line above it, the marker Ansible's cron module
 * writes, so a crontab Ansible managed is taken over as is. A job line identical to the one
 * asked for but without a marker is adopted by adding the marker. With `env`, the entry is a
 * `NAME="value"` line instead (put first, as Ansible does).
 */
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  CRONTAB_MISSING,
  type CrontabFacts,
  crontabFingerprintLine,
  crontabScript,
  parseCrontab,
} from '../facts/crontab.js';
import { type PathState, parsePathState, pathStateScript } from '../facts/path-state.js';
import { overlayCrontab } from '../predict/crontab.js';
import { overlayPathState } from '../predict/paths.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { payloadOf, receiveLines, refuseStale } from '../transport/verified-write.js';
import { failingStep, firstLine, moduleFailure } from './failure.js';
import { fileKey, finishWrite, planWrite } from './file-write.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ChangePlan, ModuleContext, ModuleDefinition, ModuleOutcome, Plan } from './types.js';
import { nameProblem } from './user.js';
import { withWriteEffects } from './write-effects.js';

const TIME_FIELDS = ['minute', 'hour', 'day', 'month', 'weekday'] as const;

function timeField(what: string) {
  return Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], {
      default: '*',
      description: `${what} field of the schedule, as cron writes it ("*", "5", "*/10", "1-5", "mon"...).`,
    }),
  );
}

export const CronArgs = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description:
        'Name of the entry (the `#Ansible: <name>` line above the job); with env, the variable name.',
    }),
    job: Type.Optional(
      Type.String({
        description:
          'The command (with env, the value). Required with state: present. One line; "%" means a line break to cron, write "\\%" for a literal one.',
      }),
    ),
    minute: timeField('Minute'),
    hour: timeField('Hour'),
    day: timeField('Day of the month'),
    month: timeField('Month'),
    weekday: timeField('Day of the week'),
    special_time: Type.Optional(
      Type.Union(
        ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'].map((value) =>
          Type.Literal(value),
        ),
        { description: 'A nickname (@daily, @reboot...) instead of minute, hour, day, month and weekday.' },
      ),
    ),
    user: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Whose crontab to change (default: the user the task runs as). With cron_file, the user the job runs as (default root).',
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description:
          'present: the entry exists as given. absent: the entry (marker and job line) is removed.',
      }),
    ),
    disabled: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Keep the job, commented out (a "#" in front of its line).',
      }),
    ),
    env: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'The entry is an environment variable: name is its name and job its value.',
      }),
    ),
    cron_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Write to this file instead of a user crontab: a name in /etc/cron.d (cron ignores names with dots) or an absolute path. Lines then carry the user. Removing its last entry removes the file.',
      }),
    ),
    backup: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Save the crontab before changing it: a user crontab to a temp file, a cron_file as <file>.<pid>.<date>~ (reported as backup_file).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CronArgs = Static<typeof CronArgs>;

export type CronFacts = { kind: 'crontab'; crontab: CrontabFacts } | { kind: 'file'; file: PathState };

const MARKER = '#Ansible: ';
const BACKUP_PREFIX = 'bosun-crontab-backup=';
/** cron.d files are small; anything larger is not one. */
const MAX_CRON_FILE = 1 << 20;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function cronFilePath(cronFile: string): string {
  return cronFile.startsWith('/') ? cronFile : posix.join('/etc/cron.d', cronFile);
}

export function checkCronArgs(args: CronArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  const oneLine = (key: string, value: string | undefined) => {
    if (value !== undefined && /[\n\r]/.test(value)) issues.push({ key, message: `${key} must be one line` });
  };
  oneLine('name', args.name);
  // Like Ansible, line breaks around the job are dropped; inside it they would split the entry.
  oneLine('job', args.job?.replace(/^[\r\n]+|[\r\n]+$/g, ''));
  oneLine('cron_file', args.cron_file);
  if (args.state !== 'absent' && args.job === undefined) {
    issues.push({
      key: 'job',
      message: args.env ? 'job (the value) is required with env' : 'job is required with state: present',
    });
  }
  for (const key of TIME_FIELDS) {
    const value = args[key];
    if (value === undefined || isTemplated(value)) continue;
    if (/\s/.test(String(value))) issues.push({ key, message: `${key} must be one word, without blanks` });
    if (args.special_time !== undefined) {
      issues.push({ key: 'special_time', message: `special_time and ${key} are mutually exclusive` });
    }
  }
  if (args.env && !isTemplated(args.name) && !ENV_NAME.test(args.name)) {
    issues.push({ key: 'name', message: `"${args.name}" is not a variable name (letters, digits and _)` });
  }
  if (args.env && args.job?.includes('"') && args.job.includes("'")) {
    issues.push({
      key: 'job',
      message: 'an environment value cannot hold both \' and " (cron has no escapes)',
    });
  }
  if (args.user !== undefined && !isTemplated(args.user)) {
    const problem = nameProblem(args.user, 'user');
    if (problem) issues.push({ key: 'user', message: problem });
  }
  if (args.cron_file?.endsWith('/')) {
    issues.push({ key: 'cron_file', message: 'cron_file must name a file' });
  }
  return issues;
}

function splitLines(content: string): string[] {
  if (content === '') return [];
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function jobLine(args: CronArgs): string {
  const job = (args.job ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
  const prefix = args.disabled ? '#' : '';
  const user = args.cron_file !== undefined ? [args.user ?? 'root'] : [];
  const when =
    args.special_time !== undefined
      ? [`@${args.special_time}`]
      : TIME_FIELDS.map((key) => String(args[key] ?? '*'));
  return prefix + [...when, ...user, job].join(' ');
}

export function envLine(args: CronArgs): string {
  const value = args.job ?? '';
  return value.includes('"') ? `${args.name}='${value}'` : `${args.name}="${value}"`;
}

/** The crontab's lines after the change the arguments ask for. */
export function editCrontab(lines: string[], args: CronArgs): string[] {
  const out = [...lines];
  if (args.env) {
    const isDecl = (line: string) => line.startsWith(`${args.name}=`);
    if (args.state === 'absent') return out.filter((line) => !isDecl(line));
    const wanted = envLine(args);
    const index = out.findIndex(isDecl);
    if (index < 0) out.unshift(wanted);
    else out[index] = wanted;
    return out;
  }
  const marker = MARKER + args.name;
  if (args.state === 'absent') {
    let index = out.indexOf(marker);
    while (index >= 0) {
      out.splice(index, 2);
      index = out.indexOf(marker);
    }
    return out;
  }
  const wanted = jobLine(args);
  const index = out.indexOf(marker);
  if (index >= 0) {
    if (index + 1 < out.length) out[index + 1] = wanted;
    else out.push(wanted);
    return out;
  }
  const bare = out.indexOf(wanted);
  if (bare >= 0 && out[bare - 1]?.startsWith(MARKER) !== true) out.splice(bare, 0, marker);
  else out.push(marker, wanted);
  return out;
}

function entryNames(lines: string[]): { jobs: string[]; envs: string[] } {
  return {
    jobs: lines.filter((line) => line.startsWith(MARKER)).map((line) => line.slice(MARKER.length)),
    envs: lines
      .filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line))
      .map((line) => line.slice(0, line.indexOf('='))),
  };
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

function text(lines: string[]): string {
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function unchanged(args: CronArgs): string {
  return args.state === 'absent' ? 'is absent' : 'is as asked';
}

function entryWord(args: CronArgs): string {
  return args.env ? `variable ${args.name}` : `job "${args.name}"`;
}

function planCrontab(
  args: CronArgs,
  facts: CrontabFacts,
  ctx: ModuleContext,
  result: Record<string, unknown>,
): Plan {
  if (facts.commandMissing) {
    throw moduleFailure(`cannot read the crontab of ${args.user ?? 'the task user'}: ${CRONTAB_MISSING}`);
  }
  if (facts.userMissing) {
    if (args.state === 'absent')
      return { changed: false, reason: `user ${args.user} does not exist`, result };
    return {
      changed: true,
      summary: `add ${entryWord(args)} to the crontab of ${args.user} (the user does not exist yet)`,
      steps: [failingStep(`user ${args.user} does not exist`)],
      result,
    };
  }
  const user = args.user ?? facts.user ?? 'the task user';
  result.user = user;
  const before = splitLines(facts.content);
  const after = editCrontab(before, args);
  Object.assign(result, entryNames(after));
  const label = `crontab of ${user}`;
  if (sameLines(before, after)) {
    return { changed: false, reason: `${entryWord(args)} in the ${label} ${unchanged(args)}`, result };
  }
  const u: RawShell = args.user === undefined ? raw('') : sh` -u ${args.user}`;
  const lines: RawShell[] = [raw('set -e')];
  if (args.backup && facts.exists) {
    lines.push(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      raw('b=$(mktemp "${TMPDIR:-/tmp}/crontab.XXXXXX")'),
      sh`crontab -l${u} > "$b"`,
      sh`echo ${BACKUP_PREFIX}"$b"`,
    );
  }
  const content = text(after);
  const empty = content === '';
  // The new crontab is received whole and checked before the old one is looked at again.
  if (!empty) lines.push(...receiveLines(payloadOf(content)));
  lines.push(
    crontabFingerprintLine(args.user),
    refuseStale(label, facts.exists ? (facts.sha256 ?? 'other') : 'absent'),
    empty ? sh`crontab${u} -r` : sh`crontab${u} - < "$tmp"`,
  );
  const plan: ChangePlan = {
    changed: true,
    summary: `${args.state === 'absent' ? 'remove' : 'set'} ${entryWord(args)} ${args.state === 'absent' ? 'from' : 'in'} the ${label}`,
    steps: [
      {
        command: raw(lines.map((line) => line.text).join('\n')),
        ...(empty ? {} : { stdin: content }),
        description: empty ? `remove the ${label}` : `install the ${label}`,
      },
    ],
    result,
    effects:
      facts.user === undefined && args.user === undefined
        ? []
        : [{ kind: 'crontab', user: args.user ?? (facts.user as string), content: empty ? null : content }],
  };
  if (ctx.diff) {
    plan.diffs = [
      facts.exists
        ? { path: label, before: facts.content, after: content }
        : { path: label, before: '', after: content, beforeLabel: '/dev/null' },
    ];
  }
  return plan;
}

function planCronFile(
  args: CronArgs,
  facts: PathState,
  ctx: ModuleContext,
  result: Record<string, unknown>,
): Plan {
  const path = facts.path;
  result.cron_file = path;
  const stat = facts.stat;
  if (stat && stat.type !== 'file') throw moduleFailure(`${path} is not a regular file`, { path });
  if (stat && facts.content === undefined) {
    throw moduleFailure(`${path} is not a cron file (binary, or larger than ${MAX_CRON_FILE} bytes)`, {
      path,
    });
  }
  const before = splitLines(facts.content ?? '');
  const after = editCrontab(before, args);
  Object.assign(result, entryNames(after));
  if (sameLines(before, after)) {
    return { changed: false, reason: `${entryWord(args)} in ${path} ${unchanged(args)}`, result };
  }
  if (!facts.parentExists) {
    throw moduleFailure(`folder ${posix.dirname(path)} does not exist (is cron installed?)`, { path });
  }
  if (after.length === 0) {
    // Nothing left but an empty file: remove it (and keep a backup when asked).
    const lines: RawShell[] = [raw('set -e')];
    if (args.backup) {
      lines.push(
        raw('b="$$.$(date +%Y-%m-%d@%H:%M:%S)"'),
        sh`cp -p -- ${path} ${`${path}.`}"$b~"`,
        sh`echo bosun-backup="$b"`,
      );
    }
    lines.push(sh`rm -f -- ${path}`);
    const plan: ChangePlan = {
      changed: true,
      summary: `remove ${entryWord(args)} and ${path}, now empty`,
      steps: [{ command: raw(lines.map((line) => line.text).join('\n')), description: `remove ${path}` }],
      result,
      effects: [{ kind: 'path', path, after: { type: 'absent' } }],
    };
    if (ctx.diff) plan.diffs = [{ path, before: facts.content ?? '', after: '', afterLabel: '/dev/null' }];
    return plan;
  }
  const bytes = Buffer.from(text(after), 'utf8');
  const plan = planWrite({
    path,
    facts,
    bytes,
    args: { backup: args.backup === true, ...(stat ? {} : { mode: '0644' }) },
    ctx,
    result,
    summary: `${args.state === 'absent' ? 'remove' : 'set'} ${entryWord(args)} ${args.state === 'absent' ? 'from' : 'in'} ${path}`,
  });
  return withWriteEffects(plan, { path, bytes, facts });
}

export function planCron(args: CronArgs, facts: CronFacts, ctx: ModuleContext): Plan {
  const result: Record<string, unknown> = { name: args.name, state: args.state ?? 'present' };
  return facts.kind === 'file'
    ? planCronFile(args, facts.file, ctx, result)
    : planCrontab(args, facts.crontab, ctx, result);
}

export function finishCron(args: CronArgs, outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const result: Record<string, unknown> = { ...plan.result };
  if (args.cron_file !== undefined) return finishWrite(outputs, result, String(result.cron_file));
  const output = outputs[outputs.length - 1];
  if (output?.code !== 0) {
    const msg = firstLine(output?.stderr ?? '') || `exit code ${output?.code}`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  const backup = output.stdout.split('\n').find((line) => line.startsWith(BACKUP_PREFIX));
  if (backup !== undefined) result.backup_file = backup.slice(BACKUP_PREFIX.length);
  return { changed: true, result };
}

export const cronModule: ModuleDefinition<CronArgs, CronFacts> = {
  name: 'cron',
  description: 'Manage named cron jobs and variables in a user crontab or a file in /etc/cron.d.',
  schema: CronArgs,
  kind: 'plan',
  checkArgs: checkCronArgs,
  writeKey: (args) =>
    args.cron_file !== undefined ? fileKey(cronFilePath(args.cron_file)) : `crontab:${args.user ?? ''}`,
  gather: (args) =>
    args.cron_file !== undefined
      ? pathStateScript(cronFilePath(args.cron_file), { contentLimit: MAX_CRON_FILE })
      : crontabScript(args.user),
  parse(result, args): CronFacts {
    if (args.cron_file === undefined) return { kind: 'crontab', crontab: parseCrontab(result, args.user) };
    const path = cronFilePath(args.cron_file);
    return { kind: 'file', file: parsePathState(result, path, { contentLimit: MAX_CRON_FILE }) };
  },
  overlay(facts, overlay, args): CronFacts {
    if (facts.kind === 'crontab')
      return { kind: 'crontab', crontab: overlayCrontab(facts.crontab, args.user, overlay) };
    const path = cronFilePath(args.cron_file as string);
    return {
      kind: 'file',
      file: overlayPathState(facts.file, { path, contentLimit: MAX_CRON_FILE }, overlay),
    };
  },
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'cron: planned without facts');
    return planCron(args, facts, ctx);
  },
  finish: (args, outputs, _ctx, plan) => finishCron(args, outputs, plan),
};
