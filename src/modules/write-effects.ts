/**
 * What a planned file write leaves on the host, for check mode (src/predict/effects.ts): the
 * file with the bytes written and its mode, owner and group, or only new attributes when the
 * content is already right; with the folders `mkdir -p` would make for edits that create.
 */
import type { Effect } from '../predict/effects.js';
import { ancestorsOf } from '../predict/state.js';
import { sha256Of, type WriteFacts } from './file-write.js';
import type { Plan } from './types.js';

/** The name a file created by the steps' user gets as its owner (or group). */
export function runnerName(id: number): string {
  return id === 0 ? 'root' : String(id);
}

function modeOf(value: unknown): number | undefined {
  return typeof value === 'string' && /^[0-7]+$/.test(value) ? Number.parseInt(value, 8) : undefined;
}

export interface WriteEffectInput {
  path: string;
  bytes: Buffer;
  facts: WriteFacts;
  /** Missing folders above path are created (edits with create). */
  parents?: boolean;
}

/** `plan` with the effects of its write (plans from planWrite, whose result names mode, owner and group). */
export function withWriteEffects(plan: Plan, input: WriteEffectInput): Plan {
  if (!plan.changed) return plan;
  plan.effects = writeEffects(plan.result ?? {}, input);
  return plan;
}

export function writeEffects(result: Record<string, unknown>, input: WriteEffectInput): Effect[] {
  const { path, bytes, facts } = input;
  const effects: Effect[] = [];
  const mode = modeOf(result.mode);
  const owner = typeof result.owner === 'string' ? result.owner : runnerName(facts.uid);
  const group = typeof result.group === 'string' ? result.group : runnerName(facts.gid);
  if (input.parents && !facts.stat) {
    for (const dir of ancestorsOf(path)) {
      effects.push({
        kind: 'path',
        path: dir,
        after: {
          type: 'directory',
          mode: 0o777 & ~facts.umask,
          owner: runnerName(facts.uid),
          group: runnerName(facts.gid),
        },
        ifMissing: true,
      });
    }
  }
  const same = facts.stat?.type === 'file' && facts.sha256 === sha256Of(bytes);
  if (same) {
    const set: { mode?: number; owner?: string; group?: string } = { owner, group };
    if (mode !== undefined) set.mode = mode;
    effects.push({ kind: 'attributes', path, set });
  } else {
    const after: Effect = { kind: 'path', path, after: { type: 'file', bytes, owner, group } };
    if (mode !== undefined && after.after.type === 'file') after.after.mode = mode;
    effects.push(after);
  }
  return effects;
}
