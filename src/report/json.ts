/** `--json`: one event per line on stdout, exactly as the engine emitted it. */
import type { RunEvent } from '../engine/events.js';
import type { Reporter, TextStream } from './reporter.js';

export class JsonReporter implements Reporter {
  constructor(private readonly stdout: TextStream) {}

  handle(event: RunEvent): void {
    this.stdout.write(`${JSON.stringify(event)}\n`);
  }

  async close(): Promise<void> {}
}
