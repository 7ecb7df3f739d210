/**
 * lineinfile: one line present in (or absent from) a text file, found by exact text, a regular
 * expression or a substring, inserted after or before a line matching another expression.
 * The same rules as Ansible's module, applied on the controller to the file's content read by
 * the gather script; the result is written whole and atomically.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import type { FileContent } from '../facts/file-content.js';
import { attributeSchemas, checkAttributeArgs } from './attributes.js';
import { moduleFailure } from './failure.js';
import { backupSchema, checkValidateArg, validateSchema } from './file-write.js';
import { checkPathAliases, pathAliasSchemas } from './path-arg.js';
import { expandTemplate, pythonRegExp } from './python-regex.js';
import {
  checkRegexArg,
  editGather,
  editOverlay,
  editParse,
  editSubject,
  finishEdit,
  planEdit,
} from './text-edit.js';
import type { ArgIssue, ModuleContext, ModuleDefinition, Plan } from './types.js';

export const LineinfileArgs = Type.Object(
  {
    ...pathAliasSchemas('The text file to edit; a symbolic link is followed'),
    line: Type.Optional(
      Type.String({
        description:
          'The line to have in the file (state: present), or to remove (state: absent, without regexp or search_string). With backrefs, may use \\1 or \\g<name> for groups of regexp.',
      }),
    ),
    regexp: Type.Optional(
      Type.String({
        description:
          'Regular expression (Python syntax) finding the line to replace (present: the last matching line, or the first with firstmatch) or the lines to remove (absent).',
      }),
    ),
    search_string: Type.Optional(
      Type.String({
        description:
          'Literal text finding the line to replace or the lines to remove, like regexp without special characters (exclusive with regexp).',
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'present: the line is in the file. absent: every line matching is removed.',
      }),
    ),
    backrefs: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'With regexp: line is a template using its groups; when regexp matches nothing the file is left as it is (the line is never added).',
      }),
    ),
    insertafter: Type.Optional(
      Type.String({
        description:
          'Where a new line goes when nothing matches: EOF (the default), BOF, or after the last line matching this regular expression (the end when none does).',
      }),
    ),
    insertbefore: Type.Optional(
      Type.String({
        description:
          'Where a new line goes when nothing matches: BOF, or before the last line matching this regular expression (the end when none does). Exclusive with insertafter.',
      }),
    ),
    firstmatch: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Use the first line matching regexp, insertafter or insertbefore instead of the last.',
      }),
    ),
    create: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Create the file (and missing folders) when it does not exist (state: present); false: a missing file fails the task.',
      }),
    ),
    backup: backupSchema('path', 'backup'),
    validate: validateSchema('path'),
    ...attributeSchemas,
  },
  { additionalProperties: false },
);
export type LineinfileArgs = Static<typeof LineinfileArgs>;

export function checkLineinfileArgs(args: LineinfileArgs): ArgIssue[] {
  const issues: ArgIssue[] = [...checkPathAliases(args)];
  if (args.insertafter !== undefined && args.insertbefore !== undefined) {
    issues.push({ key: 'insertbefore', message: 'insertafter and insertbefore are mutually exclusive' });
  }
  if (args.regexp !== undefined && args.search_string !== undefined) {
    issues.push({ key: 'search_string', message: 'regexp and search_string are mutually exclusive' });
  }
  if (args.backrefs === true && args.search_string !== undefined) {
    issues.push({ key: 'backrefs', message: 'backrefs needs regexp, not search_string' });
  }
  if ((args.state ?? 'present') === 'present') {
    if (args.line === undefined)
      issues.push({ key: 'line', message: 'line is required with state: present' });
    if (args.backrefs === true && args.regexp === undefined) {
      issues.push({ key: 'backrefs', message: 'backrefs needs regexp' });
    }
  } else if (args.line === undefined && args.regexp === undefined && args.search_string === undefined) {
    issues.push({ message: 'state: absent needs one of line, regexp or search_string' });
  }
  issues.push(...checkRegexArg('regexp', args.regexp));
  if (args.insertafter !== 'EOF' && args.insertafter !== 'BOF') {
    issues.push(...checkRegexArg('insertafter', args.insertafter));
  }
  if (args.insertbefore !== 'BOF') issues.push(...checkRegexArg('insertbefore', args.insertbefore));
  return [...issues, ...checkValidateArg(args.validate), ...checkAttributeArgs(args)];
}

/** Lines with their endings, as Python's readlines splits them (only at \n). */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

