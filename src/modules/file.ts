/**
 * file: a path's state (file, directory, absent, touch, a symbolic or hard link) and its mode,
 * owner and group; `recurse` applies the attributes to everything below a directory.
 */
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { type LinkState, linkStateScript, parseLinkState } from '../facts/link-state.js';
import { type PathState, parsePathState, pathStateScript } from '../facts/path-state.js';
import type { Effect, FileAttributes } from '../predict/effects.js';
import { overlayLinkState, overlayPathState } from '../predict/paths.js';
import { ancestorsOf, normalizePath } from '../predict/state.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import { tempBeside } from '../transport/verified-write.js';
import {
  type AttributeArgs,
  type AttributeChanges,
  attributeChanges,
  attributeCommands,
  attributeDiff,
  attributeSchemas,
  checkAttributeArgs,
  describeChanges,
  hasChanges,
  modeSpec,
  targetMode,
  treeChanges,
} from './attributes.js';
import { moduleFailure } from './failure.js';
import { chmodArgument, formatMode, type ModeSpec } from './mode.js';
import { checkPathAliases, pathAliasSchemas, pathOf as pathArg } from './path-arg.js';
import type { ArgIssue, Diff, ModuleContext, ModuleDefinition, Plan } from './types.js';
import { runnerName } from './write-effects.js';

const State = Type.Union(
  [
    Type.Literal('file'),
    Type.Literal('directory'),
    Type.Literal('absent'),
    Type.Literal('touch'),
    Type.Literal('link'),
    Type.Literal('hard'),
  ],
  {
    description:
      'file: must exist (only attributes change). directory: created with missing parents. absent: removed (folders with their content). touch: created empty or its times updated (always a change). link: a symbolic link to src. hard: a hard link to src. Default: the current type, or file.',
  },
);

export const FileArgs = Type.Object(
  {
    ...pathAliasSchemas('The path on the host'),
    state: Type.Optional(State),
    ...attributeSchemas,
    src: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'What the link points to (state: link or hard). Relative: from the folder of path, as ln -s reads it. With link, mode/owner/group apply to what it points to.',
      }),
    ),
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'link: also when src does not exist (yet), or replacing a file or an empty directory at path. hard: replacing a different file at path.',
      }),
    ),
    recurse: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'With state: directory, apply mode/owner/group to everything inside too (symbolic modes like "u=rwX,g=rX,o=" suit this).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FileArgs = Static<typeof FileArgs>;
type FileState = 'file' | 'directory' | 'absent' | 'touch' | 'link' | 'hard';
/** Facts of link/hard (link-state.ts) or of every other state (path-state.ts). */
export type FileFacts = PathState | LinkState;

function pathOf(args: FileArgs): string {
  return pathArg(args, 'file');
}

function recursive(args: FileArgs): boolean {
  return args.recurse === true && args.state === 'directory';
}

export function checkFileArgs(args: FileArgs): ArgIssue[] {
  const issues: ArgIssue[] = checkPathAliases(args);
  if (args.recurse === true && args.state !== 'directory') {
    issues.push({ key: 'recurse', message: 'recurse needs state: directory' });
  }
  const linking = args.state === 'link' || args.state === 'hard';
  if (linking && args.src === undefined)
    issues.push({ key: 'state', message: `state: ${args.state} needs src` });
  if (!linking && args.src !== undefined)
    issues.push({ key: 'src', message: 'src needs state: link or hard' });
  return [...issues, ...checkAttributeArgs(args)];
}

/** The folders `mkdir -p` would create, outermost first. */
function ancestorsAndSelf(path: string): string[] {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '/' || trimmed === '.' || trimmed === '') return [];
  return [...ancestorsOf(trimmed), trimmed];
}

function script(commands: RawShell[]): RawShell {
  return raw(['set -e', ...commands.map((c) => c.text)].join('\n'));
}

