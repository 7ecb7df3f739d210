/**
 * copy: a file on the host with given content (inline `content`, or a controller file `src`),
 * mode, owner and group. Written atomically: a temp file in the same folder gets content and
 * attributes, is validated (when asked), then renamed over the destination, so readers see
 * the old file or the new one and a failed validation leaves the old file untouched.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  type PathState,
  type PathStateOptions,
  parsePathState,
  pathStateScript,
} from '../facts/path-state.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import {
  attributeChanges,
  attributeCommands,
  attributeDiff,
  attributeSchemas,
  checkAttributeArgs,
  describeChanges,
  hasChanges,
  targetMode,
} from './attributes.js';
import { moduleFailure } from './failure.js';
import { formatMode } from './mode.js';
import { splitShellWords } from './shell-words.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, Diff, ModuleContext, ModuleDefinition, ModuleOutcome, Plan, Step } from './types.js';

/** Files larger than this get no text diff (Ansible's max_diff_size). */
export const MAX_DIFF_BYTES = 104448;

export const CopyArgs = Type.Object(
  {
    dest: Type.String({
      minLength: 1,
      description:
        'Path of the file on the host. With src, an existing folder (or a path ending in /) receives the file under the name of src.',
    }),
    content: Type.Optional(
      Type.String({ description: 'The file content, given inline (exclusive with src).' }),
    ),
    src: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A file on the controller to copy (relative: the role's files/ folder, then the playbook folder).",
      }),
    ),
    ...attributeSchemas,
    backup: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Keep the replaced file as <dest>.<pid>.<YYYY-MM-DD@HH:MM:SS>~ (reported as backup_file).',
      }),
    ),
    validate: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Command run on the new file before it replaces dest; %s stands for its path (e.g. "visudo -cf %s"). Run without a shell. A failure keeps the old file and fails the task with the command\'s output.',
      }),
    ),
    force: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Replace dest when its content differs; false: only create it when missing.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CopyArgs = Static<typeof CopyArgs> & {
  /** The bytes to write, set by prepare (from content or src). */
  bytes?: Buffer;
};

const VALIDATE_FAILED = 'bosun-validate-failed';
const BACKUP_PREFIX = 'bosun-backup=';

function stateOptions(args: CopyArgs, ctx: ModuleContext): PathStateOptions {
  const options: PathStateOptions = {};
  if (args.src !== undefined) options.into = posix.basename(args.src);
  if (ctx.diff) options.contentLimit = MAX_DIFF_BYTES;
  return options;
}

function bytesOf(args: CopyArgs): Buffer {
  if (args.bytes) return args.bytes;
  if (args.content !== undefined) return Buffer.from(args.content, 'utf8');
  throw new BosunError('BOSUN_INTERNAL', 'copy: src was not read before planning (prepare was not called)');
}

