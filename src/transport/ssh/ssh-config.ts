import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { BosunError } from '../../errors.js';
import { matchPatternList, matchWildcard } from './host-pattern.js';
import { expandTilde, localUserName } from './paths.js';

/**
 * The part of ~/.ssh/config Bosun honours: Host blocks (patterns with `*`, `?`, `!`), HostName,
 * User, Port, IdentityFile, ProxyJump, and Include. As in OpenSSH the first value of a keyword
 * wins (IdentityFile accumulates). Match blocks are skipped: their conditions need a live
 * connection context Bosun does not evaluate. Parsing and resolving are pure; only
 * `loadSshConfig` touches the disk.
 */

export interface SshConfigEntry {
  /** Lower-cased keyword. */
  keyword: string;
  args: string[];
  /** Host patterns that must match; null: applies to every host; 'match': never applies. */
  condition: string[] | null | 'match';
  file: string;
  line: number;
}

export interface SshConfig {
  entries: SshConfigEntry[];
}

/** Resolves an Include argument to the files it names, with their text. */
export type IncludeReader = (pattern: string, fromFile: string) => { file: string; text: string }[];

export interface ParseSshConfigOptions {
  file?: string;
  include?: IncludeReader;
}

const MAX_INCLUDE_DEPTH = 16;

/** Split one config line into words: whitespace separated, "double quotes" group, `#` starts a comment. */
export function splitConfigLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated quote');
      word = line.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < line.length && !/\s/.test(line[i]!)) word += line[i++];
    }
    words.push(word);
  }
  return words;
}

export function parseSshConfig(text: string, options: ParseSshConfigOptions = {}): SshConfig {
  const entries: SshConfigEntry[] = [];
  parseInto(entries, text, options.file ?? 'ssh config', null, options.include, 0);
  return { entries };
}

function parseInto(
  entries: SshConfigEntry[],
  text: string,
  file: string,
  outer: SshConfigEntry['condition'],
  include: IncludeReader | undefined,
  depth: number,
): void {
  let condition = outer;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    let words: string[];
    try {
      words = splitConfigLine(raw);
    } catch (error) {
      throw configError(file, line, (error as Error).message);
    }
    if (words.length === 0) return;
    // "Keyword=value" and "Keyword = value" are the same as "Keyword value".
    let [first, ...args] = words;
    const eq = first!.indexOf('=');
    if (eq >= 0) {
      const rest = first!.slice(eq + 1);
      first = first!.slice(0, eq);
      if (rest !== '') args.unshift(rest);
    } else if (args[0]?.startsWith('=')) {
      const rest = args.shift()!.slice(1);
      if (rest !== '') args.unshift(rest);
    }
    const keyword = first!.toLowerCase();
    if (keyword === 'host') {
      if (args.length === 0) throw configError(file, line, 'Host needs at least one pattern');
      condition = args;
      return;
    }
    if (keyword === 'match') {
      condition = 'match';
      return;
    }
    if (keyword === 'include') {
      if (condition === 'match') return;
      if (!include) return;
      if (depth >= MAX_INCLUDE_DEPTH) throw configError(file, line, 'Include nested too deeply (a loop?)');
      for (const pattern of args) {
        for (const included of include(pattern, file)) {
          parseInto(entries, included.text, included.file, condition, include, depth + 1);
        }
      }
      return;
    }
    entries.push({ keyword, args, condition, file, line });
  });
}

function configError(file: string, line: number, message: string): BosunError {
  return new BosunError('BOSUN_SSH_CONFIG', `${file}:${line}: ${message}`, { details: { file, line } });
}

export interface ResolvedSshHost {
  /** The name that was looked up. */
  alias: string;
  /** HostName with %h expanded, else the alias. */
  hostName: string;
  user?: string;
  port?: number;
  /** Expanded IdentityFile paths, in order. */
  identityFiles: string[];
  /** Raw ProxyJump value; absent when not set or `none`. */
  proxyJump?: string;
  /** Raw ProxyCommand value when set (not supported by Bosun; the caller reports it). */
  proxyCommand?: string;
}

