/**
 * replace: every match of a regular expression in a text file replaced, optionally only in the
 * part between `after` and `before`. The same rules as Ansible's module (Python regular
 * expressions in multiline mode, `\1` and `\g<name>` in the replacement), applied on the
 * controller to the content read by the gather script; the result is written whole and
 * atomically.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import type { FileContent } from '../facts/file-content.js';
import { attributeSchemas, checkAttributeArgs } from './attributes.js';
import { moduleFailure } from './failure.js';
import { backupSchema, checkValidateArg, validateSchema } from './file-write.js';
import { checkPathAliases, pathAliasSchemas } from './path-arg.js';
import { pythonRegExp, regexProblem, substitute } from './python-regex.js';
import { isTemplated } from './templated.js';
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

export const ReplaceArgs = Type.Object(
  {
    ...pathAliasSchemas('The text file to edit; a symbolic link is followed'),
    regexp: Type.String({
      description:
        'Regular expression (Python syntax, multiline: ^ and $ match at each line) whose every match is replaced. A replacement that still matches changes the file on every run.',
    }),
    replace: Type.Optional(
      Type.String({
        default: '',
        description:
          'The replacement; \\1 or \\g<name> insert groups of regexp, \\g<0> the whole match; $ is literal. Default: empty (matches are deleted).',
      }),
    ),
    after: Type.Optional(
      Type.String({
        description:
          'Only replace after the first match of this regular expression (dot matches newlines). When it matches nothing, the whole file is used, as Ansible does.',
      }),
    ),
    before: Type.Optional(
      Type.String({
        description:
          'Only replace before the last match of this regular expression (with after: before the first match following after). When it matches nothing, the whole file is used, as Ansible does.',
      }),
    ),
    backup: backupSchema('path', 'backup'),
    validate: validateSchema('path'),
    ...attributeSchemas,
  },
  { additionalProperties: false },
);
export type ReplaceArgs = Static<typeof ReplaceArgs>;

function sectionPattern(args: ReplaceArgs): string | undefined {
  const { after, before } = args;
  if (after && before) return `${after}(?P<subsection>.*?)${before}`;
  if (after) return `${after}(?P<subsection>.*)`;
  if (before) return `(?P<subsection>.*)${before}`;
  return undefined;
}

export function checkReplaceArgs(args: ReplaceArgs): ArgIssue[] {
  const issues: ArgIssue[] = [...checkPathAliases(args), ...checkRegexArg('regexp', args.regexp, true)];
  issues.push(...checkRegexArg('after', args.after), ...checkRegexArg('before', args.before));
  const section = sectionPattern(args);
  if (section !== undefined && issues.length === 0 && !isTemplated(args.after) && !isTemplated(args.before)) {
    const problem = regexProblem(section, { dotAll: true });
    if (problem !== undefined) issues.push({ key: args.after ? 'after' : 'before', message: problem });
  }
  return [...issues, ...checkValidateArg(args.validate), ...checkAttributeArgs(args)];
}

/** Ansible's replace on the whole text: the new text and how many matches were replaced. */
export function replaceEdit(text: string, args: ReplaceArgs): { text: string; count: number } {
  const pattern = sectionPattern(args);
  let start = 0;
  let end = text.length;
  if (pattern !== undefined) {
    const match = compile(pattern, args.after ? 'after' : 'before', { dotAll: true }).exec(text);
    const indices = match?.indices?.groups?.subsection;
    if (indices) [start, end] = indices;
  }
  const section = text.slice(start, end);
  const regex = compile(args.regexp, 'regexp', { multiline: true, global: true });
  let replaced: { text: string; count: number };
  try {
    replaced = substitute(regex, section, args.replace ?? '');
  } catch (error) {
    throw moduleFailure(`replace: ${(error as Error).message}`);
  }
  if (replaced.count === 0 || replaced.text === section) return { text, count: 0 };
  return { text: text.slice(0, start) + replaced.text + text.slice(end), count: replaced.count };
}

function compile(pattern: string, key: string, options: Parameters<typeof pythonRegExp>[1]): RegExp {
  try {
    return pythonRegExp(pattern, options);
  } catch (error) {
    throw new BosunError('BOSUN_INPUT', `${key}: ${(error as Error).message}`);
  }
}

export function planReplace(args: ReplaceArgs, facts: FileContent, ctx: ModuleContext): Plan {
  const subject = editSubject(facts, 'replace');
  const path = subject.path;
  const result: Record<string, unknown> = { path };
  if (subject.target !== path) result.target = subject.target;
  if (subject.text === undefined) throw moduleFailure(`${path} does not exist`, { path });
  const edit = replaceEdit(subject.text, args);
  return planEdit({
    subject,
    text: edit.text,
    args,
    ctx,
    result,
    msg: `${edit.count} replacements made`,
    unchanged: `nothing to replace in ${path}`,
  });
}

export const replaceModule: ModuleDefinition<ReplaceArgs, FileContent> = {
  name: 'replace',
  description: 'Replace every match of a regular expression in a text file.',
  schema: ReplaceArgs,
  kind: 'plan',
  checkArgs: checkReplaceArgs,
  gather: (args) => editGather(args, 'replace'),
  parse: (result, args) => editParse(result, args, 'replace'),
  overlay: (facts, overlay) => editOverlay(facts, overlay),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'replace: planned without facts');
    return planReplace(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishEdit(outputs, plan),
};
