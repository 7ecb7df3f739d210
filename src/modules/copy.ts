/**
 * copy: a file on the host with given content (inline `content`, or a controller file `src`),
 * mode, owner and group. Written atomically: a temp file in the same folder gets content and
 * attributes, is validated (when asked), then renamed over the destination, so readers see
 * the old file or the new one and a failed validation leaves the old file untouched.
 */
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  type PathState,
  type PathStateOptions,
  parsePathState,
  pathStateScript,
} from '../facts/path-state.js';
import type { Overlay } from '../predict/overlay.js';
import { overlayPathState } from '../predict/paths.js';
import { attributeSchemas, checkAttributeArgs } from './attributes.js';
import { failingStep, moduleFailure } from './failure.js';
import {
  backupSchema,
  checkValidateArg,
  fileKey,
  finishWrite,
  MAX_DIFF_BYTES,
  planWrite,
  sha256Of,
  validateSchema,
} from './file-write.js';
import type { ArgIssue, ModuleContext, ModuleDefinition, Plan } from './types.js';
import { withWriteEffects } from './write-effects.js';

export const CopyArgs = Type.Object(
  {
    dest: Type.String({
      minLength: 1,
      description:
        'Path of the file on the host. With src, an existing folder (or a path ending in /) receives the file under the name of src.',
    }),
    content: Type.Optional(
      Type.String({ description: 'The file content, given inline (exclusive with src).' }),
    ),
    src: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A file on the controller to copy (relative: the role's files/ folder, then the playbook folder).",
      }),
    ),
    ...attributeSchemas,
    backup: backupSchema('dest', 'backup_file'),
    validate: validateSchema('dest'),
    force: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Replace dest when its content differs; false: only create it when missing.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CopyArgs = Static<typeof CopyArgs> & {
  /** The bytes to write, set by prepare (from content or src). */
  bytes?: Buffer;
};

function stateOptions(args: CopyArgs, ctx: ModuleContext): PathStateOptions {
  const options: PathStateOptions = {};
  if (args.src !== undefined) options.into = posix.basename(args.src);
  if (ctx.diff) options.contentLimit = MAX_DIFF_BYTES;
  return options;
}

function bytesOf(args: CopyArgs): Buffer {
  if (args.bytes) return args.bytes;
  if (args.content !== undefined) return Buffer.from(args.content, 'utf8');
  throw new BosunError('BOSUN_INTERNAL', 'copy: src was not read before planning (prepare was not called)');
}

export function checkCopyArgs(args: CopyArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (args.content === undefined && args.src === undefined) {
    issues.push({ message: 'give content or src' });
  } else if (args.content !== undefined && args.src !== undefined) {
    issues.push({ key: 'src', message: 'content and src are mutually exclusive' });
  }
  if (args.content !== undefined && typeof args.dest === 'string' && args.dest.endsWith('/')) {
    issues.push({ key: 'dest', message: 'dest ends with / (a folder): with content, name the file' });
  }
  return [...issues, ...checkValidateArg(args.validate), ...checkAttributeArgs(args)];
}

export function planCopy(args: CopyArgs, facts: PathState, ctx: ModuleContext): Plan {
  const bytes = bytesOf(args);
  const path = facts.path;
  if (args.dest.endsWith('/') && path === args.dest) {
    throw moduleFailure(`destination folder ${args.dest} does not exist`, { path });
  }
  if (!facts.parentExists) {
    const missing = `destination folder ${posix.dirname(path)} does not exist`;
    return {
      changed: true,
      summary: `write ${path} (${missing} yet)`,
      steps: [failingStep(missing)],
      result: { dest: path },
      effects: [],
    };
  }
  const stat = facts.stat;
  if (stat?.type === 'directory') throw moduleFailure(`${path} is a directory`, { path });
  const result: Record<string, unknown> = { dest: path, sha256: sha256Of(bytes), size: bytes.length };

  if (stat && args.force === false) {
    return { changed: false, reason: `${path} exists and force is false`, result };
  }
  return withWriteEffects(planWrite({ path, facts, bytes, args, ctx, result }), { path, bytes, facts });
}

/** What copy and template need of dest beyond its existence: its bytes, and attributes when asked. */
export function copyOverlay(
  facts: PathState,
  overlay: Overlay,
  dest: string,
  options: PathStateOptions,
): PathState {
  return overlayPathState(facts, { ...options, path: dest }, overlay);
}

export const copyModule: ModuleDefinition<CopyArgs, PathState> = {
  name: 'copy',
  description: 'Put a file on the host (inline content or a controller file), atomically.',
  schema: CopyArgs,
  kind: 'plan',
  checkArgs: checkCopyArgs,
  writeKey: (args) => fileKey(args.dest),
  async prepare(args, ctx) {
    if (args.src === undefined) return args;
    return { ...args, bytes: await ctx.readLocalFile(args.src) };
  },
  gather: (args, ctx) => pathStateScript(args.dest, stateOptions(args, ctx)),
  parse: (result, args, ctx) => parsePathState(result, args.dest, stateOptions(args, ctx)),
  overlay: (facts, overlay, args, ctx) => copyOverlay(facts, overlay, args.dest, stateOptions(args, ctx)),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'copy: planned without facts');
    return planCopy(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishWrite(outputs, plan.result ?? {}, String(plan.result?.dest)),
};
