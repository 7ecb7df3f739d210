/**
 * blockinfile: a block of lines between two marker lines, inserted, replaced or removed in a
 * text file. The same rules as Ansible's module (and the same default markers, so files it
 * managed converge without a second block), applied on the controller to the content read by
 * the gather script; the result is written whole and atomically.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import type { FileContent } from '../facts/file-content.js';
import { attributeSchemas, checkAttributeArgs } from './attributes.js';
import { moduleFailure } from './failure.js';
import { backupSchema, checkValidateArg, validateSchema } from './file-write.js';
import { checkPathAliases, pathAliasSchemas } from './path-arg.js';
import { pythonRegExp } from './python-regex.js';
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

export const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

export const BlockinfileArgs = Type.Object(
  {
    ...pathAliasSchemas('The text file to edit; a symbolic link is followed'),
    block: Type.Optional(
      Type.String({
        default: '',
        description: 'The lines between the markers. Empty (the default) removes the block.',
      }),
    ),
    marker: Type.Optional(
      Type.String({
        minLength: 1,
        default: DEFAULT_MARKER,
        description:
          'The marker line template; {mark} becomes marker_begin or marker_end. Use a comment syntax that suits the file. Default is Ansible\'s, so blocks it wrote are found: "# {mark} ANSIBLE MANAGED BLOCK".',
      }),
    ),
    marker_begin: Type.Optional(
      Type.String({ default: 'BEGIN', description: 'What {mark} becomes in the first marker line.' }),
    ),
    marker_end: Type.Optional(
      Type.String({ default: 'END', description: 'What {mark} becomes in the last marker line.' }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'present: the block is in the file. absent: the block and its markers are removed.',
      }),
    ),
    insertafter: Type.Optional(
      Type.String({
        description:
          'Where a new block goes (when the markers are not found): EOF (the default), or after the last line matching this regular expression (the end when none does).',
      }),
    ),
    insertbefore: Type.Optional(
      Type.String({
        description:
          'Where a new block goes (when the markers are not found): BOF, or before the last line matching this regular expression (the end when none does). Exclusive with insertafter.',
      }),
    ),
    create: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Create the file (and missing folders) when it does not exist; false: a missing file fails the task.',
      }),
    ),
    append_newline: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Put a blank line after the block, unless it ends the file or a blank line follows already.',
      }),
    ),
    prepend_newline: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Put a blank line before the block, unless it starts the file or a blank line precedes already.',
      }),
    ),
    backup: backupSchema('path', 'backup'),
    validate: validateSchema('path'),
    ...attributeSchemas,
  },
  { additionalProperties: false },
);
export type BlockinfileArgs = Static<typeof BlockinfileArgs>;

export function checkBlockinfileArgs(args: BlockinfileArgs): ArgIssue[] {
  const issues: ArgIssue[] = [...checkPathAliases(args)];
  if (args.insertafter !== undefined && args.insertbefore !== undefined) {
    issues.push({ key: 'insertbefore', message: 'insertafter and insertbefore are mutually exclusive' });
  }
  for (const key of ['marker', 'marker_begin', 'marker_end'] as const) {
    const value = args[key];
    // A marker holding a line break is never found again: every run would add a block.
    if (typeof value === 'string' && !isTemplated(value) && /[\r\n]/.test(value)) {
      issues.push({ key, message: `${key} must be one line` });
    }
  }
  if (args.insertafter !== 'EOF') issues.push(...checkRegexArg('insertafter', args.insertafter));
  if (args.insertbefore !== 'BOF') issues.push(...checkRegexArg('insertbefore', args.insertbefore));
  return [...issues, ...checkValidateArg(args.validate), ...checkAttributeArgs(args)];
}

/** Lines with their endings, as Python's bytes.splitlines(keepends=True) splits them. */
export function splitAllLines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/** Ansible's blockinfile on the file's lines: the new lines and what happened. */
export function blockEdit(lines: string[], args: BlockinfileArgs): string[] {
  const present = (args.state ?? 'present') === 'present';
  const marker = args.marker ?? DEFAULT_MARKER;
  const begin = `${marker.split('{mark}').join(args.marker_begin ?? 'BEGIN')}\n`;
  const end = `${marker.split('{mark}').join(args.marker_end ?? 'END')}\n`;
  let { insertafter, insertbefore } = args;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  let inserter: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') inserter = compile(insertafter, 'insertafter');
  else if (insertbefore !== undefined && insertbefore !== 'BOF')
    inserter = compile(insertbefore, 'insertbefore');

  let block = args.block ?? '';
  let blockLines: string[] = [];
  if (present && block !== '') {
    if (!block.endsWith('\n')) block += '\n';
    blockLines = [begin, ...splitAllLines(block), end];
  }

  const out = [...lines];
  let n0: number | undefined;
  let n1: number | undefined;
  for (const [i, line] of out.entries()) {
    if (line === begin) n0 = i;
    if (line === end) n1 = i;
  }
  let at: number;
  if (n0 === undefined || n1 === undefined) {
    if (inserter) {
      let last: number | undefined;
      for (const [i, line] of out.entries()) if (inserter.test(line)) last = i;
      if (last === undefined) at = out.length;
      else at = insertafter !== undefined ? last + 1 : last;
    } else if (insertbefore !== undefined) {
      at = 0;
    } else {
      at = out.length;
    }
  } else if (n0 < n1) {
    out.splice(n0, n1 - n0 + 1);
    at = n0;
  } else {
    out.splice(n1, n0 - n1 + 1);
    at = n1;
  }
  // The line before a block must end with a line break; only when a block goes there (Ansible also
  // adds it when removing, changing files that hold no block).
  const before = out[at - 1];
  if (blockLines.length > 0 && before !== undefined && !before.endsWith('\n')) out[at - 1] = `${before}\n`;
  if (args.prepend_newline === true && present && at !== 0 && out[at - 1] !== '\n') {
    out.splice(at, 0, '\n');
    at += 1;
  }
  out.splice(at, 0, ...blockLines);
  if (args.append_newline === true && present) {
    const after = at + blockLines.length;
    if (after < out.length && out[after] !== '\n') out.splice(after, 0, '\n');
  }
  return out;
}

