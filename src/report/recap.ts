/** The PLAY RECAP table, in Ansible's layout: host padded to 26, then each count padded to 4. */
import type { HostRecap } from '../engine/events.js';
import { NO_COLOR, type Palette } from './reporter.js';

export function formatRecap(recap: Record<string, HostRecap>, palette: Palette = NO_COLOR): string {
  let out = '';
  const hosts = Object.keys(recap).sort();
  for (const host of hosts) {
    const r = recap[host]!;
    const field = (name: string, value: number, color: (t: string) => string) => {
      const text = `${name}=${String(value).padEnd(4)}`;
      return value > 0 ? color(text) : text;
    };
    const hostColor =
      r.failed > 0 || r.unreachable > 0 || (r.interrupted ?? 0) > 0
        ? palette.red
        : r.changed > 0
          ? palette.yellow
          : palette.green;
    const line = [
      `${hostColor(host.padEnd(26))} :`,
      field('ok', r.ok, palette.green),
      field('changed', r.changed, palette.yellow),
      field('unreachable', r.unreachable, palette.red),
      field('failed', r.failed, palette.red),
      field('skipped', r.skipped, palette.cyan),
      field('ignored', r.ignored, palette.cyan),
      // Bosun's own column, after Ansible's: tasks check mode could not predict.
      field('unknown', r.unknown, palette.magenta),
      // Only after an interrupt, so the usual line keeps Ansible's columns.
      ...(r.interrupted !== undefined ? [field('interrupted', r.interrupted, palette.red)] : []),
    ].join(' ');
    out += `${line.trimEnd()}\n`;
  }
  return out;
}
