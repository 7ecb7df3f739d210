/**
 * apt (alias package): Debian packages present, absent or at the latest version, a .deb from
 * a URL or a file on the host, the package lists refreshed, unused dependencies removed.
 * One script reads dpkg's state; the plan is the apt-get commands that close the gap, run
 * non-interactively, keeping changed configuration files, and waiting for apt's lock.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { debPredictionScript, parseDebPrediction } from '../facts/deb-contents.js';
import {
  type DebPackageFacts,
  type DebPackageQuery,
  type DpkgEntry,
  debPackagesScript,
  downloadLines,
  parseDebPackages,
  UPDATE_STAMP,
} from '../facts/deb-packages.js';
import type { Effect } from '../predict/effects.js';
import { debPredictionEffects, overlayDebPackages } from '../predict/packages.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { firstLine, moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
  StateDiff,
  Step,
} from './types.js';

export const DEFAULT_LOCK_TIMEOUT = 60;

const PackageList = Type.Union([Type.String(), Type.Array(Type.String())]);

export const AptArgs = Type.Object(
  {
    name: Type.Optional(
      Type.Union(PackageList.anyOf, {
        description:
          'Package names: a list, or one string (commas separate several). Each may carry an architecture and an exact version: "nginx", "libc6:i386", "curl=7.88.1-10+deb12u5".',
      }),
    ),
    pkg: Type.Optional(Type.Union(PackageList.anyOf, { description: 'Alias of name.' })),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent'), Type.Literal('latest')], {
        default: 'present',
        description:
          'present: installed (at the version given, if any). absent: removed (purged with purge). latest: installed at the candidate version of the configured repositories.',
      }),
    ),
    update_cache: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Refresh the package lists (apt-get update) before acting. With packages that are already as asked (present, absent) nothing is refreshed. Without packages, or with state: latest, the refresh is itself the change: it happens when the lists are older than cache_valid_time, every run when that is not given.',
      }),
    ),
    cache_valid_time: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Seconds for which refreshed package lists count as fresh: update_cache refreshes only older lists. Implies update_cache.',
      }),
    ),
    purge: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'With state: absent (and autoremove), also remove configuration files; a package removed earlier whose configuration files remain is purged.',
      }),
    ),
    install_recommends: Type.Optional(
      Type.Boolean({
        description:
          "Install recommended packages too (true) or not (false). Not given: apt's configuration decides.",
      }),
    ),
    deb: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'A .deb to install: an http(s) URL (downloaded on the host by apt) or an absolute path on the host. Its dependencies come from the repositories. Installed unless that version is already. Exclusive with name.',
      }),
    ),
    autoremove: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Remove packages installed as dependencies that nothing needs any more.',
      }),
    ),
    lock_timeout: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_LOCK_TIMEOUT,
        description: "Seconds to wait for apt's and dpkg's locks held by another process.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type AptArgs = Static<typeof AptArgs>;

type AptState = 'present' | 'absent' | 'latest';

export interface PackageSpec {
  /** As given ("curl=7.88.1-10"), passed to apt-get install. */
  text: string;
  name: string;
  arch?: string;
  version?: string;
}

// Debian policy: lowercase letters, digits, + - . ; at least two characters, starting alphanumeric.
const NAME = '[a-z0-9][a-z0-9+.-]+';
const SPEC = new RegExp(`^(${NAME})(?::([a-z0-9][a-z0-9-]*))?(?:=([A-Za-z0-9][A-Za-z0-9.+~:-]*))?$`);

export function parseSpec(text: string): PackageSpec | string {
  const match = SPEC.exec(text);
  if (!match) {
    return `invalid package "${text}": expected a Debian package name (lowercase letters, digits, "+", "-", "."), optionally with :architecture and =version`;
  }
  const spec: PackageSpec = { text, name: match[1] as string };
  if (match[2] !== undefined) spec.arch = match[2];
  if (match[3] !== undefined) spec.version = match[3];
  return spec;
}

