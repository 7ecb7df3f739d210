/**
 * Reporters turn run events into output. Each gets every event in order (`handle` returns at
 * once) and `close` is awaited before the command ends, so output written asynchronously (the
 * listr tree) is complete when the exit code is set.
 */
import type { RunEvent } from '../engine/events.js';

export interface TextStream {
  write(text: string): unknown;
}

export interface ReportStreams {
  stdout: TextStream;
  stderr: TextStream;
}

export interface Reporter {
  handle(event: RunEvent): void;
  close(): Promise<void>;
}

/** Colours for people's terminals; identity functions otherwise. */
export interface Palette {
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
  /** Results check mode cannot predict. */
  magenta(text: string): string;
}

export const NO_COLOR: Palette = {
  green: (t) => t,
  yellow: (t) => t,
  red: (t) => t,
  cyan: (t) => t,
  magenta: (t) => t,
};

export function ansiPalette(): Palette {
  const wrap = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
  return { green: wrap('32'), yellow: wrap('33'), red: wrap('31'), cyan: wrap('36'), magenta: wrap('35') };
}
