/**
 * get_url: a file downloaded by the host itself (curl, wget or python3) and put in place
 * atomically with mode, owner and group, keeping a backup when asked. With a checksum the
 * gather compares it with the file there and nothing is downloaded when they match; without
 * one, an existing file is left alone (force: false, the default) or downloaded to a temp file
 * by the gather to compare (force: true), since only the content can tell.
 */
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { type PathState, parsePathState, pathStateScript } from '../facts/path-state.js';
import { parseReport, single } from '../facts/report.js';
import type { FileAttributes } from '../predict/effects.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
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
import { DOWNLOAD_FAILED, fetchFunction, URL_PATTERN, urlFileName } from './download.js';
import { moduleFailure } from './failure.js';
import { backupSchema, fileKey, fingerprintOf, finishWrite, writeScript } from './file-write.js';
import { formatMode } from './mode.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  Diff,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
} from './types.js';

const ALGORITHMS: Record<string, number> = {
  md5: 32,
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

export const GetUrlArgs = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: 'http://, https://, ftp:// or file:// URL, fetched by the host.',
    }),
    dest: Type.String({
      minLength: 1,
      description:
        "Path of the file; an existing folder receives the file under the URL's last path segment.",
    }),
    checksum: Type.Optional(
      Type.String({
        description:
          '"<algorithm>:<hex digest>" (sha256, sha512, sha1, md5...). A file there with this checksum is not downloaded again; a download with another one fails and leaves dest alone.',
      }),
    ),
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Without checksum: false leaves an existing dest alone; true downloads to a temp file on every run to compare, and replaces dest when the content differs.',
      }),
    ),
    timeout: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 10,
        description: 'Seconds a connection or a stalled transfer may take.',
      }),
    ),
    ...attributeSchemas,
    backup: backupSchema('dest', 'backup_file'),
  },
  { additionalProperties: false },
);
export type GetUrlArgs = Static<typeof GetUrlArgs>;

export interface GetUrlFacts {
  file: PathState;
  /** The existing file's digest in the checksum's algorithm (when not sha256). */
  checksum?: string;
  /** sha256 of what the URL serves now (force without checksum, dest existing). */
  remoteSha256?: string;
}

const CHECKSUM_MISMATCH = 'bosun-checksum-mismatch';
const DOWNLOADED_PREFIX = 'bosun-sha256=';
const GATHER_DOWNLOAD_FAILED = 5;

function splitChecksum(checksum: string): { algorithm: string; digest: string } {
  const [algorithm = '', digest = ''] = checksum.split(':', 2);
  return { algorithm: algorithm.toLowerCase(), digest: digest.toLowerCase() };
}

/** The checksum argument, known to be valid: its algorithm names a program (`<algorithm>sum`). */
function parseChecksum(checksum: string): { algorithm: string; digest: string } {
  const parsed = splitChecksum(checksum);
  if (ALGORITHMS[parsed.algorithm] === undefined) {
    throw new BosunError('BOSUN_INPUT', `get_url: unknown checksum algorithm in "${checksum}"`);
  }
  return parsed;
}

export function checkGetUrlArgs(args: GetUrlArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (!isTemplated(args.url) && !URL_PATTERN.test(args.url)) {
    issues.push({ key: 'url', message: `"${args.url}" is not an http, https, ftp or file URL` });
  }
  if (args.checksum !== undefined && !isTemplated(args.checksum)) {
    const { algorithm, digest } = splitChecksum(args.checksum);
    const length = ALGORITHMS[algorithm];
    if (length === undefined) {
      issues.push({
        key: 'checksum',
        message: `checksum must be "<algorithm>:<hex digest>" with one of ${Object.keys(ALGORITHMS).join(', ')}`,
      });
    } else if (!new RegExp(`^[0-9a-f]{${length}}$`).test(digest)) {
      issues.push({ key: 'checksum', message: `a ${algorithm} digest is ${length} hexadecimal digits` });
    }
  }
  return [...issues, ...checkAttributeArgs(args)];
}

function into(args: GetUrlArgs): string {
  return urlFileName(args.url);
}

