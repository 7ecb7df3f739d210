/**
 * Writing a whole file on the host, shared by every module that puts content in a file (copy,
 * template, lineinfile, blockinfile, replace, cron files, sysctl, authorized_key, apt_repository,
 * get_url). The content is always computed on the controller and sent on stdin: a temp file in
 * the same folder gets the bytes, which are checked against the size and sha256 sent (a dropped
 * channel also ends stdin), then the attributes, is validated (when asked), and, if the file is
 * still the one the plan was made from, the old file is backed up (when asked) and the temp file
 * renamed over it (transport/verified-write.ts). Readers see the old file or the new one; an
 * incomplete transfer, a failed validation or a file changed meanwhile leave the old file
 * untouched. Identical content means only attributes may change, which makes check mode and
 * diffs exact.
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { PathStat } from '../facts/path-state.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import { type Fingerprint, type Payload, verifiedWriteScript } from '../transport/verified-write.js';
import {
  type AttributeArgs,
  attributeChanges,
  attributeCommands,
  attributeDiff,
  describeChanges,
  hasChanges,
  targetMode,
} from './attributes.js';
import { formatMode } from './mode.js';
import { splitShellWords } from './shell-words.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, Diff, ModuleContext, ModuleOutcome, Plan, Step } from './types.js';

/** Files larger than this get no text diff (Ansible's max_diff_size). */
export const MAX_DIFF_BYTES = 104448;

const VALIDATE_FAILED = 'bosun-validate-failed';
const BACKUP_PREFIX = 'bosun-backup=';

/** The `backup` argument; `pathArg` names the file argument, `reportedAs` the result key. */
export function backupSchema(pathArg: string, reportedAs: string) {
  return Type.Optional(
    Type.Boolean({
      default: false,
      description: `Keep the replaced file as <${pathArg}>.<pid>.<YYYY-MM-DD@HH:MM:SS>~ (reported as ${reportedAs}).`,
    }),
  );
}

/** The `validate` argument; `pathArg` names the file argument. */
export function validateSchema(pathArg: string) {
  return Type.Optional(
    Type.String({
      minLength: 1,
      description: `Command run on the new file before it replaces ${pathArg}; %s stands for its path (e.g. "visudo -cf %s"). Run without a shell. A failure keeps the old file and fails the task with the command's output.`,
    }),
  );
}

export function checkValidateArg(validate: string | undefined): ArgIssue[] {
  if (validate === undefined || isTemplated(validate)) return [];
  if (!validate.includes('%s')) {
    return [{ key: 'validate', message: 'validate must contain %s (the path of the file to check)' }];
  }
  try {
    splitShellWords(validate);
  } catch (error) {
    return [{ key: 'validate', message: (error as Error).message }];
  }
  return [];
}

/** The validate command with every %s replaced by the temp file ("$tmp"); no word is left unquoted. */
export function validateCommand(validate: string): RawShell {
  const words = splitShellWords(validate).map((word) =>
    word
      .split('%s')
      .map((part) => (part === '' ? '' : quote(part)))
      .join('"$tmp"'),
  );
  // exec in a subshell: the first word is always a program, never a shell keyword.
  return raw(`(exec ${words.map((word) => (word === '' ? "''" : word)).join(' ')})`);
}

export interface WritePlan {
  path: string;
  mode: number;
  owner?: string | undefined;
  group?: string | undefined;
  backup: boolean;
  validate?: string | undefined;
  /** Create the missing folders above path first (lineinfile/blockinfile `create`). */
  parents?: boolean | undefined;
  /** The bytes the step sends on stdin: the host writes nothing unless all of them arrived. */
  payload: Payload;
  /** The file the plan was made from (`fingerprintOf`): the host writes nothing if it changed since. */
  replaces: Fingerprint;
}

/** The atomic, verified write of stdin to `path` (the transports' put writes the same way). */
export function writeScript(plan: WritePlan): RawShell {
  const prepare = attributeCommands(raw('"$tmp"'), { mode: plan.mode, owner: plan.owner, group: plan.group });
  if (plan.validate !== undefined) {
    prepare.push(sh`if ! ${validateCommand(plan.validate)}; then echo ${VALIDATE_FAILED} >&2; exit 1; fi`);
  }
  const beforeRename = plan.backup
    ? [
        raw('b="$$.$(date +%Y-%m-%d@%H:%M:%S)"'),
        sh`cp -p -- ${plan.path} ${`${plan.path}.`}"$b~"`,
        sh`echo ${BACKUP_PREFIX}"$b"`,
      ]
    : [];
  return verifiedWriteScript({
    path: plan.path,
    payload: plan.payload,
    replaces: plan.replaces,
    parents: plan.parents,
    prepare,
    beforeRename,
  });
}

/** The writeKey of a module that writes the file at `path`. */
export function fileKey(path: string): string {
  return `file:${path}`;
}

/** The state a write is planned from, as the host checks it before the rename. */
export function fingerprintOf(facts: {
  stat?: { type: string } | undefined;
  sha256?: string | undefined;
}): Fingerprint {
  if (!facts.stat) return 'absent';
  return facts.stat.type === 'file' && facts.sha256 !== undefined ? facts.sha256 : 'other';
}

/** Bytes a text diff can show: valid UTF-8 without NUL bytes. */
export function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a write needs to know about the destination (a PathState fits). */
export interface WriteFacts {
  stat?: PathStat | undefined;
  sha256?: string | undefined;
  /** The current text, when known (for diffs). */
  content?: string | undefined;
  umask: number;
  uid: number;
  gid: number;
}