export interface ResolveEnvironment {
  home?: string;
  localUser?: string;
}

/** What ssh would use for `alias` from this config. */
export function resolveSshHost(
  config: SshConfig,
  alias: string,
  env: ResolveEnvironment = {},
): ResolvedSshHost {
  const home = env.home ?? homedir();
  const localUser = env.localUser ?? localUserName();
  const first = new Map<string, SshConfigEntry>();
  const identities: SshConfigEntry[] = [];
  for (const entry of config.entries) {
    if (entry.condition === 'match') continue;
    if (entry.condition !== null && !matchPatternList(alias, entry.condition)) continue;
    if (entry.keyword === 'identityfile') identities.push(entry);
    else if (!first.has(entry.keyword)) first.set(entry.keyword, entry);
  }
  const value = (keyword: string): string | undefined => first.get(keyword)?.args[0];

  const resolved: ResolvedSshHost = { alias, hostName: alias, identityFiles: [] };
  const hostName = value('hostname');
  if (hostName !== undefined)
    resolved.hostName = expandPercent(hostName, { h: alias }, first.get('hostname')!);
  const user = value('user');
  if (user !== undefined) resolved.user = user;
  const port = value('port');
  if (port !== undefined) {
    const number = Number(port);
    if (!/^\d+$/.test(port) || number < 1 || number > 65535) {
      const entry = first.get('port')!;
      throw configError(entry.file, entry.line, `Port ${port} is not a port number`);
    }
    resolved.port = number;
  }
  const tokens = { d: home, h: resolved.hostName, u: localUser, r: resolved.user ?? localUser };
  for (const entry of identities) {
    const path = entry.args[0];
    if (path === undefined || path.toLowerCase() === 'none') continue;
    resolved.identityFiles.push(expandTilde(expandPercent(path, tokens, entry), home));
  }
  const jump = value('proxyjump');
  if (jump !== undefined && jump.toLowerCase() !== 'none')
    resolved.proxyJump = first.get('proxyjump')!.args.join(',');
  const command = first.get('proxycommand');
  if (command && command.args[0]?.toLowerCase() !== 'none') resolved.proxyCommand = command.args.join(' ');
  return resolved;
}

function expandPercent(value: string, tokens: Record<string, string>, entry: SshConfigEntry): string {
  return value.replace(/%(.)/g, (_whole, letter: string) => {
    if (letter === '%') return '%';
    const token = tokens[letter];
    if (token === undefined) {
      throw configError(entry.file, entry.line, `%${letter} in ${entry.keyword} is not supported by bosun`);
    }
    return token;
  });
}

// ---------------------------------------------------------------------------------------
// File IO

/**
 * Read an ssh config file with its Includes (relative paths are taken from ~/.ssh, as for the
 * user's own config; `*` and `?` are expanded in the last path component). Undefined when the
 * file does not exist.
 */
export function loadSshConfig(path: string, home: string = homedir()): SshConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BosunError('BOSUN_SSH_CONFIG', `cannot read ssh config ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const include: IncludeReader = (pattern) => {
    let full = expandTilde(pattern, home);
    if (!isAbsolute(full)) full = join(home, '.ssh', full);
    const dir = dirname(full);
    const name = basename(full);
    let files: string[];
    if (/[*?]/.test(name)) {
      try {
        files = readdirSync(dir)
          .filter((candidate) => matchWildcard(candidate, name))
          .sort()
          .map((candidate) => join(dir, candidate));
      } catch {
        files = [];
      }
    } else {
      files = [full];
    }
    const out: { file: string; text: string }[] = [];
    for (const file of files) {
      try {
        out.push({ file, text: readFileSync(file, 'utf8') });
      } catch (error) {
        // ssh ignores an Include that names no file.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return out;
  };
  return parseSshConfig(text, { file: path, include });
}
