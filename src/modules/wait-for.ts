/**
 * wait_for: wait, on the host, until a TCP port accepts connections (or stops accepting them),
 * or a path appears (optionally holding a pattern) or goes away. The waiting is the gather
 * script itself, a POSIX loop, so it costs one round trip and never changes anything: check
 * mode waits too. Ports are probed with bash's /dev/tcp, else python3, else `ss` for the
 * host's own addresses. A timeout fails the task.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { parseReport, single } from '../facts/report.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { moduleFailure } from './failure.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, ModuleDefinition, Plan } from './types.js';

export const WaitForArgs = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        minLength: 1,
        default: '127.0.0.1',
        description: 'Name or address to connect to, from the host itself (with port).',
      }),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port to wait for.' })),
    path: Type.Optional(
      Type.String({ minLength: 1, description: 'File or folder to wait for (exclusive with port).' }),
    ),
    state: Type.Optional(
      Type.Union(
        [Type.Literal('started'), Type.Literal('stopped'), Type.Literal('present'), Type.Literal('absent')],
        {
          default: 'started',
          description:
            'started/present: the port accepts connections, the path exists. stopped/absent: the port refuses connections, the path is gone.',
        },
      ),
    ),
    timeout: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 300,
        description: 'Seconds to wait at most (the delay included).',
      }),
    ),
    delay: Type.Optional(
      Type.Integer({ minimum: 0, default: 0, description: 'Seconds to wait before the first check.' }),
    ),
    sleep: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Seconds between checks.' })),
    connect_timeout: Type.Optional(
      Type.Integer({ minimum: 1, default: 5, description: 'Seconds one connection attempt may take.' }),
    ),
    search_regex: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'With path and started/present: also wait until the file holds a line matching this extended regex (grep -E).',
      }),
    ),
    msg: Type.Optional(Type.String({ minLength: 1, description: 'Message of the failure on timeout.' })),
  },
  { additionalProperties: false },
);
export type WaitForArgs = Static<typeof WaitForArgs>;

export interface WaitFacts {
  met: boolean;
  elapsed: number;
  /** How the port was probed (bash, python3, ss). */
  method?: string;
  /** Lines matching search_regex, when met. */
  match?: string;
}

/** Host names and addresses (v4, v6): what bash's /dev/tcp/HOST/PORT and python accept. */
const HOST = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const NO_PROBE = 'bosun-no-probe';

export function checkWaitForArgs(args: WaitForArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (args.port !== undefined && args.path !== undefined) {
    issues.push({ key: 'path', message: 'port and path are mutually exclusive' });
  }
  if (args.host !== undefined && args.port === undefined) {
    issues.push({ key: 'host', message: 'host needs port' });
  }
  if (args.host !== undefined && !isTemplated(args.host) && !HOST.test(args.host)) {
    issues.push({ key: 'host', message: `"${args.host}" is not a host name or address` });
  }
  if (args.search_regex !== undefined) {
    if (args.path === undefined) issues.push({ key: 'search_regex', message: 'search_regex needs path' });
    else if (args.state === 'absent' || args.state === 'stopped') {
      issues.push({
        key: 'search_regex',
        message: `search_regex needs state started or present, not ${args.state}`,
      });
    }
  }
  return issues;
}

function waitsForPresence(args: WaitForArgs): boolean {
  return args.state === undefined || args.state === 'started' || args.state === 'present';
}

/** The shell test that holds when the wait is over (exit 0). */
function condition(args: WaitForArgs): RawShell {
  const present = waitsForPresence(args);
  if (args.port !== undefined) return raw(present ? 'probe' : '! probe');
  if (args.path !== undefined) {
    if (!present) return sh`[ ! -e ${args.path} ] && [ ! -L ${args.path} ]`;
    if (args.search_regex !== undefined) {
      return sh`[ -f ${args.path} ] && m=$(grep -E -m 1 -e ${args.search_regex} -- ${args.path} 2>/dev/null)`;
    }
    return sh`[ -e ${args.path} ]`;
  }
  return raw('false');
}

function probeFunction(args: WaitForArgs): RawShell[] {
  const host = args.host ?? '127.0.0.1';
  const ct = args.connect_timeout ?? 5;
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '0.0.0.0';
  const lines: RawShell[] = [
    sh`h=${host}; pt=${args.port as number}; ct=${ct}`,
    raw('t=; if command -v timeout >/dev/null 2>&1; then t="timeout $ct"; fi'),
    raw('if command -v bash >/dev/null 2>&1; then method=bash'),
    raw('elif command -v python3 >/dev/null 2>&1; then method=python3'),
  ];
  if (local) lines.push(raw('elif command -v ss >/dev/null 2>&1; then method=ss'));
  lines.push(
    sh`else echo ${NO_PROBE} >&2; exit 3; fi`,
    raw('echo "method=$method"'),
    raw('probe() {'),
    raw('  case $method in'),
    raw(`    bash) $t bash -c 'exec 3<>"/dev/tcp/$1/$2"' probe "$h" "$pt" 2>/dev/null ;;`),
    raw(
      `    python3) $t python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()' "$h" "$pt" "$ct" 2>/dev/null ;;`,
    ),
    raw(`    ss) ss -Hltn "sport = :$pt" 2>/dev/null | grep -q . ;;`),
    raw('  esac'),
    raw('}'),
  );
  return lines;
}

