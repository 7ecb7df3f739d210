/**
 * The ids useradd chooses from, for check mode: UID_MIN..UID_MAX and GID_MIN..GID_MAX of
 * login.defs (useradd's defaults when absent) and the ids already used inside them, as the
 * name service lists them.
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type FactReport, parseReport, single } from './report.js';

export interface IdRange {
  min: number;
  max: number;
  /** Ids in [min, max] in use. */
  used: number[];
}

export interface IdRanges {
  uid: IdRange;
  gid: IdRange;
}

/** useradd's built-in limits for accounts that are not system accounts. */
const DEFAULT_MIN = 1000;
const DEFAULT_MAX = 60000;

function defLine(key: string): string {
  return `${key.toLowerCase()}=$(sed -n 's/^${key}[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)`;
}

export function idRangesScript(): RawShell {
  return raw(
    [
      defLine('UID_MIN'),
      defLine('UID_MAX'),
      defLine('GID_MIN'),
      defLine('GID_MAX'),
      `echo "ids_uid_min=\${uid_min:-${DEFAULT_MIN}}"; echo "ids_uid_max=\${uid_max:-${DEFAULT_MAX}}"`,
      `echo "ids_gid_min=\${gid_min:-${DEFAULT_MIN}}"; echo "ids_gid_max=\${gid_max:-${DEFAULT_MAX}}"`,
      `getent passwd | awk -F: -v lo="\${uid_min:-${DEFAULT_MIN}}" -v hi="\${uid_max:-${DEFAULT_MAX}}" '$3 >= lo+0 && $3 <= hi+0 { print "ids_uid=" $3 }'`,
      `getent group | awk -F: -v lo="\${gid_min:-${DEFAULT_MIN}}" -v hi="\${gid_max:-${DEFAULT_MAX}}" '$3 >= lo+0 && $3 <= hi+0 { print "ids_gid=" $3 }'`,
    ].join('\n'),
  );
}

function range(report: FactReport, kind: 'uid' | 'gid'): IdRange | undefined {
  const min = Number(single(report, `ids_${kind}_min`));
  const max = Number(single(report, `ids_${kind}_max`));
  if (!Number.isInteger(min) || !Number.isInteger(max)) return undefined;
  const used = (report.values.get(`ids_${kind}`) ?? []).map(Number).filter(Number.isInteger);
  return { min, max, used };
}

/** Undefined when the output holds no id ranges (the script was not part of it). */
export function parseIdRanges(result: ExecResult): IdRanges | undefined {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot read the id ranges of /etc/login.defs: ${result.stderr.trim() || `exit code ${result.code}`}`,
    );
  }
  const report = parseReport(result.stdout);
  const uid = range(report, 'uid');
  const gid = range(report, 'gid');
  return uid && gid ? { uid, gid } : undefined;
}
