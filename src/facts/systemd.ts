/**
 * What the service module needs from systemd, in one script: whether systemd runs the host
 * (PID 1), the unit's load, active and unit-file states from `systemctl show`, and, when a
 * daemon reload is asked for, which loaded units systemd itself says are stale on disk.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { parseReport, single } from './report.js';

export interface UnitStatus {
  /** The unit's canonical name ("nginx.service" for "nginx"). */
  id: string;
  /** loaded, not-found, masked, bad-setting, error... */
  loadState: string;
  /** active, inactive, failed, activating, deactivating, reloading... */
  activeState: string;
  subState: string;
  /** enabled, disabled, static, masked, indirect, generated... ("" when there is no unit file). */
  unitFileState: string;
  needDaemonReload: boolean;
}

export interface SystemdFacts {
  /** systemd is the init system (sd_booted: /run/systemd/system exists). */
  systemd: boolean;
  /** Name of PID 1 when systemd does not run the host, for the message. */
  pid1?: string;
  unit?: UnitStatus;
  /** Loaded units whose files changed on disk since the last reload (only when asked). */
  stale?: string[];
}

const PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'NeedDaemonReload'];

/** `unit`: the unit to describe; `stale`: also list units needing a daemon reload. */
export function systemdScript(unit: string | undefined, stale: boolean): RawShell {
  const lines: RawShell[] = [
    // sd_booted(3): this folder exists only when systemd is PID 1.
    raw('if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then'),
    raw('  echo systemd=0; echo "pid1=$(cat /proc/1/comm 2>/dev/null)"; exit 0'),
    raw('fi'),
    raw('echo systemd=1'),
  ];
  if (unit !== undefined) {
    lines.push(sh`systemctl show -p ${PROPERTIES.join(',')} -- ${unit} | sed 's/^/unit./'`);
  }
  if (stale) {
    // Paragraph mode: one block of properties per loaded unit.
    lines.push(
      raw(
        `systemctl show -p Id,NeedDaemonReload '*' | awk 'BEGIN { RS = ""; FS = "\\n" } { id = ""; s = 0; for (i = 1; i <= NF; i++) { if ($i ~ /^Id=/) id = substr($i, 4); if ($i == "NeedDaemonReload=yes") s = 1 } if (s) print "stale=" id }'`,
      ),
    );
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseSystemd(result: ExecResult, unit: string | undefined, stale: boolean): SystemdFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot read the state of ${unit ?? 'systemd'}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      { exitCode: result.code, stderr: result.stderr },
    );
  }
  const report = parseReport(result.stdout);
  const systemd = single(report, 'systemd');
  if (systemd === '0') return { systemd: false, pid1: single(report, 'pid1') ?? '' };
  if (systemd !== '1') {
    throw moduleFailure(`cannot read the state of ${unit ?? 'systemd'}: unexpected output from the host`, {
      stdout: result.stdout,
    });
  }
  const facts: SystemdFacts = { systemd: true };
  if (unit !== undefined) {
    const value = (key: string) => single(report, `unit.${key}`);
    const id = value('Id');
    const loadState = value('LoadState');
    if (id === undefined || loadState === undefined) {
      const why = result.stderr.trim() || 'systemctl show printed no properties';
      throw moduleFailure(`cannot read the state of ${unit}: ${why}`, { stdout: result.stdout });
    }
    facts.unit = {
      id,
      loadState,
      activeState: value('ActiveState') ?? '',
      subState: value('SubState') ?? '',
      unitFileState: value('UnitFileState') ?? '',
      needDaemonReload: value('NeedDaemonReload') === 'yes',
    };
  }
  if (stale) facts.stale = report.values.get('stale') ?? [];
  return facts;
}
