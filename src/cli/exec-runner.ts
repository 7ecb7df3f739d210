/**
 * Ad-hoc execution: one shell command on many hosts, at most `forks` at a time, each host's
 * outcome reported as soon as it is known. Nothing here prints; the caller renders results.
 */
import { isBosunError, isUnreachableError, messageOf } from '../errors.js';
import type { HostConnection } from '../inventory/connection.js';
import type { RawShell } from '../transport/quote.js';
import type { TransportRun } from '../transport/registry.js';
import { pLimit } from '../vendor/p-limit.js';
import { EXIT } from './exit-codes.js';

export type HostStatus = 'ok' | 'failed' | 'unreachable';

export interface HostRunResult {
  host: string;
  status: HostStatus;
  /** Exit status; null when the command did not run to an exit (error, signal). */
  rc: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  error?: { code: string; message: string };
}

export interface AdHocOptions {
  connections: readonly HostConnection[];
  command: RawShell;
  forks: number;
  /** Per-command timeout in milliseconds (0 or undefined: none). */
  timeoutMs?: number | undefined;
  run: TransportRun;
  signal?: AbortSignal | undefined;
  onResult?: (result: HostRunResult) => void;
}

/**
 * Run on every connection, at most `forks` at once. When `signal` aborts, queued hosts are
 * dropped, the commands in flight are stopped on their hosts, and the results known so far
 * are returned.
 */
export async function runAdHoc(options: AdHocOptions): Promise<HostRunResult[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const finished: HostRunResult[] = [];
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => {
      limit.clearQueue();
      // Closing a connection would leave the command running on the host: stop it first.
      void options.run.interrupt().finally(resolve);
    };
  });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const all = Promise.all(
      options.connections.map((connection) =>
        limit(async () => {
          const result = await runOne(connection, options);
          if (options.signal?.aborted) return result;
          finished.push(result);
          options.onResult?.(result);
          return result;
        }),
      ),
    );
    await Promise.race([all, aborted]);
    return [...finished];
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function runOne(connection: HostConnection, options: AdHocOptions): Promise<HostRunResult> {
  const started = Date.now();
  try {
    const transport = options.run.transport(connection.transport);
    const result = await transport.exec(options.command, {
      sudo: connection.become.enabled,
      user: connection.become.user,
      timeout: options.timeoutMs,
    });
    const out: HostRunResult = {
      host: connection.host,
      status: result.code === 0 ? 'ok' : 'failed',
      rc: result.code,
      stdout: result.stdout,
      stderr: result.stderr,
      durationMs: result.durationMs,
    };
    if (result.signal) out.signal = result.signal;
    return out;
  } catch (error) {
    return {
      host: connection.host,
      status: isUnreachableError(error) ? 'unreachable' : 'failed',
      rc: null,
      stdout: '',
      stderr: '',
      durationMs: Date.now() - started,
      error: { code: isBosunError(error) ? error.code : 'BOSUN_INTERNAL', message: messageOf(error) },
    };
  }
}

export interface Recap {
  ok: number;
  failed: number;
  unreachable: number;
}

export function recapOf(results: readonly HostRunResult[]): Recap {
  const recap: Recap = { ok: 0, failed: 0, unreachable: 0 };
  for (const result of results) recap[result.status] += 1;
  return recap;
}

/** 0 all ok, 3 if any host was unreachable, else 2 if any failed. */
export function exitCodeForResults(results: readonly HostRunResult[]): number {
  const recap = recapOf(results);
  if (recap.unreachable > 0) return EXIT.unreachable;
  if (recap.failed > 0) return EXIT.hostFailed;
  return EXIT.ok;
}