export interface WriteInput {
  /** Where the bytes go. */
  path: string;
  facts: WriteFacts;
  bytes: Buffer;
  args: AttributeArgs & { backup?: boolean | undefined; validate?: string | undefined };
  ctx: ModuleContext;
  /** The result so far; mode, owner and group are added. */
  result: Record<string, unknown>;
  /** Create missing folders above path. */
  parents?: boolean;
  /** No-op reason when content and attributes are as asked. */
  unchanged?: string;
  /** Summary when the content changes. */
  summary?: string;
}

/**
 * The plan that puts `bytes` in `path` with the attributes asked: nothing when content and
 * attributes already match, chmod/chown when only attributes differ, else one atomic write.
 */
export function planWrite(input: WriteInput): Plan {
  const { path, facts, bytes, args, ctx, result } = input;
  const stat = facts.stat;
  const sha256 = sha256Of(bytes);
  if (stat?.type === 'file' && facts.sha256 === sha256) {
    const changes = attributeChanges(args, stat, facts.umask);
    result.mode = formatMode(changes.mode?.after ?? stat.mode);
    result.owner = changes.owner?.after ?? stat.user;
    result.group = changes.group?.after ?? stat.group;
    if (!hasChanges(changes)) {
      return {
        changed: false,
        reason: input.unchanged ?? `${path} has the content and attributes asked for`,
        result,
      };
    }
    const commands = attributeCommands(path, {
      mode: changes.mode?.after,
      owner: changes.owner?.after,
      group: changes.group?.after,
    });
    const step: Step = {
      command: raw(['set -e', ...commands.map((c) => c.text)].join('\n')),
      description: `set attributes of ${path}`,
    };
    const plan: Plan = {
      changed: true,
      summary: `${path}: ${describeChanges(changes)}`,
      steps: [step],
      result,
    };
    if (ctx.diff) plan.diffs = [attributeDiff(path, changes)];
    return plan;
  }

  const mode = targetMode(args, stat ? stat.mode : 0o666 & ~facts.umask, false, facts.umask);
  // The temp file belongs to whoever runs the steps; a replaced file keeps its owner and group.
  const owner = args.owner ?? (stat && stat.uid !== facts.uid ? String(stat.uid) : undefined);
  const group = args.group ?? (stat && stat.gid !== facts.gid ? String(stat.gid) : undefined);
  const backup = args.backup === true && stat !== undefined;
  const step: Step = {
    command: writeScript({
      path,
      mode,
      owner,
      group,
      backup,
      validate: args.validate,
      parents: input.parents === true && !stat,
      payload: { size: bytes.length, sha256 },
      replaces: fingerprintOf(facts),
    }),
    stdin: bytes,
    description: `write ${path} (${bytes.length} bytes)`,
  };
  result.mode = formatMode(mode);
  if (args.owner !== undefined || stat) result.owner = args.owner ?? stat?.user;
  if (args.group !== undefined || stat) result.group = args.group ?? stat?.group;
  const plan: Plan = {
    changed: true,
    summary: input.summary ?? (stat ? `update ${path}` : `create ${path} (${bytes.length} bytes)`),
    steps: [step],
    result,
  };
  if (ctx.diff) plan.diffs = writeDiffs(path, args, facts, bytes, sha256, mode);
  return plan;
}

function writeDiffs(
  path: string,
  args: AttributeArgs,
  facts: WriteFacts,
  bytes: Buffer,
  sha256: string,
  mode: number,
): Diff[] {
  const stat = facts.stat;
  const diffs: Diff[] = [];
  const beforeText = stat ? facts.content : '';
  if (
    beforeText !== undefined &&
    beforeText.length <= MAX_DIFF_BYTES &&
    bytes.length <= MAX_DIFF_BYTES &&
    isText(bytes)
  ) {
    diffs.push(
      stat
        ? { path, before: beforeText, after: bytes.toString('utf8') }
        : { path, before: '', after: bytes.toString('utf8'), beforeLabel: '/dev/null' },
    );
  } else {
    diffs.push({
      before: { path, ...(stat ? { sha256: facts.sha256 ?? stat.type } : { state: 'absent' }) },
      after: { path, sha256 },
    });
  }
  if (stat) {
    const changes = attributeChanges(args, stat, facts.umask);
    if (hasChanges(changes)) diffs.push(attributeDiff(path, changes));
  } else {
    const after: Record<string, unknown> = { path, state: 'file', mode: formatMode(mode) };
    if (args.owner !== undefined) after.owner = args.owner;
    if (args.group !== undefined) after.group = args.group;
    diffs.push({ before: { path, state: 'absent' }, after });
  }
  return diffs;
}

/**
 * The outcome of a write plan's step: changed (with the backup's name under `backupKey`), or
 * failed with the validator's output or the write error.
 */
export function finishWrite(
  outputs: { code: number | null; stdout: string; stderr: string }[],
  result: Record<string, unknown>,
  path: string,
  backupKey = 'backup_file',
): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  if (output && output.code === 0) {
    const backup = output.stdout
      .split('\n')
      .filter((line) => line.startsWith(BACKUP_PREFIX))
      .pop();
    const out = { ...result };
    if (backup !== undefined) out[backupKey] = `${path}.${backup.slice(BACKUP_PREFIX.length)}~`;
    return { changed: true, result: out };
  }
  const stderr = output?.stderr ?? '';
  if (stderr.split('\n').includes(VALIDATE_FAILED)) {
    const text = [
      output?.stdout ?? '',
      stderr
        .split('\n')
        .filter((line) => line !== VALIDATE_FAILED)
        .join('\n'),
    ]
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .join('\n');
    const msg = `failed to validate ${path}: ${text || `exit code ${output?.code}`}`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  const msg = `cannot write ${path}: ${stderr.trim() || `exit code ${output?.code}`}`;
  return { changed: false, failed: true, msg, result: { ...result, msg } };
}
