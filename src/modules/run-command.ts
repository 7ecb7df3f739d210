/**
 * What command and shell share: Ansible's inline options in a free-form string
 * (`command: make creates=/opt/app/bin chdir=/src`), creates/removes decided from gathered
 * facts (so check mode can predict), and the task result built from the command's output.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { type ExistsQuery, parsePathsExist, pathsExistScript } from '../facts/path-exists.js';
import type { Effect } from '../predict/effects.js';
import type { Overlay } from '../predict/overlay.js';
import { overlayExists } from '../predict/paths.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { shellWords, splitShellWords } from './shell-words.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ChangePlan, ModuleDefinition, ModuleOutcome, Plan, Step } from './types.js';

export interface RunArgs {
  cmd?: string;
  argv?: string[];
  creates?: string;
  removes?: string;
  chdir?: string;
  executable?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
}

export type RunFacts = { creates?: boolean; removes?: boolean };

export const runSchemas = {
  creates: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'A path or glob; when it matches something the command is not run. Relative to chdir when given.',
    }),
  ),
  removes: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'A path or glob; when it matches nothing the command is not run. Relative to chdir when given.',
    }),
  ),
  chdir: Type.Optional(Type.String({ minLength: 1, description: 'Change into this folder before running.' })),
  stdin: Type.Optional(Type.String({ description: 'Text fed to the command on its standard input.' })),
  stdin_add_newline: Type.Optional(
    Type.Boolean({ default: true, description: 'Append a newline to stdin.' }),
  ),
  strip_empty_ends: Type.Optional(
    Type.Boolean({
      default: true,
      description: 'Remove trailing newlines from stdout and stderr in the result.',
    }),
  ),
};

/** Inline options Ansible takes out of a free-form command string. */
const INLINE_OPTIONS = {
  command: ['creates', 'removes', 'chdir'],
  shell: ['creates', 'removes', 'chdir', 'executable'],
} as const;

export type RunStyle = keyof typeof INLINE_OPTIONS;
type InlineKey = (typeof INLINE_OPTIONS)[RunStyle][number];

/** The args with inline `key=value` options moved out of the free-form string. */
export interface ResolvedRun extends RunArgs {
  /** command: the program and its arguments. */
  words?: string[];
  /** shell: the script for /bin/sh. */
  script?: string;
  /** How the command is shown (in the result's `cmd` and in logs). */
  display: string | string[];
}

type RunHooks<A extends RunArgs> = Required<
  Pick<
    ModuleDefinition<A, RunFacts>,
    'freeForm' | 'kind' | 'checkArgs' | 'gather' | 'parse' | 'overlay' | 'plan' | 'finish'
  >
>;

/** Everything of a command or shell module but its name, description and schema. */
export function runModuleHooks<A extends RunArgs>(style: RunStyle): RunHooks<A> {
  return {
    freeForm: 'cmd',
    kind: 'run',
    checkArgs: (args) => checkRunArgs(args, style),
    gather: (args) => runGather(args, style),
    parse: (result, args) => runParse(result, args, style),
    overlay: (facts, overlay, args) => runOverlay(facts, overlay, args, style),
    plan: (args, facts) => runPlan(args, facts, style),
    finish: (args, outputs, _ctx, plan) => runFinish(args, outputs, plan),
  };
}

export function resolveRun(args: RunArgs, style: RunStyle): ResolvedRun {
  const resolved: ResolvedRun = { ...args, display: '' };
  let text = args.cmd;
  // Only one-line commands: a script's heredoc may well hold a line like `chdir=/srv`.
  if (text !== undefined && !text.trim().includes('\n')) {
    const extracted = extractInline(text, INLINE_OPTIONS[style], style === 'command');
    text = extracted.rest;
    const inline = extracted.options as Partial<Record<InlineKey, string>>;
    for (const key of INLINE_OPTIONS[style]) {
      if (resolved[key] === undefined && inline[key] !== undefined) resolved[key] = inline[key];
    }
  }
  if (style === 'shell') {
    resolved.script = text ?? '';
    resolved.display = resolved.script;
  } else {
    resolved.words = args.argv ?? splitShellWords(text ?? '');
    resolved.display = resolved.words;
  }
  return resolved;
}