/** Attributes asked for on something created now (from the default bits for the umask). */
function createdAttributes(args: AttributeArgs, isDirectory: boolean, umask: number) {
  const base = (isDirectory ? 0o777 : 0o666) & ~umask;
  const mode = targetMode(args, base, isDirectory, umask);
  return {
    mode,
    set: {
      mode: args.mode !== undefined ? mode : undefined,
      owner: args.owner,
      group: args.group,
    },
  };
}

function createdDiff(path: string, state: string, mode: number, args: AttributeArgs): Diff {
  const after: Record<string, unknown> = { path, state, mode: formatMode(mode) };
  if (args.owner !== undefined) after.owner = args.owner;
  if (args.group !== undefined) after.group = args.group;
  return { before: { path, state: 'absent' }, after };
}

function withDiffs(plan: Plan, ctx: ModuleContext, diffs: Diff[]): Plan {
  if (plan.changed && ctx.diff) plan.diffs = diffs;
  return plan;
}

export function planFile(args: FileArgs, facts: PathState, ctx: ModuleContext): Plan {
  const path = pathOf(args);
  const stat = facts.stat;
  const state: FileState = args.state ?? (stat?.type === 'directory' ? 'directory' : 'file');
  // Like Ansible, the result names what the path is afterwards (touch leaves a file).
  const after = state === 'touch' ? (stat?.type === 'directory' ? 'directory' : 'file') : state;
  const result: Record<string, unknown> = { path, state: after };

  if (state === 'absent') {
    if (!stat && !facts.isLink) return { changed: false, reason: `${path} is absent`, result };
    const before = facts.isLink ? 'link' : (stat?.type ?? 'file');
    return withDiffs(
      {
        changed: true,
        summary: `remove ${path}`,
        steps: [{ command: sh`rm -rf -- ${path}`, description: `remove ${path}` }],
        result,
        effects: [{ kind: 'path', path, after: { type: 'absent' } }],
      },
      ctx,
      [{ before: { path, state: before }, after: { path, state: 'absent' } }],
    );
  }

  if (!stat && facts.isLink) throw moduleFailure(`${path} is a symbolic link to nothing`, { path });

  if (state === 'directory') {
    if (stat && stat.type !== 'directory') {
      throw moduleFailure(`${path} exists and is not a directory`, { path });
    }
    if (!stat) {
      const created = createdAttributes(args, true, facts.umask);
      const inner = [sh`mkdir -- "$d"`, ...attributeCommands(raw('"$d"'), created.set)];
      const command = script([
        sh`for d in ${ancestorsAndSelf(path)}; do`,
        sh`  if [ ! -d "$d" ]; then ${raw(inner.map((c) => c.text).join('; '))}; fi`,
        raw('done'),
      ]);
      result.mode = formatMode(created.mode);
      const runner = { owner: runnerName(facts.uid), group: runnerName(facts.gid) };
      const effects: Effect[] = ancestorsOf(normalizePath(path)).map((dir) => ({
        kind: 'path',
        path: dir,
        after: { type: 'directory', mode: 0o777 & ~facts.umask, ...runner },
        ifMissing: true,
      }));
      effects.push({
        kind: 'path',
        path,
        after: {
          type: 'directory',
          mode: created.mode,
          owner: args.owner ?? runner.owner,
          group: args.group ?? runner.group,
        },
      });
      return withDiffs(
        {
          changed: true,
          summary: `create directory ${path}`,
          steps: [{ command, description: `create ${path}` }],
          result,
          effects,
        },
        ctx,
        [createdDiff(path, 'directory', created.mode, args)],
      );
    }
    if (recursive(args)) return planTree(args, facts, ctx, path, result);
  } else if (state === 'file') {
    if (!stat) throw moduleFailure(`${path} does not exist (state: touch creates it)`, { path });
    if (stat.type === 'directory') throw moduleFailure(`${path} is a directory, not a file`, { path });
  } else if (state === 'touch') {
    if (!stat) {
      if (!facts.parentExists) throw moduleFailure(`folder ${posix.dirname(path)} does not exist`, { path });
      const created = createdAttributes(args, false, facts.umask);
      result.mode = formatMode(created.mode);
      return withDiffs(
        {
          changed: true,
          summary: `create ${path}`,
          steps: [
            {
              command: script([sh`touch -- ${path}`, ...attributeCommands(path, created.set)]),
              description: `touch ${path}`,
            },
          ],
          result,
          effects: [
            {
              kind: 'path',
              path,
              after: {
                type: 'file',
                bytes: Buffer.alloc(0),
                mode: created.mode,
                owner: args.owner ?? runnerName(facts.uid),
                group: args.group ?? runnerName(facts.gid),
              },
            },
          ],
        },
        ctx,
        [createdDiff(path, 'touch', created.mode, args)],
      );
    }
  }

  // The path exists with the right type: only attributes (and times, for touch) change.
  const existing = stat as NonNullable<typeof stat>;
  const changes = attributeChanges(args, existing, facts.umask);
  result.mode = formatMode(changes.mode?.after ?? existing.mode);
  result.owner = changes.owner?.after ?? existing.user;
  result.group = changes.group?.after ?? existing.group;
  const commands = attributeCommands(path, {
    mode: changes.mode?.after,
    owner: changes.owner?.after,
    group: changes.group?.after,
  });
  if (state === 'touch') {
    const diff = attributeDiff(path, changes);
    diff.before.state = existing.type;
    diff.after.state = 'touch';
    return withDiffs(
      {
        changed: true,
        summary: hasChanges(changes) ? `touch ${path}, ${describeChanges(changes)}` : `touch ${path}`,
        steps: [{ command: script([sh`touch -- ${path}`, ...commands]), description: `touch ${path}` }],
        result,
        effects: [attributeEffect(path, changes)],
      },
      ctx,
      [diff],
    );
  }
  if (!hasChanges(changes)) {
    return { changed: false, reason: `${path} is a ${existing.type} with the attributes asked for`, result };
  }
  return withDiffs(
    {
      changed: true,
      summary: `${path}: ${describeChanges(changes)}`,
      steps: [{ command: script(commands), description: `set attributes of ${path}` }],
      result,
      effects: [attributeEffect(path, changes)],
    },
    ctx,
    [attributeDiff(path, changes)],
  );
}

