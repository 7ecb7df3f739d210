/**
 * mode/owner/group shared by copy and file: what differs between a path's attributes and the
 * arguments, the commands that fix it, and how it shows in a diff.
 */
import { Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import type { PathAttributes, TreeEntry } from '../facts/path-state.js';
import { type RawShell, sh } from '../transport/quote.js';
import { applyMode, chmodArgument, formatMode, type ModeSpec, parseMode } from './mode.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, StateDiff } from './types.js';

export interface AttributeArgs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

export const attributeSchemas = {
  mode: Type.Optional(
    Type.Union([Type.String(), Type.Integer({ minimum: 0 })], {
      description:
        'Permissions: octal ("0644"; quote it, a bare 0644 is read as the number 644 whose digits are taken as octal) or symbolic like chmod ("u=rw,g=r,o=", "a+X").',
    }),
  ),
  owner: Type.Optional(Type.String({ minLength: 1, description: 'User that should own it (name or uid).' })),
  group: Type.Optional(Type.String({ minLength: 1, description: 'Group that should own it (name or gid).' })),
};

export function checkAttributeArgs(args: AttributeArgs): ArgIssue[] {
  if (args.mode === undefined || isTemplated(args.mode)) return [];
  const spec = parseMode(args.mode);
  return typeof spec === 'string' ? [{ key: 'mode', message: spec }] : [];
}

export function modeSpec(args: AttributeArgs): ModeSpec | undefined {
  if (args.mode === undefined) return undefined;
  const spec = parseMode(args.mode);
  if (typeof spec === 'string') throw new BosunError('BOSUN_INPUT', spec);
  return spec;
}

/** Mode bits a path gets: the argument applied to `current`, or `current` when no mode is asked. */
export function targetMode(
  args: AttributeArgs,
  current: number,
  isDirectory: boolean,
  umask: number,
): number {
  const spec = modeSpec(args);
  return spec ? applyMode(spec, current, isDirectory, umask) : current;
}

/** Whether an owner/group argument names these ids: numeric arguments are ids, others names. */
export function namesId(wanted: string, id: number, name: string): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

export interface AttributeChanges {
  mode?: { before: number; after: number };
  owner?: { before: string; after: string };
  group?: { before: string; after: string };
}

export function hasChanges(changes: AttributeChanges): boolean {
  return changes.mode !== undefined || changes.owner !== undefined || changes.group !== undefined;
}

/** What must change on an existing path. */
export function attributeChanges(
  args: AttributeArgs,
  attributes: PathAttributes,
  umask: number,
): AttributeChanges {
  const changes: AttributeChanges = {};
  const mode = targetMode(args, attributes.mode, attributes.type === 'directory', umask);
  if (mode !== attributes.mode) changes.mode = { before: attributes.mode, after: mode };
  if (args.owner !== undefined && !namesId(args.owner, attributes.uid, attributes.user)) {
    changes.owner = { before: displayName(attributes.user, attributes.uid), after: args.owner };
  }
  if (args.group !== undefined && !namesId(args.group, attributes.gid, attributes.group)) {
    changes.group = { before: displayName(attributes.group, attributes.gid), after: args.group };
  }
  return changes;
}

/** How many entries of a tree need a change, and which kinds of change. */
export function treeChanges(
  args: AttributeArgs,
  tree: TreeEntry[],
  umask: number,
): { count: number; mode: boolean; owner: boolean; group: boolean } {
  const out = { count: 0, mode: false, owner: false, group: false };
  for (const entry of tree) {
    const changes = attributeChanges(args, entry, umask);
    if (!hasChanges(changes)) continue;
    out.count += entry.count;
    out.mode ||= changes.mode !== undefined;
    out.owner ||= changes.owner !== undefined;
    out.group ||= changes.group !== undefined;
  }
  return out;
}

function displayName(name: string, id: number): string {
  return name === 'UNKNOWN' ? String(id) : name;
}

/**
 * chmod/chown commands for `path` (a value, or a shell word such as "$tmp"). `mode` is exact
 * bits, or a symbolic spec for recursive changes where each entry gets its own result.
 */
export function attributeCommands(
  path: string | RawShell,
  set: { mode?: number | string; owner?: string | undefined; group?: string | undefined },
  recursive = false,
): RawShell[] {
  const commands: RawShell[] = [];
  const r = recursive ? sh`-R ` : sh``;
  if (set.mode !== undefined) {
    const mode = typeof set.mode === 'number' ? chmodArgument(set.mode) : set.mode;
    commands.push(sh`chmod ${r}-- ${mode} ${path}`);
  }
  if (set.owner !== undefined) {
    const spec = set.group !== undefined ? `${set.owner}:${set.group}` : set.owner;
    commands.push(sh`chown ${r}-- ${spec} ${path}`);
  } else if (set.group !== undefined) {
    commands.push(sh`chgrp ${r}-- ${set.group} ${path}`);
  }
  return commands;
}

/** The attribute part of a StateDiff (only keys that change). */
export function attributeDiff(path: string, changes: AttributeChanges): StateDiff {
  const before: Record<string, unknown> = { path };
  const after: Record<string, unknown> = { path };
  if (changes.mode) {
    before.mode = formatMode(changes.mode.before);
    after.mode = formatMode(changes.mode.after);
  }
  if (changes.owner) {
    before.owner = changes.owner.before;
    after.owner = changes.owner.after;
  }
  if (changes.group) {
    before.group = changes.group.before;
    after.group = changes.group.after;
  }
  return { before, after };
}

/** Describe changes in a few words for summaries ("mode 0600 -> 0644, owner root -> app"). */
export function describeChanges(changes: AttributeChanges): string {
  const parts: string[] = [];
  if (changes.mode)
    parts.push(`mode ${formatMode(changes.mode.before)} -> ${formatMode(changes.mode.after)}`);
  if (changes.owner) parts.push(`owner ${changes.owner.before} -> ${changes.owner.after}`);
  if (changes.group) parts.push(`group ${changes.group.before} -> ${changes.group.after}`);
  return parts.join(', ');
}
