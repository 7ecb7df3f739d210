/**
 * git: a checkout of a repository at a version (branch, tag, full SHA or the remote's HEAD).
 * One script gathers the checkout's HEAD, origin URL and local modifications, and the remote's
 * refs (`git ls-remote`, skipped when the version is a SHA), so the plan knows the commit the
 * checkout will be at before anything runs. Needs git on the host.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { parseReport, single } from '../facts/report.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { firstLine, moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
  Step,
} from './types.js';

export const GitArgs = Type.Object(
  {
    repo: Type.String({
      minLength: 1,
      description: 'URL or path of the repository (https://, ssh://, user@host:path, file://, /path).',
    }),
    dest: Type.String({
      minLength: 1,
      description: 'Folder of the checkout on the host (created by the clone).',
    }),
    version: Type.Optional(
      Type.String({
        minLength: 1,
        default: 'HEAD',
        description: "A branch, a tag, a full 40-character SHA-1, or HEAD (the remote's default branch).",
      }),
    ),
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Discard local modifications of tracked files (without it they fail the task).',
      }),
    ),
    depth: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Shallow clone/fetch of that many commits (branches and tags; a SHA is fetched whole).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type GitArgs = Static<typeof GitArgs>;

export interface GitRef {
  name: string;
  sha: string;
}

export interface GitFacts {
  git: boolean;
  dest: 'missing' | 'empty' | 'repo' | 'other';
  head?: string;
  branch?: string;
  /** origin's URL ("" when there is no origin). */
  url?: string;
  dirty: boolean;
  /** Remote refs asked for (none when the version is a SHA). */
  refs: GitRef[];
  /** What the remote's HEAD points to ("refs/heads/main"). */
  headRef?: string;
}

const SHA = /^[0-9a-fA-F]{40}$/;
const LS_REMOTE_FAILED = 4;

function versionOf(args: GitArgs): string {
  return args.version ?? 'HEAD';
}

export function checkGitArgs(args: GitArgs): ArgIssue[] {
  const version = args.version;
  if (version === undefined || isTemplated(version)) return [];
  if (version.startsWith('-') || /[\s\0]/.test(version) || version.includes('..')) {
    return [{ key: 'version', message: `"${version}" is not a branch, tag or SHA` }];
  }
  return [];
}

