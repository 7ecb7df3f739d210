/**
 * What the apt module needs to know about a Debian host, printed by one script: dpkg's record
 * of the packages named (status, version, architecture), how old the package lists are, and
 * only when asked the candidate versions (`apt-cache policy`), what `autoremove` would remove,
 * which installed packages provide a virtual name, and the name and version inside a .deb
 * (a file on the host, or a URL fetched with apt's own downloader into a temporary folder).
 */
import { moduleFailure } from '../modules/failure.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { parseReport, single } from './report.js';

/** Written after every successful `apt-get update` (Ansible reads the same file). */
export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';
export const APT_HELPER = '/usr/lib/apt/apt-helper';

/** dpkg's record of one package (one line per architecture installed). */
export interface DpkgEntry {
  name: string;
  /** Empty for a package dpkg knows of but never installed. */
  arch: string;
  /** dpkg's status: installed, config-files, not-installed, unpacked, half-configured... */
  status: string;
  /** Empty when not installed. */
  version: string;
}

export interface DebFileInfo {
  package: string;
  version: string;
  architecture: string;
}

export interface DebPackageFacts {
  /** The host's clock (seconds since the epoch). */
  now: number;
  /** dpkg's native architecture. */
  arch: string;
  /** When the package lists were last refreshed (seconds); undefined when they never were. */
  cacheTime?: number;
  entries: DpkgEntry[];
  /** Virtual package name -> installed packages providing it (when asked). */
  provides?: Record<string, string[]>;
  /** `name` (native architecture) or `name:arch` -> candidate version, "(none)" when there is none. */
  candidates?: Record<string, string>;
  /** Packages `apt-get autoremove` would remove now (when asked). */
  autoremove?: { name: string; version: string }[];
  deb?: DebFileInfo;
}

export type DebSource = { url: string } | { path: string };

export interface DebPackageQuery {
  /** dpkg-query names: `name` or `name:arch` (already validated). */
  names: string[];
  /** Names to look up among the virtual packages installed packages provide. */
  provides?: string[];
  /** Names to ask `apt-cache policy` about. */
  candidates?: string[];
  autoremove?: { purge: boolean };
  deb?: DebSource;
}

// dpkg-query's own ${field} syntax; \\n is its escape for a newline.
const DPKG_FORMAT = `pkg=\${Package}|\${Architecture}|\${db:Status-Status}|\${Version}\\n`;
const PROVIDES_FORMAT = `\${db:Status-Status}|\${Package}|\${Provides}\\n`;
/** Installed packages providing one of the names in w: "provides=<virtual>|<provider>". */
const PROVIDES_AWK = [
  '$1 == "installed" {',
  '  split(w, list, " "); for (i in list) want[list[i]] = 1',
  '  n = split($3, items, ",")',
  '  for (i = 1; i <= n; i++) { v = items[i]; sub(/^ +/, "", v); sub(/[ (].*/, "", v); if (v in want) print "provides=" v "|" $2 }',
  '}',
].join('\n');
const DEB_FORMAT = `\${Package}|\${Version}|\${Architecture}`;

// Exit codes of the script, for messages that say which part failed.
const NOT_DEBIAN = 3;
const DEB_FAILED = 4;
const DPKG_FAILED = 5;
const POLICY_FAILED = 6;
const AUTOREMOVE_FAILED = 7;

/** Fetch `url` into "$d/<name>" with apt's downloader, in a fresh temporary folder "$d". */
export function downloadLines(url: string, name: string, failCode: number): RawShell[] {
  return [
    raw('d=$(mktemp -d) || exit 1'),
    raw(`trap 'rm -rf -- "$d"' EXIT`),
    // apt downloads as _apt when it can; the folder must be writable by it.
    raw('chown _apt "$d" 2>/dev/null'),
    sh`if ! ${APT_HELPER} download-file ${url} "$d"/${name} > "$d/log" 2>&1; then cat "$d/log" >&2; exit ${failCode}; fi`,
  ];
}