function extractInline(
  text: string,
  keys: readonly string[],
  strict: boolean,
): { rest: string; options: Record<string, string> } {
  let words: ReturnType<typeof shellWords>;
  try {
    words = shellWords(text);
  } catch (error) {
    // A shell script may use syntax a word splitter cannot follow; it is then taken whole.
    if (strict) throw error;
    return { rest: text, options: {} };
  }
  const options: Record<string, string> = {};
  let rest = '';
  let last = 0;
  for (const word of words) {
    const source = text.slice(word.start, word.end);
    const key = keys.find((k) => source.startsWith(`${k}=`));
    if (key === undefined) continue;
    options[key] = word.value.slice(key.length + 1);
    rest += text.slice(last, word.start);
    last = word.end;
  }
  rest += text.slice(last);
  return { rest: last > 0 ? rest.trim() : text, options };
}

function checkRunArgs(args: RunArgs, style: RunStyle): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (style === 'command' && args.cmd !== undefined && args.argv !== undefined) {
    issues.push({ key: 'argv', message: 'give either a command string (cmd) or argv, not both' });
  }
  if (args.cmd === undefined && args.argv === undefined) {
    issues.push({
      message:
        style === 'command' ? 'a command is required (free-form, cmd or argv)' : 'a command is required',
    });
    return issues;
  }
  if (issues.length > 0 || isTemplated(args.cmd)) return issues;
  let resolved: ResolvedRun;
  try {
    resolved = resolveRun(args, style);
  } catch (error) {
    return [{ key: 'cmd', message: error instanceof BosunError ? error.message : String(error) }];
  }
  const empty = style === 'shell' ? resolved.script?.trim() === '' : resolved.words?.length === 0;
  if (empty) issues.push({ key: args.argv ? 'argv' : 'cmd', message: 'the command is empty' });
  return issues;
}

function runGather(args: RunArgs, style: RunStyle): RawShell | undefined {
  const run = resolveRun(args, style);
  const queries: ExistsQuery[] = [];
  if (run.creates !== undefined) queries.push({ key: 'creates', pattern: run.creates });
  if (run.removes !== undefined) queries.push({ key: 'removes', pattern: run.removes });
  return queries.length > 0 ? pathsExistScript(queries, run.chdir) : undefined;
}

function runParse(result: ExecResult, args: RunArgs, style: RunStyle): RunFacts {
  const run = resolveRun(args, style);
  const keys = [run.creates !== undefined ? 'creates' : '', run.removes !== undefined ? 'removes' : ''];
  return parsePathsExist(
    result,
    keys.filter((k) => k !== ''),
  );
}

/** Check mode: creates/removes as the changes planned earlier in the run leave the paths. */
function runOverlay(facts: RunFacts, overlay: Overlay, args: RunArgs, style: RunStyle): RunFacts {
  const run = resolveRun(args, style);
  const out: RunFacts = { ...facts };
  if (run.creates !== undefined && facts.creates !== undefined) {
    out.creates = overlayExists(facts.creates, run.creates, run.chdir, overlay);
  }
  if (run.removes !== undefined && facts.removes !== undefined) {
    out.removes = overlayExists(facts.removes, run.removes, run.chdir, overlay);
  }
  return out;
}

/**
 * What running the command leaves, as far as its arguments say: what `creates` names exists
 * in some form, what `removes` names may be gone. The rest of what a command does is not
 * known to check mode.
 */
