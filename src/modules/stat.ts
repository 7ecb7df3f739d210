/**
 * stat: facts about one path, registered in the shape Ansible's stat returns (`stat.exists`,
 * `stat.isdir`, `stat.mode`, `stat.checksum`...). Never changes anything.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  CHECKSUM_ALGORITHMS,
  type FileStat,
  type FileStatOptions,
  fileStatScript,
  parseFileStat,
} from '../facts/file-stat.js';
import { overlayFileStat } from '../predict/paths.js';
import { formatMode } from './mode.js';
import { checkPathAliases, pathAliasSchemas, pathOf } from './path-arg.js';
import type { ArgIssue, ModuleDefinition, Plan } from './types.js';

export const StatArgs = Type.Object(
  {
    ...pathAliasSchemas('The path to describe'),
    follow: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Describe what a symbolic link points to (a link to nothing then does not exist); false: the link itself (islnk, lnk_target, lnk_source).',
      }),
    ),
    get_checksum: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Report `checksum` of a readable regular file (reads the whole file).',
      }),
    ),
    checksum_algorithm: Type.Optional(
      Type.Union(
        CHECKSUM_ALGORITHMS.map((name) => Type.Literal(name)),
        { default: 'sha1', description: 'Algorithm of the checksum (the host needs its <name>sum command).' },
      ),
    ),
    get_mime: Type.Optional(
      Type.Boolean({
        description: 'Accepted for Ansible playbooks; ignored: mimetype and charset are never reported.',
      }),
    ),
    get_attributes: Type.Optional(
      Type.Boolean({
        description: 'Accepted for Ansible playbooks; ignored: lsattr attributes are never reported.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type StatArgs = Static<typeof StatArgs>;

function statOptions(args: StatArgs): FileStatOptions {
  return {
    follow: args.follow === true,
    checksum: args.get_checksum === false ? undefined : (args.checksum_algorithm ?? 'sha1'),
  };
}

const S_IFMT = 0o170000;
const TYPES = {
  isdir: 0o040000,
  ischr: 0o020000,
  isblk: 0o060000,
  isreg: 0o100000,
  isfifo: 0o010000,
  islnk: 0o120000,
  issock: 0o140000,
} as const;

/** glibc's makedev, as Python's st_rdev gives it. */
function makedev(major: number, minor: number): number {
  return (
    (major & 0xfff) * 0x100 +
    (minor & 0xff) +
    Math.floor(minor / 0x100) * 0x100000 +
    Math.floor(major / 0x1000) * 2 ** 44
  );
}

/** The `stat` dict of Ansible's module. */
export function statResult(path: string, facts: FileStat): Record<string, unknown> {
  const f = facts.fields;
  if (!facts.exists || !f) return { exists: false };
  const mode = f.rawMode;
  const out: Record<string, unknown> = { exists: true, path, mode: formatMode(mode & 0o7777) };
  for (const [key, bits] of Object.entries(TYPES)) out[key] = (mode & S_IFMT) === bits;
  Object.assign(out, {
    uid: f.uid,
    gid: f.gid,
    size: f.size,
    inode: f.inode,
    dev: f.dev,
    nlink: f.nlink,
    atime: f.atime,
    mtime: f.mtime,
    ctime: f.ctime,
    wusr: (mode & 0o200) !== 0,
    rusr: (mode & 0o400) !== 0,
    xusr: (mode & 0o100) !== 0,
    wgrp: (mode & 0o020) !== 0,
    rgrp: (mode & 0o040) !== 0,
    xgrp: (mode & 0o010) !== 0,
    woth: (mode & 0o002) !== 0,
    roth: (mode & 0o004) !== 0,
    xoth: (mode & 0o001) !== 0,
    isuid: (mode & 0o4000) !== 0,
    isgid: (mode & 0o2000) !== 0,
    blocks: f.blocks,
    block_size: f.blockSize,
  });
  if (out.ischr || out.isblk) out.device_type = makedev(f.major, f.minor);
  if (f.user !== 'UNKNOWN') out.pw_name = f.user;
  if (f.group !== 'UNKNOWN') out.gr_name = f.group;
  if (out.islnk) {
    if (facts.lnkSource !== undefined) out.lnk_source = facts.lnkSource;
    if (facts.lnkTarget !== undefined) out.lnk_target = facts.lnkTarget;
  }
  out.readable = facts.readable === true;
  out.writeable = facts.writeable === true;
  out.executable = facts.executable === true;
  if (facts.checksum !== undefined) out.checksum = facts.checksum;
  return out;
}

export function planStat(args: StatArgs, facts: FileStat): Plan {
  const path = pathOf(args, 'stat');
  const stat = statResult(path, facts);
  const what = !facts.exists
    ? 'does not exist'
    : stat.islnk
      ? 'is a symbolic link'
      : stat.isdir
        ? 'is a directory'
        : stat.isreg
          ? 'is a file'
          : 'exists';
  return { changed: false, reason: `${path} ${what}`, result: { stat } };
}

export const statModule: ModuleDefinition<StatArgs, FileStat> = {
  name: 'stat',
  description: 'Report facts about a path (exists, type, mode, owner, size, checksum...); changes nothing.',
  schema: StatArgs,
  kind: 'plan',
  checkArgs: (args): ArgIssue[] => checkPathAliases(args),
  gather: (args) => fileStatScript(pathOf(args, 'stat'), statOptions(args)),
  parse: (result, args) => parseFileStat(result, pathOf(args, 'stat')),
  overlay: (facts, overlay, args) => overlayFileStat(facts, pathOf(args, 'stat'), statOptions(args), overlay),
  plan(args, facts) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'stat: planned without facts');
    return planStat(args, facts);
  },
};
