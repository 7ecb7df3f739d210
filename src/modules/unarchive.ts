/**
 * unarchive: a tar, tar.gz or zip archive extracted into a folder. The archive comes from the
 * controller (sent on the extracting command's standard input) or is already on the host
 * (remote_src), possibly as a URL the host downloads. Idempotence comes from comparing the
 * archive with the folder in the gather: for a controller archive the controller lists it and
 * the host reports what is at those paths; for a host archive `tar --compare` (or unzip, entry
 * by entry) runs there. Ownership, modes and times are not compared, content, types and link
 * targets are. zip needs unzip on the host.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { parseReport, single } from '../facts/report.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { payloadOf, receiveLines } from '../transport/verified-write.js';
import { type ArchiveEntry, type ArchiveFormat, archiveEntries, detectFormat } from './archive-entries.js';
import { DOWNLOAD_FAILED, fetchFunction, URL_PATTERN } from './download.js';
import { firstLine, moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ChangePlan, ModuleContext, ModuleDefinition, ModuleOutcome, Plan } from './types.js';

export const UnarchiveArgs = Type.Object(
  {
    src: Type.String({
      minLength: 1,
      description:
        "The archive (.tar, .tar.gz/.tgz, .zip): a controller file (the role's files/ folder, then the playbook folder), or with remote_src a path or URL on the host.",
    }),
    dest: Type.String({ minLength: 1, description: 'Existing folder on the host to extract into.' }),
    remote_src: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'src is on the host already (a path, or an http/https/ftp/file URL the host downloads).',
      }),
    ),
    creates: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A path on the host; when it exists nothing is extracted or compared.',
      }),
    ),
    extra_opts: Type.Optional(
      Type.Array(Type.String({ pattern: '^--strip-components=\\d+$' }), {
        maxItems: 1,
        description:
          'Extra tar options; only "--strip-components=N" (drop the first N folders of every path).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type UnarchiveArgs = Static<typeof UnarchiveArgs> & {
  /** Controller archive, read by prepare. */
  archive?: { bytes: Buffer; format: ArchiveFormat; entries: ArchiveEntry[] };
};

export interface UnarchiveFacts {
  /** creates exists: nothing to do. */
  created: boolean;
  destExists: boolean;
  /** Host archive: found (false when the path is missing). */
  srcExists: boolean;
  format?: ArchiveFormat | undefined;
  unzip: boolean;
  /** What differs between the archive and dest (first lines, readable). */
  differences: string[];
  /** Number of differing entries. */
  differing: number;
}

/** Longest gather script for a controller archive (a command line is one argument: 128 KiB). */
const SCRIPT_LIMIT = 60_000;
const GATHER_DOWNLOAD_FAILED = 5;
const SHOWN = 10;
/** tar --compare lines about metadata only, not compared (extraction as another user differs there). */
const METADATA_ONLY = /: (Mod time|Mode|Uid|Gid) differs$/;

function stripOf(args: UnarchiveArgs): number {
  const option = args.extra_opts?.[0];
  return option === undefined ? 0 : Number(option.slice('--strip-components='.length));
}

function isUrl(args: UnarchiveArgs): boolean {
  return args.remote_src === true && URL_PATTERN.test(args.src);
}

export function checkUnarchiveArgs(args: UnarchiveArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (args.remote_src !== true && !isTemplated(args.src) && /^[a-z]+:\/\//i.test(args.src)) {
    issues.push({ key: 'src', message: 'a URL src needs remote_src: true (the host downloads it)' });
  }
  return issues;
}

function dirOf(dest: string): RawShell[] {
  return [sh`d=${dest}`, raw('if [ ! -d "$d" ]; then echo dest=0; exit 0; fi'), raw('echo dest=1')];
}

function createsCheck(args: UnarchiveArgs): RawShell[] {
  return args.creates === undefined ? [] : [sh`if [ -e ${args.creates} ]; then echo created=1; exit 0; fi`];
}