/** The text of a line without its ending (Python's rstrip(b'\r\n')). */
function bare(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

function endsLine(line: string): boolean {
  return line.endsWith('\n') || line.endsWith('\r');
}

interface Edit {
  lines: string[];
  /** What changed ("line added"); '' when nothing did. */
  msg: string;
  /** Why nothing changed. */
  reason?: string;
}

/** Ansible's lineinfile `present`, on lines with their endings. */
export function presentEdit(lines: string[], args: LineinfileArgs): Edit {
  const line = args.line as string;
  const firstmatch = args.firstmatch === true;
  const { insertafter, insertbefore } = args;
  const matcher = args.regexp !== undefined ? compile(args.regexp, 'regexp') : undefined;
  let inserter: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') {
    inserter = compile(insertafter, 'insertafter');
  } else if (insertbefore !== undefined && insertbefore !== 'BOF') {
    inserter = compile(insertbefore, 'insertbefore');
  }

  // Where regexp/search_string (else the exact line) was found, and where an insert would go.
  let found = -1;
  let insertAt = -1;
  let match: RegExpExecArray | undefined;
  let matched = false;
  if (matcher) {
    for (const [i, current] of lines.entries()) {
      const m = matcher.exec(current);
      if (m) {
        found = i;
        match = m;
        matched = true;
        if (firstmatch) break;
      }
    }
  }
  if (args.search_string !== undefined) {
    for (const [i, current] of lines.entries()) {
      if (current.includes(args.search_string)) {
        found = i;
        matched = true;
        if (firstmatch) break;
      }
    }
  }
  // Only when regexp/search_string found nothing: the exact line, or the insert position.
  if (!matched) {
    for (const [i, current] of lines.entries()) {
      if (bare(current) === line) {
        found = i;
      } else if (inserter?.test(current)) {
        if (insertafter) {
          insertAt = i + 1;
          if (firstmatch) break;
        }
        if (insertbefore) {
          insertAt = i;
          if (firstmatch) break;
        }
      }
    }
  }

  const out = [...lines];
  if (found !== -1) {
    let replacement = args.backrefs === true && match ? expand(line, match) : line;
    if (!replacement.endsWith('\n')) replacement += '\n';
    if (out[found] === replacement) return { lines: out, msg: '', reason: 'the line is there' };
    out[found] = replacement;
    return { lines: out, msg: 'line replaced' };
  }
  // Without a match, a line made from backrefs cannot be built: leave the file alone.
  if (args.backrefs === true) {
    return { lines: out, msg: '', reason: 'regexp matches no line (backrefs: nothing to rewrite)' };
  }
  if (insertbefore === 'BOF' || insertafter === 'BOF') {
    out.unshift(`${line}\n`);
    return { lines: out, msg: 'line added' };
  }
  if (insertafter === 'EOF' || insertAt === -1) {
    const last = out[out.length - 1];
    if (last !== undefined && !endsLine(last)) out.push('\n');
    out.push(`${line}\n`);
    return { lines: out, msg: 'line added' };
  }
  if (insertafter) {
    // Not again when the line already follows the one matched.
    if (out.length === insertAt) {
      if (bare(out[insertAt - 1] as string) === line)
        return { lines: out, msg: '', reason: 'the line is there' };
      out.push(`${line}\n`);
    } else {
      if (bare(out[insertAt] as string) === line) return { lines: out, msg: '', reason: 'the line is there' };
      out.splice(insertAt, 0, `${line}\n`);
    }
    return { lines: out, msg: 'line added' };
  }
  out.splice(insertAt, 0, `${line}\n`);
  return { lines: out, msg: 'line added' };
}

/** Ansible's lineinfile `absent`: every line matching regexp, search_string or the exact line goes. */
export function absentEdit(lines: string[], args: LineinfileArgs): Edit {
  const matcher = args.regexp !== undefined ? compile(args.regexp, 'regexp') : undefined;
  const matches = (current: string): boolean => {
    if (matcher) return matcher.test(current);
    if (args.search_string !== undefined) return current.includes(args.search_string);
    return bare(current) === args.line;
  };
  const kept = lines.filter((current) => !matches(current));
  const removed = lines.length - kept.length;
  return removed > 0
    ? { lines: kept, msg: `${removed} line(s) removed` }
    : { lines: kept, msg: '', reason: 'no line matches' };
}

function compile(pattern: string, key: string): RegExp {
  try {
    return pythonRegExp(pattern);
  } catch (error) {
    throw new BosunError('BOSUN_INPUT', `${key}: ${(error as Error).message}`);
  }
}

function expand(line: string, match: RegExpExecArray): string {
  try {
    return expandTemplate(line, match, match.groups);
  } catch (error) {
    throw moduleFailure(`line: ${(error as Error).message}`);
  }
}

export function planLineinfile(args: LineinfileArgs, facts: FileContent, ctx: ModuleContext): Plan {
  const subject = editSubject(facts, 'lineinfile');
  const path = subject.path;
  const result: Record<string, unknown> = { path };
  if (subject.target !== path) result.target = subject.target;
  const absent = args.state === 'absent';
  if (subject.text === undefined) {
    if (absent) return { changed: false, reason: `${path} does not exist`, result };
    if (args.create !== true) {
      throw moduleFailure(`${path} does not exist (create: true creates it)`, { path });
    }
  }
  const lines = splitLines(subject.text ?? '');
  const edit = absent ? absentEdit(lines, args) : presentEdit(lines, args);
  return planEdit({
    subject,
    text: edit.lines.join(''),
    args,
    ctx,
    result,
    msg: edit.msg || 'file created',
    unchanged: `${path}: ${edit.reason ?? 'as asked'}`,
  });
}

export const lineinfileModule: ModuleDefinition<LineinfileArgs, FileContent> = {
  name: 'lineinfile',
  description: 'Make sure a line is in a text file (or absent from it), replacing a line a regexp finds.',
  schema: LineinfileArgs,
  kind: 'plan',
  checkArgs: checkLineinfileArgs,
  gather: (args) => editGather(args, 'lineinfile'),
  parse: (result, args) => editParse(result, args, 'lineinfile'),
  overlay: (facts, overlay) => editOverlay(facts, overlay),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'lineinfile: planned without facts');
    return planLineinfile(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishEdit(outputs, plan),
};