/** The attributes an existing path gets. */
function attributeEffect(path: string, changes: AttributeChanges): Effect {
  const set: FileAttributes = {};
  if (changes.mode) set.mode = changes.mode.after;
  if (changes.owner) set.owner = changes.owner.after;
  if (changes.group) set.group = changes.group.after;
  return { kind: 'attributes', path, set };
}

function planTree(
  args: FileArgs,
  facts: PathState,
  ctx: ModuleContext,
  path: string,
  result: Record<string, unknown>,
): Plan {
  const changes = treeChanges(args, facts.tree ?? [], facts.umask);
  if (changes.count === 0) {
    return { changed: false, reason: `${path} and everything in it have the attributes asked for`, result };
  }
  const spec = modeSpec(args);
  const mode = spec === undefined ? undefined : spec.kind === 'octal' ? chmodArgument(spec.bits) : spec.text;
  const commands = attributeCommands(
    path,
    {
      mode: changes.mode ? mode : undefined,
      owner: changes.owner ? args.owner : undefined,
      group: changes.group ? args.group : undefined,
    },
    true,
  );
  const after: Record<string, unknown> = { path, entries_to_change: 0 };
  if (changes.mode && spec) after.mode = spec.text;
  if (changes.owner) after.owner = args.owner;
  if (changes.group) after.group = args.group;
  return withDiffs(
    {
      changed: true,
      summary: `${path}: attributes of ${changes.count} entr${changes.count === 1 ? 'y' : 'ies'} (recursive)`,
      steps: [{ command: script(commands), description: `set attributes under ${path}` }],
      result,
      effects: treeEffects(path, args, facts, spec),
    },
    ctx,
    [{ before: { path, entries_to_change: changes.count }, after }],
  );
}

