/**
 * Overlay of the crontab facts: a user's crontab as the changes planned so far leave it, with
 * the crontab command a package the run installs brings, and users the run creates.
 */
import type { CrontabFacts } from '../facts/crontab.js';
import type { Overlay } from './overlay.js';
import { predictPath } from './paths.js';

const CRONTAB_COMMANDS = ['/usr/bin/crontab', '/bin/crontab'];

export function overlayCrontab(
  facts: CrontabFacts,
  user: string | undefined,
  overlay: Overlay,
): CrontabFacts {
  const { state } = overlay;
  if (state.isEmpty()) return facts;
  const out: CrontabFacts = { ...facts };
  if (facts.commandMissing) {
    const installed = CRONTAB_COMMANDS.some((path) => {
      const outcome = predictPath(overlay, path, undefined, { attributes: false, content: false });
      return outcome !== 'unknown' && outcome.stat !== undefined;
    });
    if (!overlay.known || !installed) return facts;
    delete out.commandMissing;
    out.exists = false;
    out.content = '';
  }
  if (user !== undefined) {
    const record = state.user(user);
    if (record?.after === null) return { userMissing: true, exists: false, content: '' };
    if (record && facts.userMissing) {
      delete out.userMissing;
      out.user = user;
      out.exists = false;
      out.content = '';
    } else if (facts.userMissing) {
      const unknown = state.unknownAccount(user);
      if (unknown) {
        overlay.unknown(unknown, `user ${user} may be created by it`);
        return facts;
      }
    }
  }
  const name = user ?? facts.user;
  const crontab = name === undefined ? undefined : state.crontab(name);
  if (crontab) {
    if (!crontab.known) {
      overlay.unknown(crontab.record, `the crontab of ${name} is not known before the run`);
      return facts;
    }
    out.exists = crontab.record.content !== null;
    out.content = crontab.record.content ?? '';
  }
  return out;
}