/** Gather for a controller archive: what the host has at each of the archive's paths. */
function localScript(args: UnarchiveArgs): RawShell {
  const archive = args.archive;
  if (!archive) throw new BosunError('BOSUN_INTERNAL', 'unarchive: src was not read before gathering');
  const lines: RawShell[] = [...createsCheck(args), ...dirOf(args.dest)];
  if (archive.format === 'zip') lines.push(raw('if command -v unzip >/dev/null 2>&1; then echo unzip=1; fi'));
  lines.push(
    raw('cd -- "$d" || exit 1'),
    raw(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      'f() { if [ -f "$2" ] && [ ! -L "$2" ]; then h=$(sha256sum < "$2") || return 1; echo "e$1=${h%% *}"; else echo "e$1=-"; fi; }',
    ),
    raw('D() { if [ -d "$2" ] && [ ! -L "$2" ]; then echo "e$1=d"; else echo "e$1=-"; fi; }'),
    raw(
      `l() { if [ -L "$2" ]; then printf 'e%s=l%s\\n' "$1" "$(readlink -- "$2")"; else echo "e$1=-"; fi; }`,
    ),
  );
  archive.entries.forEach((entry, index) => {
    const fn = entry.type === 'file' ? 'f' : entry.type === 'dir' ? 'D' : 'l';
    lines.push(raw(`${fn} ${index} ${quote(entry.path)} || exit 1`));
  });
  const text = lines.map((line) => line.text).join('\n');
  if (text.length > SCRIPT_LIMIT) {
    throw moduleFailure(
      `${args.src} has too many entries (${archive.entries.length}) to compare in one command: give creates, or copy it to the host and use remote_src`,
    );
  }
  return raw(text);
}

/** Gather for an archive on the host: fetched when a URL, then compared there. */
function remoteScript(args: UnarchiveArgs): RawShell {
  const lines: RawShell[] = [...createsCheck(args), ...dirOf(args.dest)];
  if (isUrl(args)) {
    lines.push(
      fetchFunction(10),
      raw('a=$(mktemp) || exit 1'),
      raw(`trap 'rm -f -- "$a"' EXIT`),
      sh`if ! bosun_fetch ${args.src} "$a"; then exit ${GATHER_DOWNLOAD_FAILED}; fi`,
    );
  } else {
    lines.push(
      sh`a=${args.src}`,
      raw('case "$a" in /*) ;; *) a="$PWD/$a" ;; esac'),
      raw('if [ ! -f "$a" ]; then echo src=0; exit 0; fi'),
    );
  }
  lines.push(
    raw('m=$(od -An -tx1 -N4 "$a" | tr -d " \\n")'),
    raw('case $m in 504b0304*) fmt=zip ;; 1f8b*) fmt=tgz ;; *) fmt=tar ;; esac'),
    raw('echo "format=$fmt"'),
    raw('cd -- "$d" || exit 1'),
    raw('if [ "$fmt" = zip ]; then'),
    raw('  command -v unzip >/dev/null 2>&1 || { echo unzip=0; exit 0; }'),
    raw('  echo unzip=1'),
    // unzip takes member names as patterns: brackets make * ? [ ] literal.
    raw('  unzip -Z1 "$a" | while IFS= read -r n; do'),
    raw('    case $n in */) [ -d "$n" ] || echo "diff=$n: missing directory"; continue ;; esac'),
    raw(`    q=$(printf '%s\\n' "$n" | sed 's/[][*?]/[&]/g')`),
    raw(
      '    if [ -L "$n" ]; then [ "$(unzip -p "$a" "$q")" = "$(readlink -- "$n")" ] || echo "diff=$n: symlink differs"',
    ),
    raw('    elif [ -f "$n" ]; then unzip -p "$a" "$q" | cmp -s - "$n" || echo "diff=$n: contents differ"'),
    raw('    else echo "diff=$n: missing"; fi'),
    raw('  done'),
    raw('else'),
    raw('  tar -tf "$a" >/dev/null || exit 1'),
    sh`  tar -d -f "$a" ${args.extra_opts ?? []} 2>&1 | sed 's/^/tardiff=/'`,
    raw('fi'),
  );
  return raw(lines.map((line) => line.text).join('\n'));
}

