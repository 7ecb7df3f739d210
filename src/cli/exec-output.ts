/** How ad-hoc results look: Ansible-like blocks for people, JSON lines for programs. */
import type { HostRunResult, Recap } from './exec-runner.js';

export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const plain: Palette = { green: (t) => t, red: (t) => t, yellow: (t) => t };

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * `host | CHANGED | rc=0 >>` and the output, as `ansible -m shell` prints it; errors as
 * `host | UNREACHABLE! => CODE: message`.
 */
export function formatHostResult(result: HostRunResult, palette: Palette = plain): string {
  if (result.error) {
    const label = result.status === 'unreachable' ? 'UNREACHABLE!' : 'FAILED!';
    const color = result.status === 'unreachable' ? palette.yellow : palette.red;
    return `${color(`${result.host} | ${label} => ${result.error.code}: ${result.error.message}`)}\n`;
  }
  const rc = result.rc === null ? `signal=${result.signal ?? 'unknown'}` : `rc=${result.rc}`;
  const header =
    result.status === 'ok'
      ? palette.green(`${result.host} | CHANGED | ${rc} >>`)
      : palette.red(`${result.host} | FAILED | ${rc} >>`);
  return `${header}\n${withNewline(result.stdout)}${withNewline(result.stderr)}`;
}

export function formatRecap(recap: Recap): string {
  return `${recap.ok} ok, ${recap.failed} failed, ${recap.unreachable} unreachable\n`;
}

/** One JSON object per host per line. */
export function formatJsonResult(result: HostRunResult): string {
  const line: Record<string, unknown> = {
    host: result.host,
    rc: result.rc,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.durationMs,
    status: result.status,
  };
  if (result.signal) line.signal = result.signal;
  if (result.error) line.error = result.error;
  return `${JSON.stringify(line)}\n`;
}
