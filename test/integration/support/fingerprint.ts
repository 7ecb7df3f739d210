/**
 * What a check run must not change, measured exactly: a fingerprint of a container's whole file
 * tree, taken just before and just after the run. Each regular file counts by its sha256, mode
 * and owner (uid:gid); every other entry by its type, mode and owner; a symlink also by its
 * target. Unlike `docker diff` (the paths changed since the image), this sees a second rewrite
 * of a file an earlier test already changed, a change under /var/log or /run, and a change of
 * mode or owner alone.
 *
 * Cost: one `find` walk inside the container per fingerprint, then sha256sum over the files not
 * seen before with the same path, inode, size and ctime (on any container: the files of an image
 * are the same on all its containers). ctime cannot be set from user space, so a file whose ctime
 * stands still kept its bytes, mode and owner, and its known hash is still its hash.
 */
import { expect } from 'vitest';
import { dockerCli } from '../../../src/lab/docker-cli.js';
import type { FleetNode } from '../../../src/lab/fleet.js';

/**
 * Left out of every fingerprint: the kernel's own trees, and what a host writes because a
 * session logged in, not because a task did anything. Measured on both lab images (plain sshd,
 * systemd) by fingerprints around `bosun run` of one `command: true` task (first and second
 * login, with and without become) and `bosun exec -b -K` as the password-sudo user, right or
 * wrong password. Nothing else changed, idle or not: the images run no syslog (no auth.log);
 * sshd writes utmp, wtmp and lastlog only for a session with a terminal, and Bosun asks for
 * none; btmp only records failed password logins; logind keeps no session files (libpam-systemd
 * is not installed).
 */
export const SESSION_NOISE: readonly { path: string; why: string }[] = [
  { path: '/proc', why: "the kernel's process tree" },
  { path: '/sys', why: "the kernel's devices and the host's cgroup tree (bind-mounted on systemd hosts)" },
  { path: '/dev', why: 'device nodes, /dev/shm' },
  {
    path: '/run/motd.dynamic',
    why: "pam_motd in sshd's PAM session writes it at every login; the first login creates it",
  },
  {
    path: '/var/log/journal',
    why: 'systemd hosts: journald appends each sshd session, PAM and sudo line, and opens user-<uid>.journal at the first login of each user',
  },
  {
    path: '/run/sudo',
    why: 'sudo of a user whose sudo asks a password (pwuser) creates /run/sudo/ts/<user> and rewrites it at each sudo; NOPASSWD sudo (bosun) writes nothing',
  },
];

const SKIPPED = SESSION_NOISE.map((noise) => noise.path);

interface Entry {
  /** What is compared: `type mode uid:gid`, plus the sha256 of a file or the target of a link. */
  what: string;
  /** inode, size and ctime of a regular file: while they stand still, so does its hash. */
  stamp?: string;
}

/** Path -> entry of one node at one moment. */
export interface Fingerprint {
  node: string;
  entries: Map<string, Entry>;
  /** Files hashed for this fingerprint (the others' hashes were known), and the time it took. */
  hashed: number;
  ms: number;
}

/** sha256 by `path<NUL>stamp`, of every file hashed so far. */
const knownHashes = new Map<string, string>();