export function checkCopyArgs(args: CopyArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (args.content === undefined && args.src === undefined) {
    issues.push({ message: 'give content or src' });
  } else if (args.content !== undefined && args.src !== undefined) {
    issues.push({ key: 'src', message: 'content and src are mutually exclusive' });
  }
  if (args.content !== undefined && typeof args.dest === 'string' && args.dest.endsWith('/')) {
    issues.push({ key: 'dest', message: 'dest ends with / (a folder): with content, name the file' });
  }
  if (args.validate !== undefined && !isTemplated(args.validate)) {
    if (!args.validate.includes('%s')) {
      issues.push({ key: 'validate', message: 'validate must contain %s (the path of the file to check)' });
    } else {
      try {
        splitShellWords(args.validate);
      } catch (error) {
        issues.push({ key: 'validate', message: (error as Error).message });
      }
    }
  }
  return [...issues, ...checkAttributeArgs(args)];
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

interface WritePlan {
  path: string;
  mode: number;
  owner?: string | undefined;
  group?: string | undefined;
  backup: boolean;
  validate?: string | undefined;
}

/** The atomic write of stdin to `path` (same approach as the transports' put). */
export function writeScript(plan: WritePlan): RawShell {
  const dir = posix.dirname(plan.path);
  let template = `${dir === '/' ? '' : dir}/.${posix.basename(plan.path)}.bosun-XXXXXX`;
  if (template.startsWith('-')) template = `./${template}`;
  const lines: RawShell[] = [
    raw('set -e'),
    raw('umask 077'),
    sh`tmp=$(mktemp ${template})`,
    raw(`trap 'rm -f -- "$tmp"' EXIT`),
    raw('cat > "$tmp"'),
    ...attributeCommands(raw('"$tmp"'), { mode: plan.mode, owner: plan.owner, group: plan.group }),
  ];
  if (plan.validate !== undefined) {
    lines.push(sh`if ! ${validateCommand(plan.validate)}; then echo ${VALIDATE_FAILED} >&2; exit 1; fi`);
  }
  if (plan.backup) {
    lines.push(
      raw('b="$$.$(date +%Y-%m-%d@%H:%M:%S)"'),
      sh`cp -p -- ${plan.path} ${`${plan.path}.`}"$b~"`,
      sh`echo ${BACKUP_PREFIX}"$b"`,
    );
  }
  lines.push(sh`mv -f -- "$tmp" ${plan.path}`, raw('trap - EXIT'));
  return raw(lines.map((line) => line.text).join('\n'));
}

function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function planCopy(args: CopyArgs, facts: PathState, ctx: ModuleContext): Plan {
  const bytes = bytesOf(args);
  const path = facts.path;
  if (args.dest.endsWith('/') && path === args.dest) {
    throw moduleFailure(`destination folder ${args.dest} does not exist`, { path });
  }
  if (!facts.parentExists) {
    throw moduleFailure(`destination folder ${posix.dirname(path)} does not exist`, { path });
  }
  const stat = facts.stat;
  if (stat?.type === 'directory') throw moduleFailure(`${path} is a directory`, { path });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const result: Record<string, unknown> = { dest: path, sha256, size: bytes.length };

  if (stat && args.force === false) {
    return { changed: false, reason: `${path} exists and force is false`, result };
  }
  if (stat?.type === 'file' && facts.sha256 === sha256) {
    const changes = attributeChanges(args, stat, facts.umask);
    result.mode = formatMode(changes.mode?.after ?? stat.mode);
    result.owner = changes.owner?.after ?? stat.user;
    result.group = changes.group?.after ?? stat.group;
    if (!hasChanges(changes)) {
      return { changed: false, reason: `${path} has the content and attributes asked for`, result };
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
    command: writeScript({ path, mode, owner, group, backup, validate: args.validate }),
    stdin: bytes,
    description: `write ${path} (${bytes.length} bytes)`,
  };
  result.mode = formatMode(mode);
  if (args.owner !== undefined || stat) result.owner = args.owner ?? stat?.user;
  if (args.group !== undefined || stat) result.group = args.group ?? stat?.group;
  const plan: Plan = {
    changed: true,
    summary: stat ? `update ${path}` : `create ${path} (${bytes.length} bytes)`,
    steps: [step],
    result,
  };
  if (ctx.diff) plan.diffs = copyDiffs(args, facts, bytes, sha256, mode);
  return plan;
}

function copyDiffs(args: CopyArgs, facts: PathState, bytes: Buffer, sha256: string, mode: number): Diff[] {
  const path = facts.path;
  const stat = facts.stat;
  const diffs: Diff[] = [];
  const beforeText = stat ? facts.content : '';
  if (beforeText !== undefined && bytes.length <= MAX_DIFF_BYTES && isText(bytes)) {
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

export function finishCopy(
  outputs: { code: number | null; stdout: string; stderr: string }[],
  result: Record<string, unknown>,
): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  const dest = String(result.dest);
  if (output && output.code === 0) {
    const backup = output.stdout
      .split('\n')
      .filter((line) => line.startsWith(BACKUP_PREFIX))
      .pop();
    const out = { ...result };
    if (backup !== undefined) out.backup_file = `${dest}.${backup.slice(BACKUP_PREFIX.length)}~`;
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
    const msg = `failed to validate ${dest}: ${text || `exit code ${output?.code}`}`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  const msg = `cannot write ${dest}: ${stderr.trim() || `exit code ${output?.code}`}`;
  return { changed: false, failed: true, msg, result: { ...result, msg } };
}

export const copyModule: ModuleDefinition<CopyArgs, PathState> = {
  name: 'copy',
  description: 'Put a file on the host (inline content or a controller file), atomically.',
  schema: CopyArgs,
  kind: 'plan',
  checkArgs: checkCopyArgs,
  async prepare(args, ctx) {
    if (args.src === undefined) return args;
    return { ...args, bytes: await ctx.readLocalFile(args.src) };
  },
  gather: (args, ctx) => pathStateScript(args.dest, stateOptions(args, ctx)),
  parse: (result, args, ctx) => parsePathState(result, args.dest, stateOptions(args, ctx)),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'copy: planned without facts');
    return planCopy(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishCopy(outputs, plan.result ?? {}),
};
