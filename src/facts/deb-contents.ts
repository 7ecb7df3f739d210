/**
 * What installing or removing Debian packages would put on (or take off) a host, learnt
 * without changing it, for check mode: apt-get simulates the change (-s), the .debs it would
 * install are downloaded into memory-only storage (a folder of /dev/shm, shared by the tasks
 * of one check run and removed at its end) and read there: their file lists, the content of
 * their configuration and unit files, their maintainer scripts. When the change would
 * refresh the package lists, the simulation uses lists refreshed into that folder; the
 * host's own lists, caches and logs are never written.
 */
import { moduleFailure } from '../modules/failure.js';
import { quote, type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { APT_HELPER } from './deb-packages.js';
import { decodeEncoded, encoderScript } from './file-bytes.js';
import { parseReport, single } from './report.js';

/** Where a check run keeps what it downloads on a host (tmpfs: memory only). */
export const CHECK_WORKSPACE_PREFIX = '/dev/shm/bosun-check-';

/** Files whose content is read from the .debs: configuration, units, system users, tmpfiles. */
const READ_PATTERNS = [
  './etc/*',
  './lib/systemd/system/*',
  './usr/lib/systemd/system/*',
  './usr/lib/sysusers.d/*',
  './usr/lib/tmpfiles.d/*',
];
/** Larger files are listed without their content. */
export const READ_LIMIT = 64 * 1024;

export interface DebPrediction {
  /** What apt-get said when it could not simulate the change (the real run fails the same way). */
  error?: string;
  /** Top-level folders that are symbolic links on the host (/lib -> /usr/lib). */
  aliases: [string, string][];
  /** Packages the change installs; `upgrade` when a version of it is installed already. */
  installs: { name: string; arch: string; version: string; upgrade?: boolean }[];
  removes: { name: string; arch: string; version: string; purge: boolean }[];
  packages: DebPackage[];
  /** Files (not folders) of removed packages, and whether dpkg lists each as a configuration file. */
  removedFiles: { package: string; path: string; conffile: boolean }[];
}

export interface DebEntry {
  type: 'file' | 'directory' | 'link' | 'hardlink' | 'other';
  mode: number;
  owner: string;
  group: string;
  size: number;
  /** Absolute. */
  path: string;
  /** Symbolic link target, or the path a hard link names. */
  target?: string;
}

export interface DebPackage {
  name: string;
  arch: string;
  version: string;
  entries: DebEntry[];
  /** Content of the files read (configuration, units...), by absolute path. */
  contents: Map<string, Buffer>;
  conffiles: string[];
  /** preinst and postinst, as text. */
  scripts: Record<string, string>;
  provides: string[];
}

export interface DebPredictionQuery {
  /** `apt-get install` or `remove`/`purge` words, as the plan runs them. */
  verb: 'install' | 'remove' | 'purge';
  specs: string[];
  recommends?: boolean | undefined;
  autoremove?: boolean;
  /** Simulate against package lists refreshed into the workspace (the plan refreshes them). */
  refreshLists: boolean;
  /** The check run's workspace folder on the host. */
  workspace: string;
  /** `name=version:arch` of packages already described in this run (not downloaded again). */
  known: string[];
}

const SIM_FAILED = 'bosun-sim-failed';

/** The read-only script: simulate, then describe each package the change would install. */
export function debPredictionScript(query: DebPredictionQuery): RawShell {
  const w = query.workspace;
  // No binary caches (tens of MiB each): apt reads the lists every time, in memory.
  const options = [
    '-o Dir::Cache::pkgcache=',
    '-o Dir::Cache::srcpkgcache=',
    `-o Dir::Cache::archives=${w}/debs`,
    `-o Dir::Log=${w}/log`,
    '-o Debug::NoLocking=true',
  ];
  const lists = `-o Dir::State::Lists=${w}/lists`;
  const simulate = [
    ...(query.recommends === true ? ['-o APT::Install-Recommends=true'] : []),
    ...(query.recommends === false ? ['--no-install-recommends'] : []),
    ...(query.autoremove ? ['--auto-remove'] : []),
  ];
  const lines: RawShell[] = [
    raw('export LC_ALL=C'),
    encoderScript(),
    sh`w=${w}`,
    // Workspaces of runs that never ended (a lost connection) do not outlive a day.
    sh`find /dev/shm -maxdepth 1 -name ${'bosun-check-*'} -mmin +1440 -exec rm -rf {} + 2>/dev/null`,
    raw('umask 022'),
    raw('mkdir -p "$w/lists/partial" "$w/debs/partial" "$w/log" || exit 1'),
    // apt downloads as _apt where it can write.
    raw('chown _apt "$w/lists/partial" "$w/debs" "$w/debs/partial" 2>/dev/null'),
    raw(
      'for d in /bin /sbin /lib /lib32 /lib64 /libx32; do if [ -L "$d" ]; then echo "alias=$d|$(readlink -f -- "$d")"; fi; done',
    ),
    raw(`o=${quote(options.join(' '))}`),
  ];
  if (query.refreshLists) {
    lines.push(
      raw(`o="$o ${lists}"`),
      raw('if ! ls "$w/lists" | grep -q _Packages; then'),
      raw(
        '  if ! apt-get -q $o -o Acquire::Languages=none -o Acquire::GzipIndexes=true update > "$w/log/update" 2>&1; then',
      ),
      raw(`    echo "error=$(grep -E '^(E|Err):' "$w/log/update" | head -n 3 | tr '\\n' ' ')"; exit 0`),
      raw('  fi'),
      raw('fi'),
    );
  }
  const failed = (file: string) => [
    raw(
      `  echo ${SIM_FAILED}; echo "error=$(grep -E '^E:' "$w/${file}" | head -n 3 | tr '\\n' ' ')"; exit 0`,
    ),
    raw('fi'),
  ];
  if (query.verb !== 'install') {
    lines.push(
      sh`if ! apt-get -s -q $o ${simulate.map((word) => raw(word))} ${query.verb} -- ${query.specs} > "$w/sim" 2>&1; then`,
      ...failed('sim'),
      raw(`awk '$1 == "Remv" || $1 == "Purg" { print "sim=" $0 }' "$w/sim"`),
      // Removed packages: their files as dpkg lists them, and which are configuration files.
      raw(`awk '$1 == "Remv" || $1 == "Purg" { print $2 }' "$w/sim" | while read -r p; do`),
      raw(
        `  l=/var/lib/dpkg/info/$p.list; [ -f "$l" ] || l=/var/lib/dpkg/info/$(dpkg-query -W -f '\${Package}:\${Architecture}' "$p" 2>/dev/null).list`,
      ),
      raw(
        `  if [ -f "$l" ]; then while IFS= read -r f; do if [ -e "$f" ] && [ ! -d "$f" ]; then echo "rm=$p|$f"; fi; done < "$l"; fi`,
      ),
      raw(
        `  dpkg-query -W -f '\${Conffiles}\\n' "$p" 2>/dev/null | awk -v p="$p" 'NF >= 2 { print "rmconf=" p "|" $1 }'`,
      ),
      raw('done'),
    );
    return raw(lines.map((line) => line.text).join('\n'));
  }
  lines.push(
    // One apt-get call (each reads the whole package lists): the .debs it would fetch into an
    // empty archive folder are every package it would install.
    sh`if ! apt-get -q -y $o --print-uris ${simulate.map((word) => raw(word))} install -- ${query.specs} > "$w/uris" 2>&1; then`,
    ...failed('uris'),
    raw(
      `sed -n "s/^'\\([^']*\\)' \\([^ ]*\\) .*/\\1 \\2/p" "$w/uris" | awk '{ n = split($2, f, "_"); a = f[n]; sub(/\\.deb$/, "", a); v = f[2]; gsub(/%3a/, ":", v); print $1, $2, f[1], v, a }' > "$w/inst"`,
    ),
    raw(`awk '{ print "inst=" $3 "|" $4 "|" $5 }' "$w/inst"`),
    sh`known=${` ${query.known.join(' ')} `}`,
    // Each .deb not described yet: from apt's own cache when it is there, else downloaded.
    raw('while read -r url file p v a; do'),
    raw('  case "$known" in *" $p=$v:$a "*) continue ;; esac'),
    raw('  f=/var/cache/apt/archives/$file'),
    raw('  if [ ! -f "$f" ]; then'),
    raw('    f=$w/debs/$file'),
    sh`    ${APT_HELPER} download-file "$url" "$f" > "$w/log/download" 2>&1 || { echo "nodeb=$p|$v|$a"; continue; }`,
    raw('  fi'),
    raw('  echo "pkg=$p|$a|$v"'),
    raw(`  echo "provides=$p|$(dpkg-deb -f "$f" Provides 2>/dev/null | tr '\\n' ' ')"`),
    raw(`  dpkg-deb -c "$f" | sed "s/^/c=$p|/"`),
    raw('  for s in conffiles preinst postinst; do'),
    raw(
      `    if c=$(dpkg-deb --ctrl-tarfile "$f" | tar -xO "./$s" 2>/dev/null); then echo "script=$p|$s|$(printf '%s\\n' "$c" | enc | tr -d '\\n')"; fi`,
    ),
    raw('  done'),
    // tar runs the command once per file read, with the file on its standard input.
    raw('  export P="$p"'),
    raw(
      `  dpkg-deb --fsys-tarfile "$f" | tar -x --wildcards --to-command='if [ "$TAR_FILETYPE" = f ] && [ "$TAR_SIZE" -le ${READ_LIMIT} ]; then printf "read=%s|%s|" "$P" "$TAR_FILENAME"; base64 -w0; echo; else cat > /dev/null; fi' ${READ_PATTERNS.map((p) => quote(p)).join(' ')} 2>/dev/null`,
    ),
    raw('  case "$f" in "$w"/*) rm -f -- "$f" ;; esac'),
    raw('done < "$w/inst"'),
  );
  return raw(lines.map((line) => line.text).join('\n'));
}

/** `rm -rf` of the run's workspace on a host, at the end of a check run. */
export function workspaceCleanupScript(workspace: string): RawShell {
  return sh`rm -rf -- ${workspace}`;
}

function absolute(member: string): string {
  const path = member.replace(/^\.\//, '/').replace(/^([^/])/, '/$1');
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

const TYPES: Record<string, DebEntry['type']> = {
  '-': 'file',
  d: 'directory',
  l: 'link',
  h: 'hardlink',
};

/** `-rw-r--r--` and friends as mode bits (setuid, setgid and sticky included). */
export function permissionBits(text: string): number {
  const p = text.slice(1);
  let mode = 0;
  const bit = (index: number, value: number, letters: string) => {
    if (letters.includes(p[index] ?? '-')) mode |= value;
  };
  bit(0, 0o400, 'r');
  bit(1, 0o200, 'w');
  bit(2, 0o100, 'xs');
  bit(2, 0o4000, 'sS');
  bit(3, 0o040, 'r');
  bit(4, 0o020, 'w');
  bit(5, 0o010, 'xs');
  bit(5, 0o2000, 'sS');
  bit(6, 0o004, 'r');
  bit(7, 0o002, 'w');
  bit(8, 0o001, 'xt');
  bit(8, 0o1000, 'tT');
  return mode;
}

/** One line of `dpkg-deb -c` (tar -tv): `drwxr-xr-x root/root 0 2023-02-09 09:36 ./etc/`. */
export function parseListing(line: string): DebEntry | undefined {
  const match = /^(\S{10})\s+([^/\s]+)\/(\S+)\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
  if (!match) return undefined;
  const [, perms, owner, group, size, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const type = TYPES[perms[0] as string] ?? 'other';
  let name = rest;
  let target: string | undefined;
  if (type === 'link') {
    const at = rest.indexOf(' -> ');
    if (at >= 0) {
      name = rest.slice(0, at);
      target = rest.slice(at + 4);
    }
  } else if (type === 'hardlink') {
    const at = rest.indexOf(' link to ');
    if (at >= 0) {
      name = rest.slice(0, at);
      target = absolute(rest.slice(at + 9));
    }
  }
  const path = absolute(name);
  if (path === '/' || path === '') return undefined;
  const entry: DebEntry = { type, mode: permissionBits(perms), owner, group, size: Number(size), path };
  if (target !== undefined) entry.target = target;
  return entry;
}

/** A simulated removal: `Remv name [version]`, `Purg name [version]`. */
function parseSim(line: string, out: DebPrediction): void {
  const words = line.split(/\s+/);
  const [action, name] = words;
  if (!name) return;
  if (action === 'Remv' || action === 'Purg') {
    const version = /\[([^\]]+)\]/.exec(line)?.[1] ?? '';
    out.removes.push({ name, arch: '', version, purge: action === 'Purg' });
  }
}

export function parseDebPrediction(result: ExecResult): DebPrediction {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot simulate the package change: ${result.stderr.trim() || `exit code ${result.code}`}`,
      { exitCode: result.code, stderr: result.stderr },
    );
  }
  const report = parseReport(result.stdout);
  const out: DebPrediction = { aliases: [], installs: [], removes: [], packages: [], removedFiles: [] };
  const error = single(report, 'error');
  if (error !== undefined || result.stdout.includes(SIM_FAILED)) {
    out.error = (error ?? '').trim() || 'apt-get could not simulate the change';
    return out;
  }
  for (const line of report.values.get('alias') ?? []) {
    const [from, to] = line.split('|');
    if (from && to) out.aliases.push([from, to]);
  }
  for (const line of report.values.get('sim') ?? []) parseSim(line, out);
  for (const line of report.values.get('inst') ?? []) {
    const [name, version, arch] = line.split('|');
    if (name && version && arch) out.installs.push({ name, arch, version });
  }
  const byName = new Map<string, DebPackage>();
  for (const line of report.values.get('pkg') ?? []) {
    const [name, arch, version] = line.split('|');
    if (!name || !arch || version === undefined) continue;
    const described: DebPackage = {
      name,
      arch,
      version,
      entries: [],
      contents: new Map(),
      conffiles: [],
      scripts: {},
      provides: [],
    };
    byName.set(name, described);
    out.packages.push(described);
  }
  const field = (line: string): [DebPackage | undefined, string] => {
    const bar = line.indexOf('|');
    return [byName.get(line.slice(0, bar)), line.slice(bar + 1)];
  };
  for (const line of report.values.get('c') ?? []) {
    const [pkg, rest] = field(line);
    const entry = parseListing(rest);
    if (pkg && entry) pkg.entries.push(entry);
  }
  for (const line of report.values.get('provides') ?? []) {
    const [pkg, rest] = field(line);
    if (!pkg) continue;
    pkg.provides = rest
      .split(',')
      .map((item) => item.trim().replace(/[\s(].*$/, ''))
      .filter((item) => item !== '');
  }
  for (const line of report.values.get('script') ?? []) {
    const [pkg, rest] = field(line);
    const bar = rest.indexOf('|');
    if (!pkg || bar < 0) continue;
    const text = decodeEncoded(report, rest.slice(bar + 1)).toString('utf8');
    const name = rest.slice(0, bar);
    if (name === 'conffiles') {
      pkg.conffiles = text
        .split('\n')
        .map((item) => item.trim())
        .filter((item) => item.startsWith('/'));
    } else pkg.scripts[name] = text;
  }
  for (const line of report.values.get('read') ?? []) {
    const [pkg, rest] = field(line);
    const bar = rest.lastIndexOf('|');
    if (!pkg || bar < 0) continue;
    pkg.contents.set(absolute(rest.slice(0, bar)), Buffer.from(rest.slice(bar + 1), 'base64'));
  }
  const conffiles = new Set((report.values.get('rmconf') ?? []).map((line) => line));
  for (const line of report.values.get('rm') ?? []) {
    const bar = line.indexOf('|');
    const pkg = line.slice(0, bar);
    const path = line.slice(bar + 1);
    out.removedFiles.push({ package: pkg, path, conffile: conffiles.has(line) });
  }
  const missing = report.values.get('nodeb') ?? [];
  if (missing.length > 0) {
    out.error = `cannot download ${missing.map((line) => line.split('|')[0]).join(', ')} to read what it installs`;
  }
  return out;
}
