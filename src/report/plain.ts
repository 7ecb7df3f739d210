/**
 * Plain lines, as ansible-playbook prints them: banners for plays and tasks, one line per host
 * result (`ok: [web1]`, `changed: [web1]`, `failed: [web1] => why`, `skipping: [web1]`,
 * `fatal: [web1]: UNREACHABLE! => why`, `interrupted: [web1] => what was stopped`, and check
 * mode's `unknown: [web1] => why`), diffs under
 * the host line, and the PLAY RECAP table.
 * Used when stdout is not a terminal, or in CI.
 */
import type { HostResultEvent, RunEvent } from '../engine/events.js';
import { formatRecap } from './recap.js';
import { NO_COLOR, type Palette, type Reporter, type ReportStreams } from './reporter.js';

/** `TEXT ****` to 80 columns, after a blank line (Ansible's banner). */
export function banner(text: string): string {
  return `\n${text} ${'*'.repeat(Math.max(3, 79 - text.length))}\n`;
}

function taskTitle(task: string, role: string | undefined): string {
  return role ? `${role} : ${task}` : task;
}

function itemLabel(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item);
}

function indentBlock(label: string, text: string): string {
  const body = text.replace(/\n$/, '');
  if (body === '') return '';
  return `  ${label}:\n${body
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}

/** The lines of one host result; `hasItems` says whether its items were shown already (loops). */
export function formatHostResult(
  event: HostResultEvent,
  palette: Palette = NO_COLOR,
  hasItems = false,
): string {
  const host = event.delegatedTo !== undefined ? `${event.host} -> ${event.delegatedTo}` : event.host;
  const item = event.item !== undefined ? ` => (item=${itemLabel(event.item)})` : '';
  const msg = event.msg !== undefined ? ` => ${event.msg}` : '';
  // A looped task's own result repeats its items' lines, unless it failed or had no items.
  if (event.loop && hasItems && event.status !== 'failed') return '';
  let out: string;
  switch (event.status) {
    case 'ok':
      out = `${palette.green(`ok: [${host}]${item}${msg}`)}\n`;
      break;
    case 'changed':
      out = `${palette.yellow(`changed: [${host}]${item}${msg}`)}\n`;
      break;
    case 'skipped':
      out = `${palette.cyan(`skipping: [${host}]${item}`)}\n`;
      break;
    case 'unknown':
      out = `${palette.magenta(`unknown: [${host}]${item}${msg}`)}\n`;
      break;
    case 'unreachable':
      out = `${palette.red(`fatal: [${host}]: UNREACHABLE!${msg}`)}\n`;
      break;
    case 'interrupted':
      out = `${palette.red(`interrupted: [${host}]${item}${msg}`)}\n`;
      break;
    case 'failed': {
      const itemPart = event.item !== undefined ? ` (item=${itemLabel(event.item)})` : '';
      const rc = typeof event.rc === 'number' && event.rc !== 0 ? ` (rc=${event.rc})` : '';
      out = `${palette.red(`failed: [${host}]${itemPart}${msg}${rc}`)}\n`;
      out += indentBlock('stderr', event.stderr ?? '');
      if (event.rc !== undefined) out += indentBlock('stdout', event.stdout ?? '');
      if (event.ignored) out += `${palette.cyan('...ignoring')}\n`;
      break;
    }
  }
  for (const diff of event.diffs ?? []) out += diff.unified;
  return out;
}

export class PlainReporter implements Reporter {
  /** Hosts whose items were shown for the current task. */
  private readonly itemsShown = new Set<string>();

  constructor(
    private readonly streams: ReportStreams,
    private readonly palette: Palette = NO_COLOR,
  ) {}

  handle(event: RunEvent): void {
    const text = this.format(event);
    if (text === '') return;
    (event.type === 'warning' ? this.streams.stderr : this.streams.stdout).write(text);
  }

  format(event: RunEvent): string {
    switch (event.type) {
      case 'run_start':
        return '';
      case 'play_start': {
        const batch = event.batches > 1 ? ` (batch ${event.batch}/${event.batches})` : '';
        return banner(`PLAY [${event.name}]${batch}`);
      }
      case 'task_start':
        this.itemsShown.clear();
        return banner(`TASK [${taskTitle(event.task, event.role)}]`);
      case 'handler_start':
        this.itemsShown.clear();
        return banner(`RUNNING HANDLER [${taskTitle(event.task, event.role)}]`);
      case 'host_result': {
        if (event.item !== undefined) this.itemsShown.add(event.host);
        return formatHostResult(event, this.palette, this.itemsShown.has(event.host));
      }
      case 'warning':
        return `bosun: warning: ${event.message}\n`;
      case 'play_end':
        return event.aborted !== undefined ? `\n${this.palette.red(`PLAY ABORTED: ${event.aborted}`)}\n` : '';
      case 'run_end':
        return `${banner('PLAY RECAP')}${formatRecap(event.recap, this.palette)}\n`;
    }
  }

  async close(): Promise<void> {}
}