/** A recursive change: the folder's own attributes, then those of everything in it. */
function treeEffects(path: string, args: FileArgs, facts: PathState, spec: ModeSpec | undefined): Effect[] {
  const stat = facts.stat as NonNullable<PathState['stat']>;
  const own = attributeChanges(args, stat, facts.umask);
  const effects: Effect[] = [attributeEffect(path, own)];
  const tree: Effect = { kind: 'attributes', path, set: treeSet(args, spec), recursive: true };
  if (spec !== undefined && spec.kind !== 'octal') {
    tree.unknownMode = true;
    tree.why = `a symbolic mode set on everything in ${path}`;
  }
  effects.push(tree);
  return effects;
}

function treeSet(args: FileArgs, spec: ModeSpec | undefined): FileAttributes {
  const set: FileAttributes = {};
  if (spec?.kind === 'octal') set.mode = spec.bits;
  if (args.owner !== undefined) set.owner = args.owner;
  if (args.group !== undefined) set.group = args.group;
  return set;
}

function isLinking(args: FileArgs): boolean {
  return args.state === 'link' || args.state === 'hard';
}

/** What was at the path, in Ansible's words (a file with more than one name is "hard"). */
function previousState(facts: LinkState): string {
  const current = facts.current;
  if (!current) return 'absent';
  if (current.type === 'file' || current.type === 'other') return current.nlink > 1 ? 'hard' : 'file';
  return current.type;
}

/** state: link or hard. The link is made beside path and renamed over it: never a moment without one. */
export function planLink(args: FileArgs, facts: LinkState, ctx: ModuleContext): Plan {
  const path = pathOf(args);
  const state = args.state as 'link' | 'hard';
  const src = args.src as string;
  const force = args.force === true;
  const current = facts.current;
  const prev = previousState(facts);
  const result: Record<string, unknown> = { path, state, src };
  if (!facts.parentExists) throw moduleFailure(`folder ${posix.dirname(path)} does not exist`, { path });

  let relink: boolean;
  if (state === 'link') {
    if (!facts.src && !force) {
      throw moduleFailure(
        `src file does not exist, use "force: true" if you really want to create the link: ${facts.srcPath}`,
        { path, src },
      );
    }
    if (current?.type === 'directory') {
      if (!force) throw moduleFailure(`refusing to convert from directory to symlink for ${path}`, { path });
      if (!current.empty)
        throw moduleFailure(`the directory ${path} is not empty, refusing to convert it`, { path });
    } else if (current && current.type !== 'link' && !force) {
      throw moduleFailure(`refusing to convert from ${prev} to symlink for ${path}`, { path });
    }
    relink = current?.type !== 'link' || current.target !== src;
  } else {
    if (!facts.src) throw moduleFailure(`src ${facts.srcPath} does not exist`, { path, src });
    if (facts.src.type === 'directory')
      throw moduleFailure(`src ${facts.srcPath} is a directory: it cannot be hard linked`, { path, src });
    if (current?.type === 'directory') throw moduleFailure(`${path} is a directory`, { path });
    relink = current?.type === 'link' || !current || current.identity !== facts.src.identity;
    if (relink && current && current.type !== 'link' && !force) {
      const what = prev === 'hard' ? 'hard link' : prev;
      throw moduleFailure(`cannot link, a different ${what} exists at ${path} (force: true replaces it)`, {
        path,
      });
    }
  }

  // Attributes belong to what the link leads to.
  const hasAttributes = args.mode !== undefined || args.owner !== undefined || args.group !== undefined;
  if (hasAttributes && !facts.src) {
    const why = `${facts.srcPath}, which the link points to, does not exist`;
    throw moduleFailure(`cannot set mode, owner or group: ${why}`, { path });
  }
  const changes = facts.src ? attributeChanges(args, facts.src, facts.umask) : {};
  if (facts.src) {
    result.mode = formatMode(changes.mode?.after ?? facts.src.mode);
    result.owner = changes.owner?.after ?? facts.src.user;
    result.group = changes.group?.after ?? facts.src.group;
  }
  if (!relink && !hasChanges(changes)) {
    return {
      changed: false,
      reason: `${path} is a ${state === 'link' ? 'symbolic' : 'hard'} link to ${src}`,
      result,
    };
  }

  const commands: RawShell[] = [];
  if (relink) {
    const made = state === 'link' ? sh`ln -s -- ${src}` : sh`ln -- ${facts.srcPath}`;
    if (!current || current.type === 'directory') {
      if (current) commands.push(sh`rmdir -- ${path}`);
      commands.push(sh`${made} ${path}`);
    } else {
      // The new link is made beside path, then renamed over it (-T: even over a link to a folder).
      commands.push(
        sh`t=$(mktemp -u ${tempBeside(path)})`,
        raw(`trap 'rm -f -- "$t"' EXIT`),
        sh`${made} "$t"`,
        sh`mv -f -T -- "$t" ${path}`,
        raw('trap - EXIT'),
      );
    }
  }
  commands.push(
    ...attributeCommands(path, {
      mode: changes.mode?.after,
      owner: changes.owner?.after,
      group: changes.group?.after,
    }),
  );
  const before: Record<string, unknown> = { path, state: prev };
  if (current?.type === 'link') before.src = current.target;
  const after: Record<string, unknown> = { path, state, src };
  const diffs: Diff[] = relink ? [{ before, after }] : [];
  if (hasChanges(changes)) diffs.push(attributeDiff(path, changes));
  const parts = [
    relink ? `${state === 'link' ? 'symbolic' : 'hard'} link to ${src}` : undefined,
    hasChanges(changes) ? describeChanges(changes) : undefined,
  ];
  return withDiffs(
    {
      changed: true,
      summary: `${path}: ${parts.filter((part) => part !== undefined).join(', ')}`,
      steps: [
        {
          command: script(commands),
          description: relink ? `link ${path} to ${src}` : `set attributes of ${path}`,
        },
      ],
      result,
      effects: linkEffects(path, state, src, facts, relink, changes),
    },
    ctx,
    diffs,
  );
}