export function getUrlScript(args: GetUrlArgs): RawShell {
  const lines: RawShell[] = [pathStateScript(args.dest, { into: into(args) })];
  if (args.checksum !== undefined) {
    const { algorithm } = parseChecksum(args.checksum);
    if (algorithm !== 'sha256') {
      lines.push(
        raw(`if [ -f "$p" ]; then h=$(${algorithm}sum < "$p") || exit 1; echo "checksum=\${h%% *}"; fi`),
      );
    }
  } else if (args.force === true) {
    // Only the content tells whether the URL serves something else: fetch it to compare.
    lines.push(
      raw('if [ -f "$p" ]; then'),
      fetchFunction(args.timeout ?? 10),
      raw('t=$(mktemp) || exit 1'),
      raw(`trap 'rm -f -- "$t"' EXIT`),
      sh`if ! bosun_fetch ${args.url} "$t"; then exit ${GATHER_DOWNLOAD_FAILED}; fi`,
      raw('h=$(sha256sum < "$t") || exit 1'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      raw('echo "remote_sha256=${h%% *}"'),
      raw('fi'),
    );
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseGetUrl(result: ExecResult, args: GetUrlArgs): GetUrlFacts {
  if (result.code === GATHER_DOWNLOAD_FAILED) {
    throw moduleFailure(`cannot download ${args.url}: ${result.stderr.trim() || 'download failed'}`, {
      url: args.url,
      stderr: result.stderr,
    });
  }
  const file = parsePathState(result, args.dest, { into: into(args) });
  const report = parseReport(result.stdout);
  const facts: GetUrlFacts = { file };
  const checksum = single(report, 'checksum');
  if (checksum !== undefined) facts.checksum = checksum;
  const remote = single(report, 'remote_sha256');
  if (remote !== undefined) facts.remoteSha256 = remote;
  return facts;
}

function downloadScript(args: GetUrlArgs, write: RawShell): RawShell {
  const lines: RawShell[] = [
    raw('set -e'),
    fetchFunction(args.timeout ?? 10),
    raw('dl=$(mktemp)'),
    raw(`trap 'rm -f -- "$dl"' EXIT`),
    sh`bosun_fetch ${args.url} "$dl" || { echo ${DOWNLOAD_FAILED} >&2; exit 1; }`,
  ];
  if (args.checksum !== undefined) {
    const { algorithm, digest } = parseChecksum(args.checksum);
    lines.push(
      raw(`h=$(${algorithm}sum < "$dl"); h=\${h%% *}`),
      sh`if [ "$h" != ${digest} ]; then echo ${CHECKSUM_MISMATCH} "$h" >&2; exit 1; fi`,
    );
  }
  lines.push(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    raw('h=$(sha256sum < "$dl"); dl_sum=${h%% *}; dl_size=$(($(wc -c < "$dl")))'),
    raw(`echo "${DOWNLOADED_PREFIX}$dl_sum"`),
    // The shared atomic write reads the file on its standard input; its own trap stays in the subshell.
    raw(`(\n${write.text}\n) < "$dl"`),
  );
  return raw(lines.map((line) => line.text).join('\n'));
}

/** mode, owner and group as the plan's result states them (check mode's effects). */
function attributeSet(result: Record<string, unknown>): FileAttributes {
  const set: FileAttributes = {};
  if (typeof result.mode === 'string') set.mode = Number.parseInt(result.mode, 8);
  if (typeof result.owner === 'string') set.owner = result.owner;
  if (typeof result.group === 'string') set.group = result.group;
  return set;
}

export function planGetUrl(args: GetUrlArgs, facts: GetUrlFacts, ctx: ModuleContext): Plan {
  const { file } = facts;
  const path = file.path;
  if (args.dest.endsWith('/') && path === args.dest) {
    throw moduleFailure(`destination folder ${args.dest} does not exist`, { path });
  }
  if (!file.parentExists)
    throw moduleFailure(`destination folder ${posix.dirname(path)} does not exist`, { path });
  const stat = file.stat;
  if (stat && stat.type !== 'file') throw moduleFailure(`${path} exists and is not a regular file`, { path });
  const result: Record<string, unknown> = { url: args.url, dest: path };
  const expected = args.checksum === undefined ? undefined : parseChecksum(args.checksum);
  if (args.checksum !== undefined) result.checksum = args.checksum;

  let unchanged: string | undefined;
  if (stat) {
    if (expected) {
      const current = expected.algorithm === 'sha256' ? file.sha256 : facts.checksum;
      if (current === expected.digest) unchanged = `${path} has the checksum asked for`;
    } else if (args.force !== true) {
      unchanged = `${path} exists and force is false (give checksum to compare it)`;
    } else if (facts.remoteSha256 === file.sha256) {
      unchanged = `${path} is what ${args.url} serves (downloaded to compare: a checksum avoids that)`;
    }
  }

  if (unchanged !== undefined && stat) {
    if (file.sha256 !== undefined) result.sha256 = file.sha256;
    const changes = attributeChanges(args, stat, file.umask);
    result.mode = formatMode(changes.mode?.after ?? stat.mode);
    result.owner = changes.owner?.after ?? stat.user;
    result.group = changes.group?.after ?? stat.group;
    if (!hasChanges(changes)) return { changed: false, reason: unchanged, result };
    const commands = attributeCommands(path, {
      mode: changes.mode?.after,
      owner: changes.owner?.after,
      group: changes.group?.after,
    });
    const plan: ChangePlan = {
      changed: true,
      summary: `${path}: ${describeChanges(changes)}`,
      steps: [
        {
          command: raw(['set -e', ...commands.map((c) => c.text)].join('\n')),
          description: `set attributes of ${path}`,
        },
      ],
      result,
      // Check mode: what later tasks see here.
      effects: [{ kind: 'attributes', path, set: attributeSet(result) }],
    };
    if (ctx.diff) plan.diffs = [attributeDiff(path, changes)];
    return plan;
  }

  const mode = targetMode(args, stat ? stat.mode : 0o666 & ~file.umask, false, file.umask);
  // The temp file belongs to whoever runs the steps; a replaced file keeps its owner and group.
  const owner = args.owner ?? (stat && stat.uid !== file.uid ? String(stat.uid) : undefined);
  const group = args.group ?? (stat && stat.gid !== file.gid ? String(stat.gid) : undefined);
  const write = writeScript({
    path,
    mode,
    owner,
    group,
    backup: args.backup === true && stat !== undefined,
    // What the download step measured of its own temp file (downloadScript).
    payload: { size: raw('"$dl_size"'), sha256: raw('"$dl_sum"') },
    replaces: fingerprintOf(file),
  });
  result.mode = formatMode(mode);
  if (args.owner !== undefined || stat) result.owner = args.owner ?? stat?.user;
  if (args.group !== undefined || stat) result.group = args.group ?? stat?.group;
  const plan: ChangePlan = {
    changed: true,
    summary: `${stat ? 'replace' : 'download'} ${path} from ${args.url}`,
    steps: [{ command: downloadScript(args, write), description: `download ${args.url} to ${path}` }],
    result,
    // Check mode: a file whose bytes are known only once downloaded.
    effects: [{ kind: 'path', path, after: { type: 'file', ...attributeSet(result) } }],
  };
  if (ctx.diff) {
    const after: Record<string, unknown> = { path };
    if (expected) after[expected.algorithm] = expected.digest;
    else if (facts.remoteSha256 !== undefined) after.sha256 = facts.remoteSha256;
    else after.content = `downloaded from ${args.url}`;
    const diffs: Diff[] = [
      {
        before: stat ? { path, sha256: file.sha256 } : { path, state: 'absent' },
        after: { ...after, mode: formatMode(mode) },
      },
    ];
    if (stat) {
      const changes = attributeChanges(args, stat, file.umask);
      if (hasChanges(changes)) diffs.push(attributeDiff(path, changes));
    }
    plan.diffs = diffs;
  }
  return plan;
}

export function finishGetUrl(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  const result = { ...plan.result };
  const path = String(result.dest);
  const isDownload = plan.steps[0]?.description.startsWith('download ') === true;
  if (!isDownload) {
    if (output?.code === 0) return { changed: true, result };
    const msg = `cannot set attributes of ${path}: ${output?.stderr.trim() || `exit code ${output?.code}`}`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  const stderr = output?.stderr ?? '';
  const lines = stderr.split('\n');
  const mismatch = lines.find((line) => line.startsWith(`${CHECKSUM_MISMATCH} `));
  if (mismatch !== undefined) {
    const msg = `the checksum of ${result.url} is ${mismatch.slice(CHECKSUM_MISMATCH.length + 1)}, not the one asked for (${result.checksum}); ${path} was left alone`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  if (lines.includes(DOWNLOAD_FAILED)) {
    const why = lines.filter((line) => line !== DOWNLOAD_FAILED && line.trim() !== '').join('\n');
    const msg = `cannot download ${result.url}: ${why || `exit code ${output?.code}`}`;
    return { changed: false, failed: true, msg, result: { ...result, msg } };
  }
  const sha = (output?.stdout ?? '')
    .split('\n')
    .find((line) => line.startsWith(DOWNLOADED_PREFIX))
    ?.slice(DOWNLOADED_PREFIX.length);
  if (sha !== undefined) result.sha256 = sha;
  return finishWrite(outputs, result, path);
}

export const getUrlModule: ModuleDefinition<GetUrlArgs, GetUrlFacts> = {
  name: 'get_url',
  description: 'Download a file on the host (curl, wget or python3) and put it in place atomically.',
  schema: GetUrlArgs,
  kind: 'plan',
  checkArgs: checkGetUrlArgs,
  writeKey: (args) => fileKey(args.dest),
  reads: (args) => [args.dest],
  gather: (args) => getUrlScript(args),
  parse: (result, args) => parseGetUrl(result, args),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'get_url: planned without facts');
    return planGetUrl(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishGetUrl(outputs, plan),
};
