/**
 * What a new home folder gets, for check mode: useradd -m (and the user module making a
 * missing home) copies /etc/skel and gives the folder the mode login.defs says (HOME_MODE,
 * else 0777 without UMASK). Read-only; small files come with their bytes.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { parseReport, single } from './report.js';

const CONTENT_LIMIT = 64 * 1024;

export interface SkelEntry {
  /** Relative to /etc/skel. */
  path: string;
  type: 'file' | 'directory' | 'link' | 'other';
  mode: number;
  target?: string;
  bytes?: Buffer;
}

export interface NewHomeFacts {
  /** Mode of the home folder useradd makes. */
  homeMode: number;
  /** Mode the user module gives a home it makes itself (0777 without UMASK). */
  umaskMode: number;
  /** useradd's defaults: where homes go and the login shell. */
  homeBase?: string;
  shell?: string;
  skel: SkelEntry[];
}

export function newHomeScript(): RawShell {
  return raw(
    [
      `u=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-7]\\{1,\\}\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)`,
      `h=$(sed -n 's/^HOME_MODE[[:space:]]\\{1,\\}\\([0-7]\\{1,\\}\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)`,
      '[ -n "$u" ] || u=022',
      'echo "umask=$u"',
      'echo "home_mode=$h"',
      `useradd -D 2>/dev/null | sed -n 's/^HOME=/home=/p; s/^SHELL=/shell=/p'`,
      'if [ -d /etc/skel ]; then',
      `  find /etc/skel -mindepth 1 -printf 'skel=%y|%m|%s|%P|%l\\n'`,
      `  find /etc/skel -mindepth 1 -type f -size -${CONTENT_LIMIT + 1}c | while IFS= read -r f; do printf 'skelc=%s|%s\\n' "\${f#/etc/skel/}" "$(base64 -w0 < "$f")"; done`,
      'fi',
    ].join('\n'),
  );
}

const TYPES: Record<string, SkelEntry['type']> = { f: 'file', d: 'directory', l: 'link' };

export function parseNewHome(result: ExecResult): NewHomeFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot read /etc/skel and /etc/login.defs: ${result.stderr.trim() || `exit code ${result.code}`}`,
    );
  }
  const report = parseReport(result.stdout);
  const umask = Number.parseInt(single(report, 'umask') ?? '022', 8);
  const homeMode = single(report, 'home_mode');
  const facts: NewHomeFacts = {
    umaskMode: 0o777 & ~umask,
    homeMode: homeMode ? Number.parseInt(homeMode, 8) : 0o777 & ~umask,
    skel: [],
  };
  const base = single(report, 'home');
  if (base) facts.homeBase = base;
  const shell = single(report, 'shell');
  if (shell) facts.shell = shell;
  const contents = new Map<string, Buffer>();
  for (const line of report.values.get('skelc') ?? []) {
    const bar = line.lastIndexOf('|');
    contents.set(line.slice(0, bar), Buffer.from(line.slice(bar + 1), 'base64'));
  }
  for (const line of report.values.get('skel') ?? []) {
    const [type, mode, , path, target] = line.split('|');
    if (!path || !mode) continue;
    const entry: SkelEntry = { path, type: TYPES[type ?? ''] ?? 'other', mode: Number.parseInt(mode, 8) };
    if (entry.type === 'link' && target) entry.target = target;
    const bytes = contents.get(path);
    if (bytes) entry.bytes = bytes;
    facts.skel.push(entry);
  }
  return facts;
}