function names(args: AptArgs): string[] {
  const value = args.name ?? args.pkg;
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function packageSpecs(args: AptArgs): PackageSpec[] {
  return names(args).map((text) => {
    const spec = parseSpec(text);
    if (typeof spec === 'string') throw new BosunError('BOSUN_INPUT', spec);
    return spec;
  });
}

function stateOf(args: AptArgs): AptState {
  return args.state ?? 'present';
}

function wantsRefresh(args: AptArgs): boolean {
  return args.update_cache === true || args.cache_valid_time !== undefined;
}

function isUrl(deb: string): boolean {
  return /^https?:\/\//.test(deb);
}

export function checkAptArgs(args: AptArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (args.name !== undefined && args.pkg !== undefined) {
    issues.push({ key: 'pkg', message: 'name and pkg name the same argument: give one' });
  }
  const list = names(args);
  for (const text of list) {
    if (isTemplated(text)) continue;
    const spec = parseSpec(text);
    if (typeof spec === 'string')
      issues.push({ key: args.name !== undefined ? 'name' : 'pkg', message: spec });
    else if (spec.version !== undefined && stateOf(args) === 'latest') {
      issues.push({ key: 'state', message: `state: latest takes no version (${text})` });
    }
  }
  if (args.deb !== undefined) {
    if (list.length > 0) issues.push({ key: 'deb', message: 'deb and name are mutually exclusive' });
    if (stateOf(args) !== 'present')
      issues.push({ key: 'state', message: 'deb installs: state must be present' });
    if (!isTemplated(args.deb) && !isUrl(args.deb) && !args.deb.startsWith('/')) {
      issues.push({ key: 'deb', message: 'deb must be an http(s) URL or an absolute path on the host' });
    }
  }
  if (list.length === 0 && args.deb === undefined && !wantsRefresh(args) && args.autoremove !== true) {
    issues.push({ message: 'give name, deb, update_cache or autoremove' });
  }
  return issues;
}

function debSource(deb: string): { url: string } | { path: string } {
  return isUrl(deb) ? { url: deb } : { path: deb };
}

export function aptQuery(args: AptArgs): DebPackageQuery {
  const specs = packageSpecs(args);
  const state = stateOf(args);
  const query: DebPackageQuery = {
    names: [...new Set(specs.map((spec) => (spec.arch ? `${spec.name}:${spec.arch}` : spec.name)))],
  };
  const plain = specs.filter((spec) => !spec.arch && !spec.version).map((spec) => spec.name);
  if (state === 'present' && plain.length > 0) query.provides = [...new Set(plain)];
  if (state === 'latest' && specs.length > 0) query.candidates = query.names;
  if (args.autoremove === true) query.autoremove = { purge: args.purge === true };
  if (args.deb !== undefined) query.deb = debSource(args.deb);
  return query;
}

/** dpkg statuses in which the package's files are in place. */
const INSTALLED = new Set(['installed', 'triggers-awaiting', 'triggers-pending']);
/** Statuses left by an interrupted install or removal: files partly there. */
const BROKEN = new Set(['half-installed', 'unpacked', 'half-configured']);

function entryFor(spec: { name: string; arch?: string }, facts: DebPackageFacts): DpkgEntry | undefined {
  const wanted = spec.arch ?? facts.arch;
  const matching = facts.entries.filter(
    (entry) => entry.name === spec.name && (entry.arch === wanted || entry.arch === 'all'),
  );
  // A package installed for another architecture than the one asked does not count.
  return matching.find((entry) => entry.status !== 'not-installed') ?? matching[0];
}

function candidateFor(spec: PackageSpec, facts: DebPackageFacts): string | undefined {
  const key = spec.arch && spec.arch !== facts.arch ? `${spec.name}:${spec.arch}` : spec.name;
  const candidate = facts.candidates?.[key];
  return candidate === undefined || candidate === '(none)' ? undefined : candidate;
}

// apt-get's settings for every change: no questions, keep locally changed configuration files.
const APT_ENV = raw('DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical');
const DPKG_OPTIONS = raw('-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold');

export function aptGet(
  verb: string,
  words: string[] | RawShell,
  options: { lockTimeout?: number; recommends?: boolean; autoremove?: boolean; purge?: boolean } = {},
): RawShell {
  const parts: RawShell[] = [
    APT_ENV,
    sh`apt-get -y -q -o ${`DPkg::Lock::Timeout=${options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT}`}`,
    DPKG_OPTIONS,
  ];
  if (options.recommends === true) parts.push(raw('-o APT::Install-Recommends=true'));
  if (options.recommends === false) parts.push(raw('--no-install-recommends'));
  if (options.purge) parts.push(raw('--purge'));
  if (options.autoremove) parts.push(raw('--auto-remove'));
  parts.push(raw(verb));
  if (!Array.isArray(words) || words.length > 0) parts.push(sh`-- ${words}`);
  return raw(parts.map((part) => part.text).join(' '));
}

/**
 * `apt-get update`, failing when any list cannot be fetched; retried while another process
 * holds the lists lock (apt-get update does not wait for it); then the refresh time stamped.
 */
export function aptUpdate(lockTimeout = DEFAULT_LOCK_TIMEOUT): RawShell {
  return raw(
    [
      'n=0',
      'while :; do',
      '  o=$(LC_ALL=C apt-get -q -o APT::Update::Error-Mode=any update 2>&1) && break',
      '  r=$?',
      `  case $o in *'Could not get lock'*) if [ "$n" -lt ${lockTimeout} ]; then n=$((n + 1)); sleep 1; continue; fi ;; esac`,
      `  printf '%s\\n' "$o" >&2`,
      '  exit "$r"',
      'done',
      `printf '%s\\n' "$o"`,
      sh`mkdir -p -- ${UPDATE_STAMP.replace(/\/[^/]+$/, '')} && touch -- ${UPDATE_STAMP}`.text,
    ].join('\n'),
  );
}

export function updateStep(lockTimeout?: number): Step {
  return { command: aptUpdate(lockTimeout), description: 'refresh the package lists (apt-get update)' };
}

function describeAge(facts: DebPackageFacts): string {
  if (facts.cacheTime === undefined) return 'never refreshed';
  return `refreshed ${Math.max(0, facts.now - facts.cacheTime)} s ago`;
}

interface Change {
  spec: string;
  name: string;
  before: string;
  after: string;
}

function label(spec: { name: string; arch?: string }): string {
  return spec.arch ? `${spec.name}:${spec.arch}` : spec.name;
}

function isProvided(spec: PackageSpec, facts: DebPackageFacts): boolean {
  if (spec.arch || spec.version) return false;
  return (facts.provides?.[spec.name] ?? []).length > 0;
}

function installChanges(
  specs: PackageSpec[],
  state: 'present' | 'latest',
  facts: DebPackageFacts,
  refresh: boolean,
): Change[] {
  const changes: Change[] = [];
  for (const spec of specs) {
    const entry = entryFor(spec, facts);
    const installed = entry !== undefined && INSTALLED.has(entry.status);
    const before = installed ? entry.version : entry && BROKEN.has(entry.status) ? entry.status : 'absent';
    if (state === 'present') {
      if (installed && (spec.version === undefined || spec.version === entry.version)) continue;
      if (!installed && !(entry && BROKEN.has(entry.status)) && isProvided(spec, facts)) continue;
      changes.push({ spec: spec.text, name: label(spec), before, after: spec.version ?? 'present' });
      continue;
    }
    const candidate = candidateFor(spec, facts);
    if (refresh) {
      // The candidate is known only after the refresh: apt-get install brings each one up to date.
      changes.push({ spec: spec.text, name: label(spec), before, after: 'latest' });
      continue;
    }
    if (candidate === undefined) {
      if (installed) continue;
      throw moduleFailure(
        facts.cacheTime === undefined
          ? `no package ${spec.text} is known: the package lists were never refreshed (set update_cache: true)`
          : `no package ${spec.text} is available from the configured repositories`,
        { package: spec.text },
      );
    }
    if (installed && entry.version === candidate) continue;
    changes.push({ spec: spec.text, name: label(spec), before, after: candidate });
  }
  return changes;
}

function removeChanges(specs: PackageSpec[], facts: DebPackageFacts, purge: boolean): Change[] {
  const changes: Change[] = [];
  for (const spec of specs) {
    const entry = entryFor(spec, facts);
    if (!entry) continue;
    const present = INSTALLED.has(entry.status) || BROKEN.has(entry.status);
    if (present && spec.version !== undefined && spec.version !== entry.version) continue;
    if (present || (purge && entry.status === 'config-files')) {
      changes.push({
        spec: label(spec),
        name: label(spec),
        before: present ? entry.version || entry.status : 'config-files',
        after: purge ? 'purged' : 'absent',
      });
    }
  }
  return changes;
}

function stale(args: AptArgs, facts: DebPackageFacts): boolean {
  if (facts.cacheTime === undefined || args.cache_valid_time === undefined) return true;
  return facts.now - facts.cacheTime > args.cache_valid_time;
}

export function planApt(args: AptArgs, facts: DebPackageFacts): Plan {
  const specs = packageSpecs(args);
  const state = stateOf(args);
  const purge = args.purge === true;
  const lockTimeout = args.lock_timeout ?? DEFAULT_LOCK_TIMEOUT;
  const canRefresh = wantsRefresh(args) && stale(args, facts);
  const result: Record<string, unknown> = { cache_updated: false };
  if (facts.cacheTime !== undefined) result.cache_update_time = facts.cacheTime;

  // The lists need refreshing for their own sake only when they are what the task is about:
  // no packages named, or "latest", which is judged against them.
  const onlyCache = specs.length === 0 && args.deb === undefined;
  const refreshFirst = canRefresh && (onlyCache || (state === 'latest' && specs.length > 0));

  let changes: Change[] = [];
  let debChange: { change: Change; source: string } | undefined;
  if (args.deb !== undefined) {
    const deb = facts.deb;
    if (!deb) throw new BosunError('BOSUN_INTERNAL', 'apt: the .deb was not read');
    const spec = { name: deb.package, arch: deb.architecture === 'all' ? undefined : deb.architecture };
    const entry = entryFor(spec as { name: string; arch?: string }, facts);
    const installed = entry !== undefined && INSTALLED.has(entry.status);
    if (!installed || entry.version !== deb.version) {
      debChange = {
        source: args.deb,
        change: {
          spec: args.deb,
          name: deb.package,
          before: installed ? entry.version : 'absent',
          after: deb.version,
        },
      };
    }
  } else if (state === 'absent') {
    changes = removeChanges(specs, facts, purge);
  } else {
    changes = installChanges(specs, state, facts, refreshFirst);
  }

  const packageChange = changes.length > 0 || debChange !== undefined;
  const refresh = refreshFirst || (canRefresh && packageChange && state !== 'absent');
  const installs = state === 'absent' ? [] : changes;
  const removes = state === 'absent' ? changes : [];
  if (installs.length > 0 && !refresh && facts.cacheTime === undefined) {
    throw moduleFailure(
      `cannot install ${installs.map((c) => c.spec).join(', ')}: the package lists were never refreshed (set update_cache: true)`,
    );
  }
  // With package changes, apt-get's --auto-remove takes what they leave unneeded.
  const autoremoved = args.autoremove === true && !packageChange ? (facts.autoremove ?? []) : [];

  if (!refresh && !packageChange && autoremoved.length === 0) {
    return { changed: false, reason: noChangeReason(args, specs, state, facts), result };
  }

  const steps: Step[] = [];
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const summary: string[] = [];
  const common = { lockTimeout, autoremove: args.autoremove === true };
  if (refresh) {
    steps.push(updateStep(lockTimeout));
    before.apt_cache = describeAge(facts);
    after.apt_cache = 'refreshed';
    summary.push('refresh the package lists');
    result.cache_updated = true;
  }
  if (installs.length > 0) {
    const recommends = args.install_recommends;
    steps.push({
      command: aptGet(
        'install',
        installs.map((change) => change.spec),
        { ...common, recommends },
      ),
      description: `install ${installs.map((change) => change.spec).join(', ')}`,
    });
    summary.push(
      `${state === 'latest' ? 'install or upgrade' : 'install'} ${installs.map((c) => c.spec).join(', ')}`,
    );
    result.installed = installs.map((change) => change.spec);
  }
  if (debChange) {
    steps.push({ command: debInstall(debChange.source, args), description: `install ${debChange.source}` });
    summary.push(`install ${debChange.change.name} ${debChange.change.after} from ${debChange.source}`);
    result.installed = [`${debChange.change.name}=${debChange.change.after}`];
  }
  if (removes.length > 0) {
    steps.push({
      command: aptGet(
        purge ? 'purge' : 'remove',
        removes.map((change) => change.spec),
        common,
      ),
      description: `${purge ? 'purge' : 'remove'} ${removes.map((change) => change.spec).join(', ')}`,
    });
    summary.push(`${purge ? 'purge' : 'remove'} ${removes.map((change) => change.spec).join(', ')}`);
    result.removed = removes.map((change) => change.spec);
  }
  if (autoremoved.length > 0) {
    steps.push({
      command: aptGet('autoremove', [], { lockTimeout, purge }),
      description: 'remove packages nothing needs (apt-get autoremove)',
    });
    summary.push(`autoremove ${autoremoved.map((item) => item.name).join(', ')}`);
    result.autoremoved = autoremoved.map((item) => item.name);
  }
  for (const change of [...changes, ...(debChange ? [debChange.change] : [])]) {
    before[change.name] = change.before;
    after[change.name] = change.after;
  }
  for (const item of autoremoved) {
    before[item.name] = item.version;
    after[item.name] = purge ? 'purged' : 'absent';
  }
  const diff: StateDiff = { before, after };
  const effects = aptEffects({ refresh, installs, removes, purge, debChange, autoremoved });
  const plan: ChangePlan = {
    changed: true,
    summary: summary.join('; '),
    steps,
    diffs: [diff],
    result,
    effects,
  };
  return plan;
}

/** What the plan says by itself; the packages apt pulls in and their files come from predictApt. */
function aptEffects(input: {
  refresh: boolean;
  installs: Change[];
  removes: Change[];
  purge: boolean;
  debChange: { change: Change; source: string } | undefined;
  autoremoved: { name: string }[];
}): Effect[] {
  const effects: Effect[] = [];
  if (input.refresh) effects.push({ kind: 'package-lists' });
  const version = (text: string) => (text === 'present' || text === 'latest' ? undefined : text);
  for (const change of input.installs) {
    const [name, arch] = change.name.split(':') as [string, string | undefined];
    const effect: Effect = { kind: 'package', name, status: 'installed' };
    const known = version(change.after);
    if (known !== undefined) effect.version = known;
    if (arch !== undefined) effect.arch = arch;
    effects.push(effect);
  }
  for (const change of [...input.removes, ...input.autoremoved]) {
    const [name, arch] = change.name.split(':') as [string, string | undefined];
    effects.push({
      kind: 'package',
      name,
      status: input.purge ? 'not-installed' : 'config-files',
      ...(arch === undefined ? {} : { arch }),
    });
  }
  if (input.debChange) {
    const why = `the files of ${input.debChange.source} are not read in check mode`;
    effects.push(
      {
        kind: 'package',
        name: input.debChange.change.name,
        status: 'installed',
        version: input.debChange.change.after,
      },
      { kind: 'opaque', scope: 'missing-paths', why },
      { kind: 'opaque', scope: 'missing-accounts', why },
    );
  }
  return effects;
}

/** Check mode: apt-get simulates the change on the host, which then describes the packages it installs. */
export const predictApt: NonNullable<ModuleDefinition<AptArgs, DebPackageFacts>['predict']> = {
  script(args, _facts, plan, ctx) {
    const installed = plan.result?.installed as string[] | undefined;
    const removed = plan.result?.removed as string[] | undefined;
    if (args.deb !== undefined || (!installed?.length && !removed?.length)) return undefined;
    const state = ctx.overlay.state;
    return debPredictionScript({
      verb: installed?.length ? 'install' : args.purge === true ? 'purge' : 'remove',
      specs: installed?.length ? installed : (removed as string[]),
      recommends: args.install_recommends,
      autoremove: args.autoremove === true,
      refreshLists: plan.result?.cache_updated === true || state.listsRefreshed() !== undefined,
      workspace: ctx.workspace,
      known: state.describedPackages(),
    });
  },
  parse(result, _args, facts, plan) {
    const prediction = parseDebPrediction(result);
    // Units of a package already installed keep their state through an upgrade.
    for (const install of prediction.installs) {
      install.upgrade = facts?.entries.some(
        (entry) => entry.name === install.name && entry.status === 'installed',
      );
    }
    const { effects, error } = debPredictionEffects(prediction);
    const all = [...(plan.effects ?? []), ...effects];
    return error === undefined
      ? { effects: all }
      : { effects: all, unknown: `apt cannot simulate it: ${error}` };
  },
};

function noChangeReason(
  args: AptArgs,
  specs: PackageSpec[],
  state: AptState,
  facts: DebPackageFacts,
): string {
  const parts: string[] = [];
  if (args.deb !== undefined && facts.deb) {
    parts.push(`${facts.deb.package} ${facts.deb.version} is installed`);
  } else if (specs.length > 0) {
    const list = specs.map((spec) => spec.text).join(', ');
    parts.push(
      state === 'absent'
        ? `${list}: not installed`
        : state === 'latest'
          ? `${list}: installed at the candidate version`
          : `${list}: installed`,
    );
  }
  if (wantsRefresh(args) && specs.length === 0 && args.deb === undefined) {
    parts.push(`package lists ${describeAge(facts)} (cache_valid_time ${args.cache_valid_time} s)`);
  }
  if (args.autoremove === true) parts.push('nothing to autoremove');
  return parts.join('; ');
}

/** Download (URL) or link (a path not named *.deb, which apt would not take) into a temp folder, then install. */
function debInstall(source: string, args: AptArgs): RawShell {
  const options = {
    lockTimeout: args.lock_timeout ?? DEFAULT_LOCK_TIMEOUT,
    recommends: args.install_recommends,
    autoremove: args.autoremove === true,
  };
  if (!isUrl(source) && source.endsWith('.deb')) return aptGet('install', [source], options);
  const fetch = isUrl(source)
    ? downloadLines(source, 'p.deb', 1)
    : [raw('d=$(mktemp -d) || exit 1'), raw(`trap 'rm -rf -- "$d"' EXIT`), sh`ln -s -- ${source} "$d/p.deb"`];
  return raw([...fetch, aptGet('install', raw('"$d/p.deb"'), options)].map((line) => line.text).join('\n'));
}

/** apt's error lines ("E: ...", "Err:..." with the reason on the indented line below), or its last words. */
export function aptError(output: ExecResult): string {
  const lines = `${output.stderr}\n${output.stdout}`.split('\n');
  const errors: string[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('E: ')) errors.push(line.trim());
    if (line.startsWith('Err:')) {
      const reason = lines[i + 1];
      errors.push(reason?.startsWith(' ') ? `${line.trim()}: ${reason.trim()}` : line.trim());
    }
  });
  if (errors.length > 0) return [...new Set(errors)].join('\n');
  return firstLine(output.stderr) || `exit code ${output.code}`;
}

