/**
 * What the sysctl module needs, in one script: the key's live value under /proc/sys, whether
 * it can be written from here, whether the host is a container and whose namespaces it uses
 * (a container shares the host's kernel: only keys of its own network, IPC or UTS namespace
 * are its own), then the state and text of the persistent file.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type PathState, parsePathState, pathStateScript } from './path-state.js';
import { parseReport, single } from './report.js';

/** A sysctl file bigger than this is not edited (its text travels in the gather output). */
export const SYSCTL_FILE_LIMIT = 1024 * 1024;

/** Inode numbers the kernel gives its initial IPC and UTS namespaces (include/linux/proc_ns.h). */
const INIT_IPC_NS = 'ipc:[4026531839]';
const INIT_UTS_NS = 'uts:[4026531838]';

export interface LiveKey {
  /** The key exists under /proc/sys. */
  exists: boolean;
  /** Its value with runs of whitespace made one space (undefined when unreadable or missing). */
  value?: string;
  writable: boolean;
}

export interface SysctlFacts {
  live: LiveKey;
  /** /.dockerenv, /run/.containerenv, systemd's container marker or container= in PID 1's environment. */
  container: boolean;
  /** The network namespace is the host's first one (it shows the host-only net.core keys). */
  initNet: boolean;
  initIpc: boolean;
  initUts: boolean;
  file: PathState;
}

/**
 * The dotted form of a key, as sysctl(8) reads names: when the first separator is "/", the
 * path form was used and "." inside a component (a VLAN interface "eth0.100") is literal.
 */
export function canonicalKey(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** /proc/sys path of a key (dots are separators, slashes are literal dots). */
export function procPath(name: string): string {
  return `/proc/sys/${canonicalKey(name).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;
}

export function sysctlScript(name: string, file: string): RawShell {
  const lines: RawShell[] = [
    sh`k=${procPath(name)}`,
    raw(
      'if [ -f /.dockerenv ] || [ -f /run/.containerenv ] || [ -f /run/systemd/container ] || tr "\\0" "\\n" < /proc/1/environ 2>/dev/null | grep -q "^container="; then echo container=1; fi',
    ),
    // Host-only net.core keys exist only in the first network namespace.
    raw('if [ -e /proc/sys/net/core/netdev_max_backlog ]; then echo init_net=1; fi'),
    raw('echo "ns_ipc=$(readlink /proc/self/ns/ipc 2>/dev/null)"'),
    raw('echo "ns_uts=$(readlink /proc/self/ns/uts 2>/dev/null)"'),
    raw('if [ -f "$k" ]; then'),
    raw(
      "  if v=$(cat -- \"$k\" 2>/dev/null); then printf 'live=%s\\n' \"$(printf '%s' \"$v\" | tr '\\t\\n' '  ')\"; else echo unreadable=1; fi",
    ),
    raw('  if [ -w "$k" ]; then echo writable=1; fi'),
    raw('else'),
    raw('  echo missing=1'),
    raw('fi'),
    // Last: the file's content ends the output.
    pathStateScript(file, { contentLimit: SYSCTL_FILE_LIMIT }),
  ];
  return raw(lines.map((line) => line.text).join('\n'));
}

/** Runs of spaces and tabs as one space, no leading or trailing ones (how sysctl values compare). */
export function normalizeValue(value: string): string {
  return value.trim().split(/\s+/).filter(Boolean).join(' ');
}

export function parseSysctl(result: ExecResult, name: string, file: string): SysctlFacts {
  const state = parsePathState(result, file, { contentLimit: SYSCTL_FILE_LIMIT });
  const report = parseReport(result.stdout);
  const nsIpc = single(report, 'ns_ipc');
  if (nsIpc === undefined) {
    throw moduleFailure(`cannot read sysctl ${name}: unexpected output from the host`, {
      stdout: result.stdout,
    });
  }
  const live: LiveKey = {
    exists: single(report, 'missing') !== '1',
    writable: single(report, 'writable') === '1',
  };
  const value = single(report, 'live');
  if (value !== undefined) live.value = normalizeValue(value);
  return {
    live,
    container: single(report, 'container') === '1',
    initNet: single(report, 'init_net') === '1',
    // Unknown counts as the host's: never guess a key is the container's own.
    initIpc: nsIpc === '' || nsIpc === INIT_IPC_NS,
    initUts: (single(report, 'ns_uts') ?? '') === '' || single(report, 'ns_uts') === INIT_UTS_NS,
    file: state,
  };
}