export function unarchiveScript(args: UnarchiveArgs): RawShell {
  return args.remote_src === true ? remoteScript(args) : localScript(args);
}

export function parseUnarchive(result: ExecResult, args: UnarchiveArgs): UnarchiveFacts {
  if (result.code === GATHER_DOWNLOAD_FAILED) {
    throw moduleFailure(`cannot download ${args.src}: ${result.stderr.trim() || 'download failed'}`, {
      src: args.src,
    });
  }
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot compare ${args.src} with ${args.dest}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      {
        stderr: result.stderr,
      },
    );
  }
  const report = parseReport(result.stdout);
  const facts: UnarchiveFacts = {
    created: single(report, 'created') === '1',
    destExists: single(report, 'dest') === '1',
    srcExists: single(report, 'src') !== '0',
    unzip: single(report, 'unzip') === '1',
    differences: [],
    differing: 0,
  };
  if (facts.created || !facts.destExists || !facts.srcExists) return facts;
  if (args.remote_src === true) {
    const format = single(report, 'format');
    facts.format = format === 'zip' || format === 'tgz' ? format : 'tar';
    const lines = [...(report.values.get('diff') ?? []), ...(report.values.get('tardiff') ?? [])].filter(
      (line) =>
        line.trim() !== '' &&
        !METADATA_ONLY.test(line) &&
        !line.startsWith('tar: Exiting with failure') &&
        // The archive's own root, stripped to an empty name by --strip-components.
        !line.startsWith('tar: : '),
    );
    facts.differing = lines.length;
    facts.differences = lines.slice(0, SHOWN).map((line) => line.replace(/^tar: /, ''));
    return facts;
  }
  const archive = args.archive;
  if (!archive) throw new BosunError('BOSUN_INTERNAL', 'unarchive: src was not read before parsing');
  facts.format = archive.format;
  archive.entries.forEach((entry, index) => {
    const found = single(report, `e${index}`);
    const expected = entry.type === 'file' ? entry.sha256 : entry.type === 'dir' ? 'd' : `l${entry.target}`;
    if (found === expected) return;
    facts.differing += 1;
    if (facts.differences.length < SHOWN) {
      facts.differences.push(
        `${entry.path}: ${found === '-' || found === undefined ? `missing ${entry.type === 'dir' ? 'directory' : entry.type}` : entry.type === 'file' ? 'contents differ' : `${entry.type} differs`}`,
      );
    }
  });
  return facts;
}

function extractCommand(args: UnarchiveArgs, format: ArchiveFormat, archive: RawShell): RawShell {
  if (format === 'zip') return sh`unzip -q -o ${archive} -d ${args.dest}`;
  const z = format === 'tgz' ? ['-z'] : [];
  return sh`tar -x ${z} -f ${archive} -C ${args.dest} ${args.extra_opts ?? []}`;
}