/**
 * The outcome of apt steps: changed, or failed naming the step and apt's errors. Steps that
 * ran before the failing one did change the host.
 */
export function finishAptSteps(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const result = { ...plan.result };
  const failedAt = outputs.findIndex((output) => output.code !== 0);
  if (failedAt < 0) return { changed: true, result };
  const output = outputs[failedAt] as ExecResult;
  const msg = `${plan.steps[failedAt]?.description ?? 'apt'} failed: ${aptError(output)}`;
  return {
    changed: failedAt > 0,
    failed: true,
    msg,
    result: { ...result, msg, rc: output.code, stdout: output.stdout, stderr: output.stderr },
  };
}

function finishApt(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const outcome = finishAptSteps(outputs, plan);
  // The refresh is the first step: when it failed, the lists are as they were.
  if (outcome.failed && outputs.length === 1 && plan.result?.cache_updated === true) {
    outcome.result.cache_updated = false;
  }
  return outcome;
}

export const aptModule: ModuleDefinition<AptArgs, DebPackageFacts> = {
  name: 'apt',
  aliases: ['package'],
  description: 'Debian packages installed, removed or upgraded with apt-get; package lists refreshed.',
  schema: AptArgs,
  kind: 'plan',
  checkArgs: checkAptArgs,
  gather: (args) => debPackagesScript(aptQuery(args)),
  parse: (result) => parseDebPackages(result),
  overlay: (facts, overlay, args) => overlayDebPackages(facts, aptQuery(args), overlay),
  predict: predictApt,
  plan(args, facts) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'apt: planned without facts');
    return planApt(args, facts);
  },
  finish: (_args, outputs, _ctx, plan) => finishApt(outputs, plan),
};