export function waitForScript(args: WaitForArgs): RawShell {
  const timeout = args.timeout ?? 300;
  const lines: RawShell[] = [];
  if (args.port !== undefined) lines.push(...probeFunction(args));
  lines.push(raw('m=; start=$(date +%s)'));
  if ((args.delay ?? 0) > 0) lines.push(sh`sleep ${args.delay as number}`);
  if (args.port === undefined && args.path === undefined) {
    // Nothing to wait for: just wait the timeout (as Ansible does).
    lines.push(sh`sleep ${timeout}`, raw('echo met=1'));
  } else {
    lines.push(
      sh`limit=${timeout}; pause=${args.sleep ?? 1}`,
      raw('while :; do'),
      sh`  if ${condition(args)}; then echo met=1; break; fi`,
      raw('  now=$(date +%s)'),
      raw('  if [ $((now - start)) -ge "$limit" ]; then echo met=0; break; fi'),
      raw(
        '  left=$((limit - (now - start))); if [ "$left" -lt "$pause" ]; then sleep "$left"; else sleep "$pause"; fi',
      ),
      raw('done'),
    );
    if (args.search_regex !== undefined)
      lines.push(raw('if [ -n "$m" ]; then printf \'match=%s\\n\' "$m"; fi'));
  }
  lines.push(raw('echo "elapsed=$(($(date +%s) - start))"'));
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseWaitFor(result: ExecResult): WaitFacts {
  if (result.stderr.split('\n').includes(NO_PROBE)) {
    throw moduleFailure(
      'cannot probe ports on this host: it has neither bash nor python3 (nor ss for local ports)',
    );
  }
  const report = parseReport(result.stdout);
  const met = single(report, 'met');
  const elapsed = single(report, 'elapsed');
  if (result.code !== 0 || (met !== '0' && met !== '1') || elapsed === undefined) {
    throw moduleFailure(`waiting failed: ${result.stderr.trim() || `exit code ${result.code}`}`, {
      exitCode: result.code,
      stdout: result.stdout,
      stderr: result.stderr,
    });
  }
  const facts: WaitFacts = { met: met === '1', elapsed: Number(elapsed) };
  const method = single(report, 'method');
  if (method !== undefined) facts.method = method;
  const match = single(report, 'match');
  if (match !== undefined) facts.match = match;
  return facts;
}

function timeoutMessage(args: WaitForArgs): string {
  const present = waitsForPresence(args);
  if (args.port !== undefined) {
    const where = `${args.host ?? '127.0.0.1'}:${args.port}`;
    return present ? `Timeout when waiting for ${where}` : `Timeout when waiting for ${where} to stop`;
  }
  if (args.search_regex !== undefined) {
    return `Timeout when waiting for search string ${args.search_regex} in ${args.path}`;
  }
  return present
    ? `Timeout when waiting for file ${args.path}`
    : `Timeout when waiting for ${args.path} to be absent`;
}

export function planWaitFor(args: WaitForArgs, facts: WaitFacts): Plan {
  const result: Record<string, unknown> = { state: args.state ?? 'started', elapsed: facts.elapsed };
  if (args.port !== undefined) {
    result.host = args.host ?? '127.0.0.1';
    result.port = args.port;
  }
  if (args.path !== undefined) result.path = args.path;
  if (facts.match !== undefined) result.match = facts.match;
  if (!facts.met) {
    const msg = args.msg ?? timeoutMessage(args);
    throw moduleFailure(msg, result);
  }
  const what =
    args.port !== undefined
      ? `${result.host}:${args.port} ${waitsForPresence(args) ? 'accepts connections' : 'refuses connections'}`
      : args.path !== undefined
        ? `${args.path} ${waitsForPresence(args) ? (args.search_regex !== undefined ? 'matches' : 'exists') : 'is absent'}`
        : undefined;
  const reason = what === undefined ? `waited ${facts.elapsed} s` : `${what} (after ${facts.elapsed} s)`;
  return { changed: false, reason, result };
}

export const waitForModule: ModuleDefinition<WaitForArgs, WaitFacts> = {
  name: 'wait_for',
  description:
    'Wait on the host until a port accepts (or refuses) connections or a path appears (or goes away).',
  schema: WaitForArgs,
  kind: 'plan',
  checkArgs: checkWaitForArgs,
  // A port the run opens cannot be waited for before the run: only paths are compared.
  reads: (args) => (args.path === undefined ? undefined : [args.path]),
  gather: (args) => waitForScript(args),
  parse: (result) => parseWaitFor(result),
  plan(args, facts) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'wait_for: planned without facts');
    return planWaitFor(args, facts);
  },
};
