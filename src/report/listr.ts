/**
 * A live tree on a terminal: the play banner, then for each task a listr2 list whose children
 * are the hosts, each ticking to its status as its result arrives. Failure messages and diffs
 * are printed under the finished task, as the plain reporter prints them; the recap ends it.
 * Events arrive synchronously; the rendering is chained so one task's tree is finished (every
 * host resolved) before the next starts.
 */
import type { HostResultEvent, RunEvent } from '../engine/events.js';
import { Listr, type ListrTask } from '../vendor/listr2.js';
import { banner, formatHostResult } from './plain.js';
import { formatRecap } from './recap.js';
import { NO_COLOR, type Palette, type Reporter, type ReportStreams } from './reporter.js';

type ListrRendererName = 'default' | 'simple' | 'silent';

interface HostSlot {
  resolve(result: HostResultEvent | undefined): void;
  items: string[];
  setOutput?: (text: string) => void;
}

/** The tree of one task (or handler): a parent line and one child per host. */
class TaskTree {
  private readonly slots = new Map<string, HostSlot>();
  private readonly results: HostResultEvent[] = [];
  readonly done: Promise<void>;

  constructor(title: string, hosts: readonly string[], renderer: ListrRendererName) {
    const children: ListrTask[] = hosts.map((host) => {
      let resolve!: (result: HostResultEvent | undefined) => void;
      const result = new Promise<HostResultEvent | undefined>((r) => {
        resolve = r;
      });
      const slot: HostSlot = { resolve, items: [] };
      this.slots.set(host, slot);
      return {
        title: host,
        task: async (_ctx, task) => {
          slot.setOutput = (text) => {
            task.output = text;
          };
          if (slot.items.length > 0) task.output = slot.items.join('\n');
          const event = await result;
          if (!event) {
            task.skip(`${host}: no result`);
            return;
          }
          const label = event.delegatedTo !== undefined ? `${host} -> ${event.delegatedTo}` : host;
          switch (event.status) {
            case 'ok':
              task.title = `${label}: ok`;
              return;
            case 'changed':
              task.title = `${label}: changed`;
              return;
            case 'skipped':
              task.skip(`${label}: skipped`);
              return;
            case 'unknown':
              task.title = `${label}: unknown`;
              return;
            case 'unreachable':
              throw new Error(`${label}: unreachable`);
            case 'interrupted':
              throw new Error(`${label}: interrupted`);
            case 'failed':
              if (event.ignored) {
                task.title = `${label}: failed (ignored)`;
                return;
              }
              throw new Error(`${label}: failed`);
          }
        },
      };
    });
    const list = new Listr(
      [{ title, task: (_ctx, task) => task.newListr(children, { concurrent: true, exitOnError: false }) }],
      {
        renderer,
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false },
      } as never,
    );
    // Started at once: it renders while the results arrive.
    this.done = list.run().then(
      () => undefined,
      () => undefined,
    );
  }

  result(event: HostResultEvent): void {
    const slot = this.slots.get(event.host);
    if (event.item !== undefined) {
      const line = `${event.status}: (item=${typeof event.item === 'string' ? event.item : JSON.stringify(event.item)})`;
      slot?.items.push(line);
      slot?.setOutput?.(slot.items.join('\n'));
      this.results.push(event);
      return;
    }
    this.results.push(event);
    slot?.resolve(event);
    this.slots.delete(event.host);
  }

  /** Hosts still waiting get no result (they left the play, or a run_once task ran elsewhere). */
  finish(): HostResultEvent[] {
    for (const slot of this.slots.values()) slot.resolve(undefined);
    this.slots.clear();
    return this.results;
  }
}

export interface ListrReporterOptions {
  palette?: Palette;
  /** 'default' on a terminal; tests use 'silent'. */
  renderer?: ListrRendererName;
}

export class ListrReporter implements Reporter {
  private chain: Promise<void> = Promise.resolve();
  private tree: TaskTree | undefined;
  /** Hosts still in the current play batch. */
  private hosts: string[] = [];
  private readonly palette: Palette;
  private readonly renderer: ListrRendererName;

  constructor(
    private readonly streams: ReportStreams,
    options: ListrReporterOptions = {},
  ) {
    this.palette = options.palette ?? NO_COLOR;
    this.renderer = options.renderer ?? 'default';
  }

  private queue(step: () => void | Promise<void>): void {
    this.chain = this.chain.then(step);
  }

  private write(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (text !== '') this.queue(() => void this.streams[stream].write(text));
  }

  /** Close the current tree; print its failures and diffs once it has rendered. */
  private finishTree(): void {
    this.queue(async () => {
      const tree = this.tree;
      if (!tree) return;
      this.tree = undefined;
      const results = tree.finish();
      await tree.done;
      let details = '';
      const itemsShown = new Set<string>();
      for (const event of results) {
        if (event.item !== undefined && event.status !== 'failed' && event.status !== 'unknown') continue;
        const explained =
          event.status === 'failed' ||
          event.status === 'unreachable' ||
          event.status === 'unknown' ||
          event.status === 'interrupted';
        if (explained || (event.diffs?.length ?? 0) > 0) {
          details += formatHostResult(event, this.palette, itemsShown.has(event.host));
          if (event.item !== undefined) itemsShown.add(event.host);
        }
      }
      if (details !== '') this.streams.stdout.write(details);
    });
  }

  private startTree(title: string, hosts: readonly string[]): void {
    this.finishTree();
    this.queue(() => {
      this.tree = new TaskTree(title, hosts, this.renderer);
    });
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'run_start':
        return;
      case 'play_start': {
        this.finishTree();
        this.hosts = [...event.hosts];
        const batch = event.batches > 1 ? ` (batch ${event.batch}/${event.batches})` : '';
        this.write(banner(`PLAY [${event.name}]${batch}`));
        return;
      }
      case 'task_start':
        this.startTree(`TASK [${event.role ? `${event.role} : ` : ''}${event.task}]`, this.hosts);
        return;
      case 'handler_start':
        this.startTree(`RUNNING HANDLER [${event.role ? `${event.role} : ` : ''}${event.task}]`, event.hosts);
        return;
      case 'host_result': {
        const gone =
          event.item === undefined &&
          (event.status === 'unreachable' || (event.status === 'failed' && !event.ignored));
        if (gone) this.hosts = this.hosts.filter((host) => host !== event.host);
        this.queue(() => this.tree?.result(event));
        return;
      }
      case 'warning':
        this.write(`bosun: warning: ${event.message}\n`, 'stderr');
        return;
      case 'play_end':
        this.finishTree();
        if (event.aborted !== undefined)
          this.write(`\n${this.palette.red(`PLAY ABORTED: ${event.aborted}`)}\n`);
        return;
      case 'run_end':
        this.finishTree();
        this.write(`${banner('PLAY RECAP')}${formatRecap(event.recap, this.palette)}\n`);
        return;
    }
  }

  async close(): Promise<void> {
    this.finishTree();
    await this.chain;
  }
}