/** A `find` expression that leaves out `paths` (and what is under them). */
function pruned(paths: readonly string[]): string {
  const tests = paths.map((path) => `-path '${path.replace(/'/g, `'\\''`)}'`).join(' -o ');
  return `\\( ${tests} \\) -prune -o`;
}

/** The walk: one NUL-terminated record per entry, `type mode uid:gid inode size ctime<TAB>path<TAB>target`. */
export function walkScript(skip: readonly string[]): string {
  return `find / ${pruned([...SKIPPED, ...skip])} -printf '%y %m %U:%G %i %s %C@\\t%p\\t%l\\0'\n`;
}

const HASH_SCRIPT =
  // A file removed between the walk and the hash has none: it then reads as "unhashed".
  'xargs -0 -r sha256sum -z 2>/dev/null; exit 0';

async function inContainer(node: FleetNode, script: string, stdin: string): Promise<string> {
  const result = await dockerCli(['exec', '-i', node.containerId, '/bin/sh', '-c', script], { stdin });
  if (result.code !== 0) {
    throw new Error(`fingerprint of ${node.name} failed (exit ${result.code}): ${result.stderr}`);
  }
  return result.stdout;
}

function parseWalk(output: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const first = record.indexOf('\t');
    const last = record.lastIndexOf('\t');
    const [type, mode, owner, inode, size, ctime] = record.slice(0, first).split(' ');
    const path = record.slice(first + 1, last);
    const target = record.slice(last + 1);
    const what = `${type} ${mode} ${owner}`;
    if (type === 'f') entries.set(path, { what, stamp: `${inode} ${size} ${ctime}` });
    else entries.set(path, { what: type === 'l' ? `${what} -> ${target}` : what });
  }
  return entries;
}

/**
 * The fingerprint of a node's file tree now, without SESSION_NOISE and `skip` (more paths to
 * leave out, e.g. a file a test's own server writes while it runs).
 */
export async function fingerprint(node: FleetNode, skip: readonly string[] = []): Promise<Fingerprint> {
  const started = Date.now();
  const walked = parseWalk(await inContainer(node, walkScript(skip), ''));
  const entries = new Map<string, Entry>();
  const toHash: string[] = [];
  for (const [path, entry] of walked) {
    const known = entry.stamp === undefined ? undefined : knownHashes.get(`${path}\0${entry.stamp}`);
    if (entry.stamp === undefined) entries.set(path, entry);
    else if (known !== undefined) entries.set(path, { what: `${entry.what} ${known}` });
    else toHash.push(path);
  }
  if (toHash.length > 0) {
    const hashes = new Map<string, string>();
    // sha256sum -z: "<64 hex>  <path>\0", the path as it is (no escaping).
    for (const record of (await inContainer(node, HASH_SCRIPT, `${toHash.join('\0')}\0`)).split('\0')) {
      if (record !== '') hashes.set(record.slice(66), record.slice(0, 64));
    }
    for (const path of toHash) {
      const entry = walked.get(path)!;
      const hash = hashes.get(path);
      entries.set(path, { what: `${entry.what} ${hash ?? 'unhashed'}` });
      if (hash !== undefined) knownHashes.set(`${path}\0${entry.stamp}`, hash);
    }
  }
  return { node: node.name, entries, hashed: toHash.length, ms: Date.now() - started };
}

/** What differs, one line per path, sorted by path: `+ path (what)`, `- path (what)`, `~ path: before -> after`. */
export function fingerprintChanges(before: Fingerprint, after: Fingerprint): string[] {
  const lines: [string, string][] = [];
  for (const [path, was] of before.entries) {
    const now = after.entries.get(path);
    if (now === undefined) lines.push([path, `- ${path} (${was.what})`]);
    else if (now.what !== was.what) lines.push([path, `~ ${path}: ${was.what} -> ${now.what}`]);
  }
  for (const [path, now] of after.entries) {
    if (!before.entries.has(path)) lines.push([path, `+ ${path} (${now.what})`]);
  }
  return lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, line]) => line);
}

export interface UntouchedOptions {
  /** More paths to leave out on these nodes (each with what is under it). */
  skip?: readonly string[];
  /** Names the action in the failure message (default "check mode"). */
  what?: string;
}

/**
 * Runs `action` between two fingerprints of each node and fails, listing every path, unless
 * all of them are the same after as before. Returns what `action` returned.
 */
export async function expectUntouched<T>(
  nodes: readonly FleetNode[],
  action: () => Promise<T>,
  options: UntouchedOptions = {},
): Promise<T> {
  const skip = options.skip ?? [];
  const before = await Promise.all(nodes.map((node) => fingerprint(node, skip)));
  const result = await action();
  const after = await Promise.all(nodes.map((node) => fingerprint(node, skip)));
  const changes = nodes.flatMap((node, i) =>
    fingerprintChanges(before[i]!, after[i]!).map((line) => `${node.name}: ${line}`),
  );
  const what = options.what ?? 'check mode';
  expect(changes, `${what} changed the container:\n${changes.join('\n')}\n`).toEqual([]);
  return result;
}