export function planUnarchive(args: UnarchiveArgs, facts: UnarchiveFacts, ctx: ModuleContext): Plan {
  const result: Record<string, unknown> = { src: args.src, dest: args.dest };
  if (facts.created) return { changed: false, reason: `${args.creates} exists`, result };
  if (!facts.destExists)
    throw moduleFailure(`dest ${args.dest} is not an existing folder`, { dest: args.dest });
  if (!facts.srcExists) throw moduleFailure(`src ${args.src} does not exist on the host`, { src: args.src });
  const format = facts.format as ArchiveFormat;
  result.format = format;
  if (format === 'zip' && !facts.unzip) {
    throw moduleFailure(
      'unzip is not installed on this host (needed for zip archives; install it, e.g. apt: name=unzip)',
    );
  }
  if (format === 'zip' && stripOf(args) > 0)
    throw moduleFailure('extra_opts --strip-components works with tar archives only');
  if (facts.differing === 0)
    return { changed: false, reason: `${args.dest} has the content of ${args.src}`, result };
  result.differing = facts.differing;

  const lines: RawShell[] = [raw('set -e')];
  let stdin: Buffer | undefined;
  if (args.remote_src !== true) {
    stdin = args.archive?.bytes;
    if (!stdin) throw new BosunError('BOSUN_INTERNAL', 'unarchive: src was not read before planning');
    // Extracted only once the whole archive arrived: a cut one would extract part of it.
    lines.push(...receiveLines(payloadOf(stdin)), extractCommand(args, format, raw('"$tmp"')));
  } else if (isUrl(args)) {
    lines.push(
      fetchFunction(10),
      raw('a=$(mktemp)'),
      raw(`trap 'rm -f -- "$a"' EXIT`),
      sh`bosun_fetch ${args.src} "$a" || { echo ${DOWNLOAD_FAILED} >&2; exit 1; }`,
      extractCommand(args, format, raw('"$a"')),
    );
  } else {
    lines.push(extractCommand(args, format, sh`${args.src}`));
  }
  const plan: ChangePlan = {
    changed: true,
    summary: `extract ${args.src} into ${args.dest} (${facts.differing} entr${facts.differing === 1 ? 'y differs' : 'ies differ'})`,
    steps: [
      {
        command: raw(lines.map((line) => line.text).join('\n')),
        ...(stdin !== undefined ? { stdin } : {}),
        description: `extract ${args.src} into ${args.dest}`,
      },
    ],
    result,
  };
  if (ctx.diff) {
    plan.diffs = [
      {
        before: {
          dest: args.dest,
          differing: facts.differences.concat(
            facts.differing > SHOWN ? [`... ${facts.differing - SHOWN} more`] : [],
          ),
        },
        after: { dest: args.dest, extracted: args.src },
      },
    ];
  }
  return plan;
}

export function finishUnarchive(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  const result = { ...plan.result };
  if (output?.code === 0) return { changed: true, result: { ...result, extracted: true } };
  const lines = (output?.stderr ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '' && line !== DOWNLOAD_FAILED);
  const what = output?.stderr.includes(DOWNLOAD_FAILED)
    ? `cannot download ${result.src}`
    : `cannot extract ${result.src}`;
  const msg = `${what}: ${lines.join('\n') || firstLine(output?.stdout ?? '') || `exit code ${output?.code}`}`;
  return { changed: false, failed: true, msg, result: { ...result, msg } };
}

export const unarchiveModule: ModuleDefinition<UnarchiveArgs, UnarchiveFacts> = {
  name: 'unarchive',
  description: 'Extract a tar, tar.gz or zip archive (from the controller or the host) into a folder.',
  schema: UnarchiveArgs,
  kind: 'plan',
  checkArgs: checkUnarchiveArgs,
  async prepare(args, ctx) {
    if (args.remote_src === true) return args;
    const bytes = await ctx.readLocalFile(args.src);
    const format = detectFormat(bytes);
    if (format === undefined) throw moduleFailure(`${args.src} is not a tar, tar.gz or zip archive`);
    if (format === 'zip' && stripOf(args) > 0)
      throw moduleFailure('extra_opts --strip-components works with tar archives only');
    return { ...args, archive: { bytes, format, entries: archiveEntries(bytes, format, stripOf(args)) } };
  },
  reads: (args) =>
    args.remote_src === true && args.src.startsWith('/') ? [args.dest, args.src] : [args.dest],
  gather: (args) => unarchiveScript(args),
  parse: (result, args) => parseUnarchive(result, args),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'unarchive: planned without facts');
    return planUnarchive(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishUnarchive(outputs, plan),
};
