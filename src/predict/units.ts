/**
 * Overlay of the systemd facts: a unit as the changes planned so far leave it. A unit file
 * the run installs (a package's, or one a task writes) makes the unit exist; whether it is
 * enabled comes from the package's maintainer scripts or the unit file's [Install] section,
 * whether it runs from the tasks that start or stop it.
 */
import { posix } from 'node:path';
import type { SystemdFacts, UnitStatus } from '../facts/systemd.js';
import { unitInstallable } from './maintainer-scripts.js';
import type { Overlay } from './overlay.js';
import { predictPath } from './paths.js';
import { unitName } from './state.js';

/** Where systemd looks for unit files, most important first. */
const UNIT_PATHS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

export interface UnitNeeds {
  /** Whether it is enabled (the task sets enabled). */
  enabled?: boolean;
  /** Whether it runs (the task sets state). */
  active?: boolean;
}

/** A unit file the run installs: its text ('' when not known), or undefined when there is none. */
function predictedUnitFile(overlay: Overlay, id: string): { text?: string } | undefined {
  for (const dir of UNIT_PATHS) {
    const view = overlay.state.path(posix.join(dir, id));
    if (view.from !== 'prediction' || view.after.type === 'absent') continue;
    const outcome = predictPath(overlay, posix.join(dir, id), undefined, {
      attributes: false,
      content: false,
    });
    if (outcome === 'unknown') return { text: '' };
    if (!outcome.stat) continue;
    return outcome.bytes ? { text: outcome.bytes.toString('utf8') } : {};
  }
  return undefined;
}

export function overlaySystemd(
  facts: SystemdFacts,
  name: string | undefined,
  needs: UnitNeeds,
  overlay: Overlay,
): SystemdFacts {
  const { state } = overlay;
  if (state.isEmpty() || !facts.systemd || name === undefined || !facts.unit) return facts;
  const host = facts.unit;
  const id = host.id || unitName(name);
  const record = state.unit(id);
  const unit: UnitStatus = { ...host };
  if (host.loadState === 'not-found') {
    const file = predictedUnitFile(overlay, id);
    if (!overlay.known) return facts;
    if (!file && !record) {
      // Nothing the run installs makes the unit; a change not known may.
      const opaque = state.opaqueSource('missing-paths');
      if (opaque) overlay.unknown(opaque, `it may install ${id}`);
      return facts;
    }
    unit.loadState = 'loaded';
    unit.activeState = 'inactive';
    unit.subState = 'dead';
    if (file?.text !== undefined && file.text !== '') {
      unit.unitFileState = unitInstallable(file.text) ? 'disabled' : 'static';
    } else if (needs.enabled && record?.after.unitFileState === undefined) {
      overlay.unknown(
        record ?? { by: { task: '', id: '' } },
        `the unit file of ${id} is not known before the run`,
      );
      return facts;
    } else {
      unit.unitFileState = '';
    }
  }
  if (record) {
    const { unitFileState, active } = record.after;
    if (unitFileState === null) {
      if (needs.enabled) {
        overlay.unknown(record, `whether ${id} is enabled is not known before the run`);
        return facts;
      }
    } else if (unitFileState !== undefined) {
      unit.unitFileState = unitFileState;
      if (unitFileState === 'masked') unit.loadState = 'masked';
      else if (unit.loadState === 'masked') unit.loadState = 'loaded';
    }
    if (active === null) {
      if (needs.active) {
        overlay.unknown(record, `whether ${id} runs is not known before the run`);
        return facts;
      }
    } else if (active !== undefined) {
      unit.activeState = active ? 'active' : 'inactive';
      unit.subState = active ? 'running' : 'dead';
    }
  }
  return { ...facts, unit };
}