function compile(pattern: string, key: string): RegExp {
  try {
    return pythonRegExp(pattern);
  } catch (error) {
    throw new BosunError('BOSUN_INPUT', `${key}: ${(error as Error).message}`);
  }
}

export function planBlockinfile(args: BlockinfileArgs, facts: FileContent, ctx: ModuleContext): Plan {
  const subject = editSubject(facts, 'blockinfile');
  const path = subject.path;
  const result: Record<string, unknown> = { path };
  if (subject.target !== path) result.target = subject.target;
  const present = (args.state ?? 'present') === 'present';
  if (subject.text === undefined) {
    if (!present) return { changed: false, reason: `${path} does not exist`, result };
    if (args.create !== true)
      throw moduleFailure(`${path} does not exist (create: true creates it)`, { path });
  }
  const original = subject.text;
  const text = blockEdit(splitAllLines(original ?? ''), args).join('');
  const removing = !present || (args.block ?? '') === '';
  const msg = original === undefined ? 'file created' : removing ? 'block removed' : 'block inserted';
  return planEdit({
    subject,
    text,
    args,
    ctx,
    result,
    msg,
    unchanged: removing ? `${path} has no such block` : `${path} has the block`,
  });
}

export const blockinfileModule: ModuleDefinition<BlockinfileArgs, FileContent> = {
  name: 'blockinfile',
  description: 'Insert, update or remove a block of lines between marker lines in a text file.',
  schema: BlockinfileArgs,
  kind: 'plan',
  checkArgs: checkBlockinfileArgs,
  gather: (args) => editGather(args, 'blockinfile'),
  parse: (result, args) => editParse(result, args, 'blockinfile'),
  overlay: (facts, overlay) => editOverlay(facts, overlay),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'blockinfile: planned without facts');
    return planBlockinfile(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishEdit(outputs, plan),
};
