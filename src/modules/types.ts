/**
 * The contract between modules and the engine. A module never runs anything: it returns one
 * script that prints the state it needs (`gather`), a pure parser of that output (`parse`) and
 * a pure `plan` from those facts to the commands that converge the host. The engine runs them.
 * Because `plan` is pure, check mode reports exactly what a real run would do.
 */
import type { TSchema } from '@sinclair/typebox';
import type { Effect } from '../predict/effects.js';
import type { Overlay } from '../predict/overlay.js';
import type { RawShell } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';

/** A text file as it is and as it will be (unified diff made by the reporter). */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
  beforeLabel?: string;
  afterLabel?: string;
}

/** Attributes (mode, owner, state...) that change; only the keys that differ, plus `path`. */
export interface StateDiff {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export type Diff = FileDiff | StateDiff;

export function isFileDiff(diff: Diff): diff is FileDiff {
  return 'path' in diff && typeof (diff as FileDiff).before === 'string';
}

/** One remote command of a plan, run in order through the task's become settings. */
export interface Step {
  command: RawShell;
  /** Bytes for the command's standard input (file content travels here, never in argv). */
  stdin?: string | Buffer;
  /** What the step does, for logs ("write /etc/motd"). */
  description: string;
  /**
   * Values the step carries (on stdin) that must never be printed, such as a password hash:
   * the engine adds them to the run's secrets before the step runs, so any output that
   * holds them (a failure echoing its input) is redacted.
   */
  secrets?: string[];
}

export type NoChangePlan = { changed: false; reason: string; result?: Record<string, unknown> };
export type ChangePlan = {
  changed: true;
  summary: string;
  steps: Step[];
  diffs?: Diff[];
  result?: Record<string, unknown>;
  /**
   * What the steps would leave on the host, for check mode: later tasks plan against it.
   * Empty when they change nothing later tasks look at (a step that fails); left out by modules
   * that cannot say, whose changes then make what they read (`reads`) not known.
   */
  effects?: Effect[];
};
export type Plan = NoChangePlan | ChangePlan;

export interface ModuleContext {
  host: string;
  check: boolean;
  diff: boolean;
  /** The host's variables as the task sees them (debug var lookups). */
  vars: Record<string, unknown>;
  become: boolean;
  becomeUser?: string;
  /** Bytes of a controller-side file (copy src), resolved the way the engine resolves files. */
  readLocalFile(path: string): Promise<Buffer>;
  /** Evaluate a condition with the task's variables (assert `that`), the same way as `when`. */
  evaluate(condition: string | boolean): boolean;
  /** Render a controller-side template file with the task's variables (template module). */
  renderTemplate?(text: string, file: string): string;
}

export interface ModuleOutcome {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  result: Record<string, unknown>;
  /** set_fact: variables added to the host. */
  facts?: Record<string, unknown>;
  meta?: 'flush_handlers';
}

/** A problem with arguments that a schema cannot express (exclusive or required-one-of). */
export interface ArgIssue {
  /** The argument concerned, for a located message; undefined when it is about the whole set. */
  key?: string;
  message: string;
  /**
   * Found in the text written around the templates of the value (a line break in `line`), so
   * it holds whatever they render to: reported at load although the value holds `{{`.
   */
  literal?: boolean;
}

export type ModuleKind = 'plan' | 'run' | 'controller';

/** What a module's predict script may use. */
export interface PredictContext extends ModuleContext {
  /** A folder of memory-only storage on the host for this check run (removed at its end). */
  workspace: string;
  /** The host as the run has predicted it so far. */
  overlay: Overlay;
}

/** Effects learnt by a predict script; `unknown` when it could not learn them (why). */
export interface Predicted {
  effects: Effect[];
  unknown?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of every argument type
export interface ModuleDefinition<A = any, F = any> {
  name: string;
  /** Other names accepted in a task (resolved by getModule). */
  aliases?: string[];
  /** One line shown in generated schemas and docs. */
  description: string;
  /** TypeBox schema of the (rendered) args; every property has a description. */
  schema: TSchema;
  /** The argument a free-form string (`command: ls -l`) goes into. */
  freeForm?: string;
  /**
   * Arguments the engine passes through untemplated: they are expressions or variable names,
   * evaluated by the module itself (assert `that`, debug `var`).
   */
  rawArgs?: string[];
  /**
   * 'plan': plans from facts (check mode safe). 'run': the action is the command itself
   * (command/shell): check mode reports what its plan says (it would run, unless creates or
   * removes say not) without running it, so its output is not known there; check_mode: false
   * runs it. 'controller': runs on the controller only (`controller`).
   */
  kind: ModuleKind;
  /**
   * Rules the schema cannot say (exclusive or required-one-of arguments, mode syntax); empty
   * when the args are usable. Safe before rendering: values holding `{{` are not judged.
   */
  checkArgs?(args: A): ArgIssue[];
  /** Controller-side inputs (copy src -> bytes), awaited by the engine before gather. */
  prepare?(args: A, ctx: ModuleContext): Promise<A>;
  /** ONE remote script printing the state the plan needs; undefined when none is needed. */
  gather?(args: A, ctx: ModuleContext): RawShell | undefined;
  /** Pure parser of the gather output; throws BOSUN_MODULE_FAILED when the script failed. */
  parse?(result: ExecResult, args: A, ctx: ModuleContext): F;
  /**
   * The file (or crontab) the module reads and replaces, as a key ("file:/etc/hosts"): tasks
   * with the same key on the same host (several hosts delegating to one) run there one at a
   * time, each gathering after the previous one wrote. Undefined: no such file.
   */
  writeKey?(args: A): string | undefined;
  /**
   * Check mode: the facts as the changes planned earlier in the run would leave them (pure;
   * src/predict/ has one overlay per fact). Parts no one can know before the real run are
   * noted on `overlay`, and the task is then reported unknown.
   */
  overlay?(facts: F, overlay: Overlay, args: A, ctx: ModuleContext): F;
  /**
   * Paths the facts describe, for modules without `overlay`: when the run changes one of them
   * (or what is above or below), check mode reports the task unknown instead of planning
   * against the host as it is. Undefined: the facts depend on more (a port), so any change
   * planned before makes the task unknown.
   */
  reads?(args: A): string[] | undefined;
  /**
   * Check mode: a read-only script learning what the plan's steps would make, that the plan
   * cannot know by itself (apt: the packages apt would install and their files); its output
   * gives the effects. Runs only for changed plans.
   */
  predict?: {
    script(args: A, facts: F | undefined, plan: ChangePlan, ctx: PredictContext): RawShell | undefined;
    parse(
      result: ExecResult,
      args: A,
      facts: F | undefined,
      plan: ChangePlan,
      ctx: PredictContext,
    ): Predicted;
  };
  /** Pure: the same facts give the same plan, in check mode or not. May throw BOSUN_MODULE_FAILED. */
  plan(args: A, facts: F | undefined, ctx: ModuleContext): Plan;
  /**
   * After the steps ran (the engine stops at the first step exiting non-zero and passes the
   * outputs so far): the task outcome for register. Use `finishPlan`, which applies the default
   * (changed, or failed with the failing step's output) for modules without one.
   */
  finish?(args: A, outputs: ExecResult[], ctx: ModuleContext, plan: ChangePlan): ModuleOutcome;
  /** kind 'controller'. */
  controller?(args: A, ctx: ModuleContext): ModuleOutcome;
}