function linkEffects(
  path: string,
  state: 'link' | 'hard',
  src: string,
  facts: LinkState,
  relink: boolean,
  changes: AttributeChanges,
): Effect[] {
  const effects: Effect[] = [];
  if (relink) {
    effects.push(
      state === 'link'
        ? { kind: 'path', path, after: { type: 'link', target: src } }
        : { kind: 'path', path, after: { type: 'file' }, why: `${path} is a hard link to ${src}` },
    );
  }
  if (hasChanges(changes)) effects.push(attributeEffect(facts.srcPath, changes));
  return effects;
}

export const fileModule: ModuleDefinition<FileArgs, FileFacts> = {
  name: 'file',
  description:
    'Make a path a file, a directory, a symbolic or hard link, absent or touched, with mode, owner and group.',
  schema: FileArgs,
  kind: 'plan',
  checkArgs: checkFileArgs,
  gather: (args) =>
    isLinking(args)
      ? linkStateScript(pathOf(args), args.src as string)
      : pathStateScript(pathOf(args), { tree: recursive(args) }),
  parse: (result, args) =>
    isLinking(args)
      ? parseLinkState(result, pathOf(args), args.src as string)
      : parsePathState(result, pathOf(args), { tree: recursive(args) }),
  overlay: (facts, overlay, args) =>
    isLinking(args)
      ? overlayLinkState(facts as LinkState, overlay)
      : overlayPathState(
          facts as PathState,
          { path: pathOf(args), tree: recursive(args), needs: { content: false } },
          overlay,
        ),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'file: planned without facts');
    if (isLinking(args)) return planLink(args, facts as LinkState, ctx);
    return planFile(args, facts as PathState, ctx);
  },
  finish(_args, outputs, _ctx, plan) {
    const output = outputs[outputs.length - 1];
    if (output && output.code === 0) return { changed: true, result: plan.result ?? {} };
    const msg = output?.stderr.trim() || `exit code ${output?.code}`;
    return { changed: false, failed: true, msg, result: { ...plan.result, msg } };
  },
};