export function debPackagesScript(query: DebPackageQuery): RawShell {
  const lines: RawShell[] = [
    raw('export LC_ALL=C'),
    sh`command -v dpkg-query > /dev/null 2>&1 || { echo 'dpkg-query not found: apt manages Debian-based hosts only' >&2; exit ${NOT_DEBIAN}; }`,
    raw('echo "now=$(date +%s)"'),
    raw('echo "arch=$(dpkg --print-architecture)"'),
    sh`if [ -f ${UPDATE_STAMP} ]; then echo "stamp=$(stat -c %Y ${UPDATE_STAMP})"; fi`,
    // apt stamps list files with the server's dates; the folder changes when lists are added.
    raw(
      'if ls /var/lib/apt/lists 2> /dev/null | grep -q _Packages; then echo "lists=$(stat -c %Y /var/lib/apt/lists)"; fi',
    ),
    raw('n='),
  ];
  if (query.deb) {
    if ('url' in query.deb) {
      lines.push(...downloadLines(query.deb.url, 'p.deb', DEB_FAILED), raw('f="$d/p.deb"'));
    } else {
      lines.push(sh`f=${query.deb.path}`);
    }
    lines.push(
      sh`i=$(dpkg-deb --show --showformat=${DEB_FORMAT} -- "$f") || exit ${DEB_FAILED}`,
      raw('echo "deb=$i"'),
      raw(`n=\${i%%|*}`),
      sh`[ -n "$n" ] || { echo 'the .deb names no package' >&2; exit ${DEB_FAILED}; }`,
    );
  }
  if (query.names.length > 0 || query.deb) {
    // Exit 1 only says some names are unknown to dpkg, which is an answer, not a failure.
    const names = [...query.names.map((name) => quote(name)), ...(query.deb ? ['"$n"'] : [])];
    lines.push(
      sh`dpkg-query -W -f=${DPKG_FORMAT} -- ${raw(names.join(' '))}; [ $? -le 1 ] || exit ${DPKG_FAILED}`,
    );
  }
  if (query.provides && query.provides.length > 0) {
    lines.push(
      sh`p=$(dpkg-query -W -f=${PROVIDES_FORMAT}) || exit ${DPKG_FAILED}`,
      sh`printf '%s\\n' "$p" | awk -F '|' ${PROVIDES_AWK} w=${query.provides.join(' ')}`,
    );
  }
  if (query.candidates && query.candidates.length > 0) {
    lines.push(
      sh`c=$(apt-cache policy -- ${query.candidates}) || exit ${POLICY_FAILED}`,
      raw(
        `printf '%s\\n' "$c" | awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) } /^  Candidate:/ { print "candidate=" p "|" $2 }'`,
      ),
    );
  }
  if (query.autoremove) {
    const purge = query.autoremove.purge ? sh`--purge ` : sh``;
    lines.push(
      sh`a=$(apt-get -s -q ${purge}autoremove) || { printf '%s\\n' "$a" >&2; exit ${AUTOREMOVE_FAILED}; }`,
      raw(
        `printf '%s\\n' "$a" | awk '$1 == "Remv" || $1 == "Purg" { v = $3; gsub(/[][]/, "", v); print "autoremove=" $2 "|" v }'`,
      ),
    );
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

const FAILURES: Record<number, string> = {
  [DEB_FAILED]: 'cannot read the .deb',
  [DPKG_FAILED]: 'dpkg-query failed',
  [POLICY_FAILED]: 'apt-cache policy failed',
  [AUTOREMOVE_FAILED]: 'apt-get -s autoremove failed',
};

// Lines that are not errors: dpkg-query's answer for unknown names, apt's note on sandboxing.
const QUIET = [/^dpkg-query: no packages found matching /, /^W: Download is performed unsandboxed /];

function errorText(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !QUIET.some((pattern) => pattern.test(line)))
    .join('\n');
}

export function parseDebPackages(result: ExecResult): DebPackageFacts {
  const text = errorText(result.stderr);
  if (result.code !== 0) {
    const what = FAILURES[result.code ?? -1];
    const detail = text || `exit code ${result.code}`;
    throw moduleFailure(what ? `${what}: ${detail}` : detail, {
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  const report = parseReport(result.stdout);
  const now = single(report, 'now');
  const arch = single(report, 'arch');
  if (now === undefined || !/^\d+$/.test(now) || !arch) {
    throw moduleFailure(
      `unexpected output while reading the package state: ${JSON.stringify(result.stdout)}`,
    );
  }
  const facts: DebPackageFacts = { now: Number(now), arch, entries: [] };
  const times = ['stamp', 'lists']
    .map((key) => single(report, key))
    .filter((value): value is string => value !== undefined && /^\d+$/.test(value))
    .map(Number);
  if (times.length > 0) facts.cacheTime = Math.max(...times);

  for (const line of report.values.get('pkg') ?? []) {
    const [name, pkgArch, status, version] = line.split('|');
    if (!name || status === undefined || version === undefined) {
      throw moduleFailure(`unexpected dpkg-query output: ${line}`);
    }
    facts.entries.push({ name, arch: pkgArch ?? '', status, version });
  }
  const provides = report.values.get('provides');
  if (provides !== undefined) {
    facts.provides = {};
    for (const line of provides) {
      const [name, provider] = line.split('|');
      if (!name || !provider) continue;
      const list = facts.provides[name] ?? [];
      if (!list.includes(provider)) list.push(provider);
      facts.provides[name] = list;
    }
  }
  const candidates = report.values.get('candidate');
  if (candidates !== undefined) {
    facts.candidates = {};
    for (const line of candidates) {
      const bar = line.lastIndexOf('|');
      facts.candidates[line.slice(0, bar)] = line.slice(bar + 1);
    }
  }
  const autoremove = report.values.get('autoremove');
  if (autoremove !== undefined) {
    facts.autoremove = autoremove.map((line) => {
      const [name, version] = line.split('|');
      return { name: name ?? '', version: version ?? '' };
    });
  }
  const deb = single(report, 'deb');
  if (deb !== undefined) {
    const [pkg, version, architecture] = deb.split('|');
    if (!pkg || !version || !architecture) throw moduleFailure(`unexpected fields in the .deb: ${deb}`);
    facts.deb = { package: pkg, version, architecture };
  }
  return facts;
}
