/**
 * --tags / --skip-tags, with Ansible's rules: a task runs when one of its tags (its own plus
 * those of its play and role) is asked for; `always` runs unless skipped by name; `never` runs
 * only when asked for by one of its tags; the special selectors `all`, `tagged` and
 * `untagged` work in both options.
 */

export interface TagSelection {
  /** --tags; empty means all. */
  only: readonly string[];
  /** --skip-tags. */
  skip: readonly string[];
}

export const ALL_TAGS: TagSelection = { only: [], skip: [] };

/** `a,b` and repeated options into one list (empty items dropped). */
export function parseTagList(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return [];
  const list = typeof values === 'string' ? [values] : values;
  return list
    .flatMap((value) => value.split(','))
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

export function tagsAllow(taskTags: readonly string[], selection: TagSelection): boolean {
  const tags = new Set(taskTags.length > 0 ? taskTags : ['untagged']);
  const untagged = taskTags.length === 0;
  const only = selection.only.length > 0 ? selection.only : ['all'];
  const intersects = (list: readonly string[]) => list.some((tag) => tags.has(tag));

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (only.includes('all') && !tags.has('never')) run = true;
  else if (intersects(only)) run = true;
  else run = only.includes('tagged') && !untagged && !tags.has('never');

  if (run && selection.skip.length > 0) {
    const skip = selection.skip;
    if (skip.includes('all')) {
      if (!tags.has('always') || skip.includes('always')) run = false;
    } else if (intersects(skip)) run = false;
    else if (skip.includes('tagged') && !untagged) run = false;
  }
  return run;
}
