/**
 * --list-hosts and --list-tasks: what a run would touch, from the loaded input alone (no
 * connection). Tasks are those the tag selection keeps; `when` is not evaluated (it needs hosts).
 */
import type { RunInput } from './input.js';
import { playSections } from './play-plan.js';
import { type TagSelection, tagsAllow } from './tags.js';

export interface ListedTask {
  name: string;
  role?: string;
  tags: string[];
}

export interface ListedPlay {
  /** 1-based. */
  number: number;
  name: string;
  pattern: string;
  tags: string[];
  hosts: string[];
  tasks: ListedTask[];
}

export function listPlays(input: RunInput, tags: TagSelection): ListedPlay[] {
  return input.plays.map(({ play, index, hosts }) => ({
    number: index + 1,
    name: play.name,
    pattern: play.hosts,
    tags: [...play.tags],
    hosts: [...hosts],
    tasks: playSections(play)
      .flat()
      .filter((entry) => tagsAllow(entry.task.tags, tags))
      .map((entry) => {
        const task: ListedTask = { name: entry.task.name, tags: [...entry.task.tags].sort() };
        if (entry.roleUse) task.role = entry.roleUse.role.name;
        return task;
      }),
  }));
}
