/** --list-hosts / --list-tasks output, in ansible-playbook's layout. */
import type { ListedPlay } from '../engine/listing.js';

function tagList(tags: readonly string[]): string {
  return `[${tags.join(', ')}]`;
}

export function formatListing(
  playbook: string,
  plays: readonly ListedPlay[],
  show: { hosts: boolean; tasks: boolean },
): string {
  let out = `\nplaybook: ${playbook}\n`;
  for (const play of plays) {
    out += `\n  play #${play.number} (${play.pattern}): ${play.name}\tTAGS: ${tagList(play.tags)}\n`;
    if (show.hosts) {
      out += `    pattern: ${play.pattern}\n    hosts (${play.hosts.length}):\n`;
      for (const host of play.hosts) out += `      ${host}\n`;
    }
    if (show.tasks) {
      out += '    tasks:\n';
      for (const task of play.tasks) {
        const name = task.role ? `${task.role} : ${task.name}` : task.name;
        out += `      ${name}\tTAGS: ${tagList(task.tags)}\n`;
      }
    }
  }
  return out;
}