function runEffects(run: ResolvedRun): Effect[] {
  const effects: Effect[] = [];
  const place = (pattern: string) =>
    /[*?[]/.test(pattern) || pattern.startsWith('~')
      ? undefined
      : pattern.startsWith('/')
        ? pattern
        : run.chdir !== undefined
          ? posix.join(run.chdir, pattern)
          : undefined;
  const why = `it is what the command ${displayText(run)} makes`;
  for (const pattern of [run.creates, run.removes]) {
    if (pattern === undefined) continue;
    const path = place(pattern);
    if (path !== undefined) effects.push({ kind: 'path', path, after: { type: 'unknown' }, why });
  }
  return effects;
}

function runPlan(args: RunArgs, facts: RunFacts | undefined, style: RunStyle): Plan {
  const run = resolveRun(args, style);
  if (run.creates !== undefined && facts?.creates === true) {
    return skipped(run, `${run.creates} exists`);
  }
  if (run.removes !== undefined && facts?.removes === false) {
    return skipped(run, `${run.removes} does not exist`);
  }
  const program =
    style === 'shell'
      ? scriptOnFd(run.executable ?? '/bin/sh', run.script as string)
      : // exec: the first word is always a program, never a shell keyword or builtin.
        sh`exec ${run.words as string[]}`;
  const command = run.chdir !== undefined ? sh`cd -- ${run.chdir} && ${program}` : program;
  const step: Step = { command, description: displayText(run) };
  if (run.stdin !== undefined) {
    step.stdin = run.stdin_add_newline === false ? run.stdin : `${run.stdin}\n`;
  }
  return {
    changed: true,
    summary: `run ${displayText(run)}`,
    steps: [step],
    result: { cmd: run.display },
    effects: runEffects(run),
  };
}

/**
 * The shell reads the script from a here-document on fd 3, not from `-c SCRIPT`: a script in
 * argv shows in the host's process list (and in auth.log under sudo), with whatever secrets
 * it was rendered with. The delimiter is named after the script's hash, so the script cannot
 * hold it, and the step's own stdin stays the script's stdin.
 */
function scriptOnFd(executable: string, script: string): RawShell {
  const end = `BOSUN_SCRIPT_${createHash('sha256').update(script).digest('hex').slice(0, 16)}`;
  return raw(`${sh`${executable}`.text} /dev/fd/3 3<<'${end}'\n${script}\n${end}`);
}

function skipped(run: ResolvedRun, why: string): Plan {
  return {
    changed: false,
    reason: `not run: ${why}`,
    result: {
      cmd: run.display,
      rc: 0,
      stdout: `skipped, since ${why}`,
      stdout_lines: [`skipped, since ${why}`],
    },
  };
}

/** One line for summaries and logs: a multi-line command shows its first line and an ellipsis. */
function displayText(run: ResolvedRun): string {
  const text =
    typeof run.display === 'string' ? run.display : run.display.map((word) => quote(word)).join(' ');
  const trimmed = text.trim();
  const end = trimmed.indexOf('\n');
  return end < 0 ? trimmed : `${trimmed.slice(0, end)} …`;
}

function runFinish(args: RunArgs, outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  const strip = args.strip_empty_ends !== false;
  const stdout = strip ? trimEnd(output?.stdout ?? '') : (output?.stdout ?? '');
  const stderr = strip ? trimEnd(output?.stderr ?? '') : (output?.stderr ?? '');
  const rc = output?.code ?? -1;
  const result: Record<string, unknown> = {
    ...plan.result,
    rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    delta_ms: output?.durationMs ?? 0,
  };
  if (output?.signal) result.signal = output.signal;
  if (rc === 0) return { changed: true, result };
  const msg = output?.signal ? `killed by signal ${output.signal}` : 'non-zero return code';
  return { changed: true, failed: true, msg, result: { ...result, msg } };
}

function trimEnd(text: string): string {
  return text.replace(/(\r?\n)+$/, '');
}

/** Like Python's splitlines (Ansible's stdout_lines): a final newline ends the last line. */
function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out[out.length - 1] === '') out.pop();
  return out;
}
