/** One group as the name service sees it (getent group), for the group module. */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { type GroupEntry, groupLookupLines, parseGroupLine } from './passwd.js';
import { parseReport } from './report.js';

export interface GroupFacts {
  /** Undefined when the group does not exist. */
  group?: GroupEntry;
}

export function groupFactsScript(name: string): RawShell {
  return raw([...groupLookupLines([name]), raw('exit 0')].map((line) => line.text).join('\n'));
}

export function parseGroupFacts(result: ExecResult, name: string): GroupFacts {
  if (result.code !== 0) {
    throw moduleFailure(
      `cannot look up group ${name}: ${result.stderr.trim() || `exit code ${result.code}`}`,
      {
        exitCode: result.code,
        stderr: result.stderr,
      },
    );
  }
  const facts: GroupFacts = {};
  for (const line of parseReport(result.stdout).values.get('group') ?? []) {
    const entry = parseGroupLine(line);
    if (!entry) throw moduleFailure(`cannot look up group ${name}: unexpected group entry "${line}"`);
    // getent looks a numeric key up as a gid: only an entry with this very name is the group.
    if (entry.name === name) facts.group = entry;
  }
  return facts;
}