/** Settings every git command of this module runs with: never prompt, never ask about host keys. */
const ENVIRONMENT: RawShell[] = [
  raw('GIT_TERMINAL_PROMPT=0; export GIT_TERMINAL_PROMPT'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  raw('GIT_SSH_COMMAND=${GIT_SSH_COMMAND:-ssh -o BatchMode=yes}; export GIT_SSH_COMMAND'),
];

/** `g`: git in the checkout, trusted even when another user owns it (safe.directory). */
function inCheckout(dest: string): RawShell[] {
  return [
    sh`w=$(cd -- ${dest} && pwd -P) || exit 1`,
    raw('g() { git -c safe.directory="$w" -C "$w" "$@"; }'),
  ];
}

export function gitScript(args: GitArgs): RawShell {
  const version = versionOf(args);
  const lines: RawShell[] = [
    raw('command -v git >/dev/null 2>&1 || { echo git=0; exit 0; }'),
    raw('echo git=1'),
    ...ENVIRONMENT,
    sh`d=${args.dest}`,
    raw('if [ -e "$d/.git" ]; then'),
    raw('  echo dest=repo'),
    ...inCheckout(args.dest).map((line) => raw(`  ${line.text}`)),
    raw('  echo "head=$(g rev-parse --verify -q HEAD)"'),
    raw('  echo "branch=$(g symbolic-ref -q --short HEAD)"'),
    raw('  echo "url=$(g config --get remote.origin.url)"'),
    raw('  if [ -n "$(g status --porcelain --untracked-files=no)" ]; then echo dirty=1; fi'),
    raw('elif [ -d "$d" ]; then'),
    raw('  if [ -z "$(ls -A -- "$d")" ]; then echo dest=empty; else echo dest=other; fi'),
    raw('elif [ -e "$d" ] || [ -L "$d" ]; then echo dest=other'),
    raw('else echo dest=missing; fi'),
  ];
  if (!SHA.test(version)) {
    const patterns =
      version === 'HEAD'
        ? ['HEAD']
        : [`refs/heads/${version}`, `refs/tags/${version}`, `refs/tags/${version}^{}`];
    lines.push(
      sh`if ! out=$(cd / && git ls-remote --symref -- ${args.repo} ${patterns}); then exit ${LS_REMOTE_FAILED}; fi`,
      raw(`printf '%s\\n' "$out" | sed 's/^/ref=/'`),
    );
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseGit(result: ExecResult, args: GitArgs): GitFacts {
  if (result.code === LS_REMOTE_FAILED) {
    throw moduleFailure(
      `cannot read the refs of ${args.repo}: ${result.stderr.trim() || 'git ls-remote failed'}`,
      {
        stderr: result.stderr,
      },
    );
  }
  const report = parseReport(result.stdout);
  const git = single(report, 'git');
  const dest = single(report, 'dest');
  if (result.code !== 0 || (git !== '0' && git !== '1') || (git === '1' && dest === undefined)) {
    throw moduleFailure(
      `cannot inspect ${args.dest}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      {
        exitCode: result.code,
        stdout: result.stdout,
        stderr: result.stderr,
      },
    );
  }
  if (git === '0') return { git: false, dest: 'missing', dirty: false, refs: [] };
  const facts: GitFacts = {
    git: true,
    dest: dest as GitFacts['dest'],
    dirty: single(report, 'dirty') === '1',
    refs: [],
  };
  const head = single(report, 'head');
  if (head) facts.head = head;
  const branch = single(report, 'branch');
  if (branch) facts.branch = branch;
  const url = single(report, 'url');
  if (url !== undefined) facts.url = url;
  for (const line of report.values.get('ref') ?? []) {
    const [left, name] = line.split('\t');
    if (!left || !name) continue;
    if (left.startsWith('ref: ')) facts.headRef = left.slice('ref: '.length);
    else facts.refs.push({ name, sha: left });
  }
  return facts;
}

type Target =
  | { kind: 'branch'; name: string; sha: string }
  | { kind: 'tag'; name: string; sha: string }
  | { kind: 'sha'; sha: string };

function resolveTarget(args: GitArgs, facts: GitFacts): Target {
  const version = versionOf(args);
  if (SHA.test(version)) return { kind: 'sha', sha: version.toLowerCase() };
  const sha = (name: string) => facts.refs.find((ref) => ref.name === name)?.sha;
  if (version === 'HEAD') {
    const head = sha('HEAD');
    if (head === undefined) throw moduleFailure(`${args.repo} has no HEAD (an empty repository?)`);
    if (facts.headRef?.startsWith('refs/heads/')) {
      return { kind: 'branch', name: facts.headRef.slice('refs/heads/'.length), sha: head };
    }
    return { kind: 'sha', sha: head };
  }
  const branch = sha(`refs/heads/${version}`);
  if (branch !== undefined) return { kind: 'branch', name: version, sha: branch };
  const tag = sha(`refs/tags/${version}^{}`) ?? sha(`refs/tags/${version}`);
  if (tag !== undefined) return { kind: 'tag', name: version, sha: tag };
  const hint = /^[0-9a-fA-F]{4,39}$/.test(version) ? ' (give a SHA in full, 40 characters)' : '';
  throw moduleFailure(`version ${version} is neither a branch nor a tag of ${args.repo}${hint}`);
}

function script(lines: RawShell[]): RawShell {
  return raw([raw('set -e'), ...ENVIRONMENT, ...lines].map((line) => line.text).join('\n'));
}

function depthOption(args: GitArgs): string[] {
  return args.depth === undefined ? [] : ['--depth', String(args.depth)];
}

function cloneStep(args: GitArgs, target: Target): Step {
  const options = [...depthOption(args)];
  if (
    target.kind === 'tag' ||
    (target.kind === 'branch' && args.version !== undefined && args.version !== 'HEAD')
  ) {
    options.push('--branch', target.name);
  }
  const lines: RawShell[] = [];
  if (target.kind === 'sha') {
    // A SHA is checked out after a full clone: it need not be at the tip of anything.
    lines.push(sh`git clone --no-checkout -- ${args.repo} ${args.dest}`);
    lines.push(...inCheckout(args.dest), sh`g checkout --detach ${target.sha}`);
  } else {
    lines.push(sh`git clone ${[...options, '--', args.repo, args.dest]}`);
  }
  return { command: script(lines), description: `clone ${args.repo} into ${args.dest}` };
}

function updateStep(args: GitArgs, facts: GitFacts, target: Target, fetch: boolean): Step {
  const lines: RawShell[] = [...inCheckout(args.dest)];
  if (facts.url !== args.repo) {
    lines.push(
      sh`if g remote get-url origin >/dev/null 2>&1; then g remote set-url -- origin ${args.repo}; else g remote add -- origin ${args.repo}; fi`,
    );
  }
  const force = args.force === true ? ['--force'] : [];
  if (!fetch) {
    if (facts.dirty) lines.push(raw('g reset --hard -q HEAD'));
  } else if (target.kind === 'branch') {
    const tracking = `refs/remotes/origin/${target.name}`;
    lines.push(
      sh`g fetch ${[...depthOption(args), 'origin', `+refs/heads/${target.name}:${tracking}`]}`,
      sh`g checkout ${['-q', ...force, '-B', target.name, tracking]}`,
    );
  } else if (target.kind === 'tag') {
    lines.push(
      sh`g fetch ${[...depthOption(args), 'origin', `+refs/tags/${target.name}:refs/tags/${target.name}`]}`,
      sh`g checkout ${['-q', ...force, '--detach', `refs/tags/${target.name}^{commit}`]}`,
    );
  } else {
    const commit = `${target.sha}^{commit}`;
    lines.push(
      sh`if ! g cat-file -e ${commit} 2>/dev/null; then g fetch --tags origin; fi`,
      sh`if ! g cat-file -e ${commit} 2>/dev/null; then g fetch origin ${target.sha}; fi`,
      sh`g checkout ${['-q', ...force, '--detach', target.sha]}`,
    );
  }
  return { command: script(lines), description: `update ${args.dest} to ${target.sha.slice(0, 12)}` };
}

export function planGit(args: GitArgs, facts: GitFacts, ctx: ModuleContext): Plan {
  if (!facts.git) {
    throw moduleFailure('git is not installed on this host (install it first, e.g. with apt: name=git)');
  }
  if (facts.dest === 'other') {
    throw moduleFailure(`${args.dest} exists and is not a git checkout (nor an empty folder)`, {
      dest: args.dest,
    });
  }
  if (facts.dest === 'repo' && facts.dirty && args.force !== true) {
    throw moduleFailure(`local modifications exist in ${args.dest} (force: true discards them)`, {
      dest: args.dest,
    });
  }
  // A checkout already at the SHA asked for needs no remote at all.
  const target = resolveTarget(args, facts);
  const before = facts.dest === 'repo' ? (facts.head ?? null) : null;
  const result: Record<string, unknown> = { before, after: target.sha };
  const diff = {
    before: { dest: args.dest, version: before ?? 'absent' },
    after: { dest: args.dest, version: target.sha },
  };

  if (facts.dest !== 'repo') {
    const plan: ChangePlan = {
      changed: true,
      summary: `clone ${args.repo} at ${target.sha.slice(0, 12)}`,
      steps: [cloneStep(args, target)],
      result,
    };
    if (ctx.diff) plan.diffs = [diff];
    return plan;
  }

  const moves = facts.head !== target.sha;
  const urlChanges = facts.url !== args.repo;
  result.remote_url_changed = urlChanges;
  if (!moves && !urlChanges && !facts.dirty) {
    return { changed: false, reason: `${args.dest} is at ${target.sha.slice(0, 12)}`, result };
  }
  const what: string[] = [];
  if (moves) what.push(`${(facts.head ?? 'nothing').slice(0, 12)} -> ${target.sha.slice(0, 12)}`);
  if (urlChanges) what.push(`origin -> ${args.repo}`);
  if (facts.dirty) what.push('discard local modifications');
  const plan: ChangePlan = {
    changed: true,
    summary: `${args.dest}: ${what.join(', ')}`,
    steps: [updateStep(args, facts, target, moves)],
    result,
  };
  if (ctx.diff) {
    const stateDiff = moves ? diff : { before: { dest: args.dest }, after: { dest: args.dest } };
    if (urlChanges) {
      (stateDiff.before as Record<string, unknown>).origin = facts.url || 'none';
      (stateDiff.after as Record<string, unknown>).origin = args.repo;
    }
    if (facts.dirty) {
      (stateDiff.before as Record<string, unknown>).local_modifications = true;
      (stateDiff.after as Record<string, unknown>).local_modifications = false;
    }
    plan.diffs = [stateDiff];
  }
  return plan;
}

export function finishGit(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  if (output && output.code === 0) return { changed: true, result: { ...plan.result } };
  const why = output
    ? output.stderr.trim() || firstLine(output.stdout) || `exit code ${output.code}`
    : 'no output';
  const msg = `${plan.steps[outputs.length - 1]?.description ?? 'git'} failed: ${why}`;
  return { changed: false, failed: true, msg, result: { ...plan.result, msg } };
}

export const gitModule: ModuleDefinition<GitArgs, GitFacts> = {
  name: 'git',
  description: 'Clone a repository or move a checkout to a branch, tag or commit.',
  schema: GitArgs,
  kind: 'plan',
  checkArgs: checkGitArgs,
  // The checkout, and the git command a package of the run may bring.
  reads: (args) => [args.dest, '/usr/bin/git'],
  gather: (args) => gitScript(args),
  parse: (result, args) => parseGit(result, args),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'git: planned without facts');
    return planGit(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishGit(outputs, plan),
};
