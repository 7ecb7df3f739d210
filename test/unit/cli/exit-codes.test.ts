import { describe, expect, it } from 'vitest';
import { exitCodeForResults, type HostRunResult } from '../../../src/cli/exec-runner.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { exitCodeForRun, interruptedWarning } from '../../../src/cli/run-command.js';
import type { RunSummary } from '../../../src/engine/index.js';
import {
  BosunError,
  type BosunErrorCode,
  isUnreachableError,
  UNREACHABLE_CODES,
} from '../../../src/errors.js';

// Which errors make a host unreachable (exit 3) rather than failed (exit 2), and how a run's
// outcome becomes the exit code.

describe('unreachable or failed', () => {
  const unreachable: BosunErrorCode[] = [
    'BOSUN_UNREACHABLE',
    'BOSUN_AUTH_FAILED',
    'BOSUN_HOST_KEY_MISMATCH',
    'BOSUN_HOST_KEY_UNKNOWN',
    // A host killed, paused past its keep-alives, or cut off while a command ran: as Ansible.
    'BOSUN_CONNECTION_LOST',
  ];
  const notUnreachable: BosunErrorCode[] = [
    'BOSUN_COMMAND_TIMEOUT',
    'BOSUN_BECOME_FAILED',
    'BOSUN_TRANSFER',
    'BOSUN_MODULE_FAILED',
    'BOSUN_INTERRUPTED',
    'BOSUN_INPUT',
    'BOSUN_INTERNAL',
  ];

  it.each(unreachable)('%s makes the host unreachable', (code) => {
    expect(isUnreachableError(new BosunError(code, 'x'))).toBe(true);
  });

  it.each(notUnreachable)('%s does not', (code) => {
    expect(isUnreachableError(new BosunError(code, 'x'))).toBe(false);
  });

  it('is one list, and only BosunErrors count', () => {
    expect([...UNREACHABLE_CODES].sort()).toEqual([...unreachable].sort());
    expect(isUnreachableError(new Error('BOSUN_UNREACHABLE'))).toBe(false);
    expect(isUnreachableError(undefined)).toBe(false);
  });
});

describe('exit code of bosun run', () => {
  const summary = (partial: Partial<RunSummary>): RunSummary => ({
    recap: {},
    failedHosts: [],
    unreachableHosts: [],
    interruptedTasks: {},
    interrupted: false,
    durationMs: 1,
    ...partial,
  });

  it('is 0, 2, 3 or 130, the interrupt first, then unreachable over failed', () => {
    expect(exitCodeForRun(summary({}))).toBe(EXIT.ok);
    expect(exitCodeForRun(summary({ failedHosts: ['a'] }))).toBe(EXIT.hostFailed);
    expect(exitCodeForRun(summary({ aborted: 'any_errors_fatal: a host failed' }))).toBe(EXIT.hostFailed);
    expect(exitCodeForRun(summary({ unreachableHosts: ['b'], failedHosts: ['a'] }))).toBe(EXIT.unreachable);
    expect(exitCodeForRun(summary({ interrupted: true, unreachableHosts: ['b'], failedHosts: ['a'] }))).toBe(
      EXIT.interrupted,
    );
    expect([EXIT.ok, EXIT.hostFailed, EXIT.unreachable, EXIT.interrupted]).toEqual([0, 2, 3, 130]);
  });

  it('names the task each interrupted host was stopped in', () => {
    expect(interruptedWarning({})).toBe('interrupted');
    expect(interruptedWarning({ web2: 'long sleep', web1: 'write file' })).toBe(
      'interrupted; commands stopped on web1 in TASK [write file], web2 in TASK [long sleep]',
    );
  });
});

describe('exit code of bosun exec', () => {
  const result = (host: string, status: HostRunResult['status']): HostRunResult => ({
    host,
    status,
    rc: status === 'ok' ? 0 : null,
    stdout: '',
    stderr: '',
    durationMs: 1,
  });

  it('is 3 with an unreachable host, else 2 with a failed one, else 0', () => {
    expect(exitCodeForResults([result('a', 'ok')])).toBe(0);
    expect(exitCodeForResults([result('a', 'ok'), result('b', 'failed')])).toBe(2);
    expect(exitCodeForResults([result('a', 'failed'), result('b', 'unreachable')])).toBe(3);
  });
});
