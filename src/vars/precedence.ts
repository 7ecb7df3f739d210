/**
 * Variable precedence: where a host's variables come from, weakest first. A later layer
 * replaces a whole top-level variable of an earlier one (no deep merge: Ansible's default
 * hash_behaviour=replace). Within one layer, the later definition wins.
 *
 *    1. role defaults          roles/<name>/defaults/main.yml, defineRole({ defaults })
 *    2. inventory group vars   inline group `vars:`, then group_vars/ files (all first, then by
 *                              depth and name, as Ansible orders groups)
 *    3. inventory host vars    inline host variables, then host_vars/ files
 *    4. play vars              `vars:` of the play
 *    5. vars files             `vars_files:` of the play, in order
 *    6. role params            `roles: [{ role: x, params }]`
 *    7. task vars              `vars:` of the task
 *    8. facts                  results of `register:` and values of `set_fact`
 *    9. extra vars             `-e` on the command line, in order
 *   10. magic vars             set by Bosun (inventory_hostname, group_names, groups, ...)
 *   11. loop                   the loop variable (`item`), during its task's iterations only
 *
 * Layers 1-9 are the order Bosun documents to users. Magic vars and the loop variable sit
 * above extra vars on purpose, as in Ansible: `-e item=x` must not replace the item of a
 * loop, and a host cannot be told it is another host.
 *
 * Unlike Ansible, role params rank below facts: a fact a task sets or registers is what the
 * tasks after it see, even inside the role whose param had the same name.
 */

export const VAR_LAYERS = [
  'role defaults',
  'inventory group vars',
  'inventory host vars',
  'play vars',
  'vars files',
  'role params',
  'task vars',
  'facts',
  'extra vars',
  'magic vars',
  'loop',
] as const;

export type VarLayerName = (typeof VAR_LAYERS)[number];

/** Layers whose string values are data, never templates (command output must not be rendered). */
export const UNTEMPLATED_LAYERS: ReadonlySet<VarLayerName> = new Set<VarLayerName>([
  'facts',
  'magic vars',
  'loop',
]);

/** Position of a layer in the order: a higher rank wins. */
export function layerRank(layer: VarLayerName): number {
  return VAR_LAYERS.indexOf(layer);
}

/** The order as the README and `bosun vars` print it. */
export const PRECEDENCE_TEXT = [
  'Variable precedence, weakest first (a stronger layer replaces a whole top-level variable):',
  '   1. role defaults          roles/<name>/defaults/main.yml or defineRole({ defaults })',
  '   2. inventory group vars   group vars: inline, then group_vars/ (all first, then by depth and name)',
  '   3. inventory host vars    host variables: inline, then host_vars/',
  '   4. play vars              vars: of the play',
  '   5. vars files             vars_files: of the play, in order',
  '   6. role params            params given to the role in roles:',
  '   7. task vars              vars: of the task',
  '   8. facts                  register: results and set_fact values',
  '   9. extra vars             -e on the command line, later -e wins',
  '  10. magic vars             set by Bosun: inventory_hostname, group_names, groups, ...',
  '  11. loop                   the loop variable (item) while its task loops',
].join('\n');
