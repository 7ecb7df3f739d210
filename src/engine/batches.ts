/**
 * `serial:` batches, as Ansible computes them: each entry is a number of hosts or a percentage
 * of all the play's hosts (rounded down, at least 1); the last entry repeats until every host
 * is in a batch. Without serial the play is one batch.
 */

/** Size of a batch for one `serial` entry, out of `total` hosts. */
export function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'string') {
    const percent = Number(entry.trim().replace(/%$/, ''));
    const size = Math.floor((percent / 100) * total);
    return Math.max(size, 1);
  }
  return entry >= 1 ? Math.floor(entry) : total;
}

export function serialBatches<T>(hosts: readonly T[], serial?: readonly (number | string)[]): T[][] {
  if (hosts.length === 0) return [];
  if (!serial || serial.length === 0) return [[...hosts]];
  const batches: T[][] = [];
  let rest = [...hosts];
  let index = 0;
  while (rest.length > 0) {
    const size = Math.max(1, batchSize(serial[index]!, hosts.length));
    batches.push(rest.slice(0, size));
    rest = rest.slice(size);
    if (index < serial.length - 1) index += 1;
  }
  return batches;
}
