/**
 * What lineinfile, blockinfile and replace share: the path argument with Ansible's aliases,
 * the file read whole by the gather script (fact script file-content.ts), and the edited text
 * written back whole through file-write, so check mode and diffs are exact.
 */
import { BosunError } from '../errors.js';
import {
  type FileContent,
  fileContentScript,
  MAX_EDIT_BYTES,
  parseFileContent,
} from '../facts/file-content.js';
import type { Overlay } from '../predict/overlay.js';
import { overlayFileContent } from '../predict/paths.js';
import type { ExecResult } from '../transport/types.js';
import type { AttributeArgs } from './attributes.js';
import { moduleFailure } from './failure.js';
import { fileKey, finishWrite, isText, planWrite, type WriteFacts } from './file-write.js';
import { type PathAliasArgs, pathOf } from './path-arg.js';
import { regexProblem } from './python-regex.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ChangePlan, ModuleContext, ModuleDefinition, ModuleOutcome, Plan } from './types.js';
import { withWriteEffects } from './write-effects.js';

/** An issue when `value` (an argument holding a regular expression) does not compile. */
export function checkRegexArg(key: string, value: string | undefined, multiline = false): ArgIssue[] {
  if (value === undefined || isTemplated(value)) return [];
  const problem = regexProblem(value, { multiline });
  return problem === undefined ? [] : [{ key, message: problem }];
}

/** The file to edit: where it is written, and its text (undefined when it does not exist). */
export interface EditSubject {
  /** The path as given (results and messages). */
  path: string;
  /** Where the new content goes: the file a symbolic link leads to, else path. */
  target: string;
  /** The folder of target may be missing (created when the file is). */
  parentMayBeMissing: boolean;
  text?: string;
  facts: WriteFacts;
}

export function editSubject(facts: FileContent, module: string): EditSubject {
  const path = facts.path;
  let target = path;
  if (facts.isLink) {
    if (facts.realPath === undefined) {
      throw moduleFailure(`${path} is a symbolic link that cannot be resolved`, { path });
    }
    target = facts.realPath;
  }
  const writeFacts: WriteFacts = { umask: facts.umask, uid: facts.uid, gid: facts.gid };
  const subject: EditSubject = {
    path,
    target,
    parentMayBeMissing: !facts.parentExists || target !== path,
    facts: writeFacts,
  };
  const stat = facts.stat;
  if (!stat) return subject;
  if (stat.type === 'directory') throw moduleFailure(`${path} is a directory`, { path });
  if (stat.type !== 'file') throw moduleFailure(`${path} is not a regular file`, { path });
  if (facts.tooLarge) {
    throw moduleFailure(
      `${path} is larger than ${MAX_EDIT_BYTES / 1024 / 1024} MiB: ${module} reads files whole; use copy or template for such files`,
      { path, size: stat.size },
    );
  }
  if (!facts.bytes) throw moduleFailure(`cannot read ${path}: no content came back from the host`, { path });
  if (!isText(facts.bytes)) {
    throw moduleFailure(
      `${path} is not a text file (it holds binary data): ${module} edits text files only`,
      {
        path,
      },
    );
  }
  subject.text = facts.bytes.toString('utf8');
  writeFacts.stat = stat;
  writeFacts.sha256 = facts.sha256;
  writeFacts.content = subject.text;
  return subject;
}

export interface EditInput {
  subject: EditSubject;
  /** The new text; undefined: leave the content as it is (attributes may still change). */
  text: string | undefined;
  args: AttributeArgs & { backup?: boolean | undefined; validate?: string | undefined };
  ctx: ModuleContext;
  result: Record<string, unknown>;
  /** What the edit did ("line added"), reported as msg when the content changes. */
  msg: string;
  /** No-op reason. */
  unchanged: string;
}

/** The write of the edited text (or only attribute changes), through file-write. */
export function planEdit(input: EditInput): Plan {
  const { subject, args, ctx, result } = input;
  const text = input.text ?? subject.text ?? '';
  const contentChanges = subject.text !== text || subject.facts.stat === undefined;
  if (contentChanges) result.msg = input.msg;
  const bytes = Buffer.from(text, 'utf8');
  const plan = planWrite({
    path: subject.target,
    facts: subject.facts,
    bytes,
    args,
    ctx,
    result,
    parents: subject.parentMayBeMissing,
    unchanged: input.unchanged,
    summary: `${subject.path}: ${input.msg}`,
  });
  if (plan.changed && !contentChanges) result.msg = 'mode, owner or group changed';
  return withWriteEffects(plan, {
    path: subject.target,
    bytes,
    facts: subject.facts,
    parents: subject.parentMayBeMissing,
  });
}

/** The outcome of an edit's write; the backup sits beside the file written (a link's target). */
function finishEdit(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const result = plan.result ?? {};
  const written = typeof result.target === 'string' ? result.target : String(result.path);
  return finishWrite(outputs, result, written, 'backup');
}

/**
 * The module definition parts the three text modules share around their own planner: the file
 * read whole by the gather script, written back whole, one task at a time per file and host.
 */
export function editModule<A extends PathAliasArgs>(
  module: string,
  plan: (args: A, facts: FileContent, ctx: ModuleContext) => Plan,
): Pick<
  ModuleDefinition<A, FileContent>,
  'kind' | 'writeKey' | 'gather' | 'parse' | 'overlay' | 'plan' | 'finish'
> {
  return {
    kind: 'plan',
    writeKey: (args) => fileKey(pathOf(args, module)),
    gather: (args) => fileContentScript(pathOf(args, module)),
    parse: (result, args) => parseFileContent(result, pathOf(args, module)),
    // Check mode: the file as the changes planned earlier in the run leave it.
    overlay: (facts: FileContent, overlay: Overlay) => overlayFileContent(facts, overlay),
    plan(args, facts, ctx) {
      if (!facts) throw new BosunError('BOSUN_INTERNAL', `${module}: planned without facts`);
      return plan(args, facts, ctx);
    },
    finish: (_args, outputs, _ctx, changes) => finishEdit(outputs, changes),
  };
}
