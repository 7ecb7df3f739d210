/**
 * Shell scripts of roles, for what no module covers, and the tasks that run them. Each script
 * is plain POSIX sh, receives every value through environment variables or stdin (never
 * interpolated into its text) and follows one protocol so check mode stays truthful:
 * - it runs in check mode too (the task sets check_mode: false) with BOSUN_CHECK=true, and then
 *   only reports what it would do;
 * - it prints one line per change (or per notice) and exits 10 when it changed (or would
 *   change) something, 0 when all was in place, anything else on failure.
 */
import type { TaskInput } from './role.js';

/** Exit status of a script that changed something (tasks map it to `changed`). */
export const CHANGED_RC = 10;

const PRELUDE = String.raw`set -u
check=false
case "${'$'}{BOSUN_CHECK:-false}" in true|True|yes|1) check=true ;; esac
changed=0
# act DESCRIPTION COMMAND [ARG...]: runs the command (not in check mode) and records a change.
act() {
  what=$1
  shift
  changed=1
  if [ "$check" = true ]; then
    printf 'would %s\n' "$what"
  else
    if ! "$@"; then
      printf 'failed to %s\n' "$what" >&2
      exit 1
    fi
    printf '%s\n' "$what"
  fi
}
finish() {
  if [ "$changed" = 1 ]; then exit ${CHANGED_RC}; fi
  exit 0
}
# in_list WORD LIST: whether WORD is one of the whitespace-separated words of LIST.
in_list() {
  for candidate in $2; do
    [ "$candidate" = "$1" ] && return 0
  done
  return 1
}
`;

/** A script of this protocol: the prelude (check, act, finish, in_list), then `body`. */
export const changeScript = (body: string) => `${PRELUDE}${body}`;

/**
 * A task running a script of this protocol (also in check mode, where the script only
 * reports, exit 10 meaning changed).
 */
export function scriptTask(
  name: string,
  script: string,
  register: string,
  env: Record<string, string>,
  extra: TaskInput = {},
): TaskInput {
  return {
    name,
    shell: { cmd: script },
    environment: { BOSUN_CHECK: '{{ ansible_check_mode }}', ...env },
    check_mode: false,
    register,
    changed_when: `eq ${register}.rc ${CHANGED_RC}`,
    failed_when: `and (ne ${register}.rc 0) (ne ${register}.rc ${CHANGED_RC})`,
    ...extra,
  };
}

/** A read-only fact-finding command: runs in check mode too and never reports a change. */
export function factTask(name: string, script: string, register: string, extra: TaskInput = {}): TaskInput {
  return { name, shell: { cmd: script }, check_mode: false, changed_when: false, register, ...extra };
}
