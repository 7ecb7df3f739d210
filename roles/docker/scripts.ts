/**
 * Shell scripts of the docker role (protocol: src/model/role-scripts.ts): the check of a
 * candidate daemon.json, and the compose projects.
 */
import { changeScript } from '../../src/model/role-scripts.js';

/** Where the role installs VALIDATE_SCRIPT. */
export const VALIDATE_COMMAND = '/usr/local/sbin/bosun-docker-validate';

/** Where a project's state (the digest of its files at its last `up`) is kept, in its folder. */
export const STATE_FILE = '.bosun-compose.sha256';

/**
 * bosun-docker-validate FILE: `dockerd --validate --config-file FILE` where dockerd has it
 * (Docker 23 and later); Debian 12's dockerd 20.10 has no --validate, so there the file is
 * only parsed as JSON (python3), and a bad value shows when the engine restarts.
 */
export const VALIDATE_SCRIPT = `#!/bin/sh
# Managed by Bosun (role docker): checks a candidate daemon.json before it replaces the live one.
set -u
[ "$#" -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
if dockerd --help 2>&1 | grep -q -- '--validate'; then
  exec dockerd --validate --config-file "$1"
fi
if command -v python3 >/dev/null 2>&1; then
  exec python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"
fi
exit 0
`;

/**
 * The compose projects. Environment: PROJECTS, one line per project "name folder state wait";
 * CHANGED, names of the projects whose files the run changed (check mode counts them as
 * changed: their new files are not on the host). A present project is brought up (`up -d
 * --remove-orphans`, which recreates only the services whose definition or image changed)
 * when its files differ from those of its last up, a service is not running, or a service
 * runs another image than its tag names now; then its containers are waited for (running,
 * and healthy where they have a health check). Go templates are written with \173 so that
 * the task's own templating leaves them alone.
 */
export const COMPOSE_SCRIPT = changeScript(String.raw`
o=$(printf '\173\173')
compose_found=false
if docker compose version >/dev/null 2>&1; then
  compose() { docker compose "$@" </dev/null; }; compose_found=true
elif command -v docker-compose >/dev/null 2>&1; then
  compose() { docker-compose "$@" </dev/null; }; compose_found=true
fi
need_compose() {
  [ "$compose_found" = true ] && return 0
  echo "neither the docker compose plugin nor docker-compose is installed (docker_compose: true installs one)" >&2
  exit 1
}
# digest FOLDER: of every file of the folder but the state file, names included.
digest() {
  (cd "$1" && for f in $(ls -A | LC_ALL=C sort); do
    [ -f "$f" ] && [ "$f" != ${STATE_FILE} ] && { printf '%s\n' "$f"; cat "$f"; }
  done) | sha256sum | cut -d' ' -f1
}
ids() { docker ps -a -q --filter "label=com.docker.compose.project=$1"; }
# why_up NAME FOLDER: why the project needs an up (empty when it does not).
why_up() {
  [ -f "$2/${STATE_FILE}" ] || { echo "not started by Bosun yet"; return; }
  [ "$(digest "$2")" = "$(cat "$2/${STATE_FILE}")" ] || { echo "its files changed"; return; }
  running=$(docker ps --filter "label=com.docker.compose.project=$1" --filter status=running \
    --format "$o.Label \"com.docker.compose.service\"}}")
  for service in $(compose -p "$1" -f "$2/compose.yml" --project-directory "$2" config --services); do
    in_list "$service" "$running" || { echo "service $service is not running"; return; }
  done
  for id in $(ids "$1"); do
    set -- "$1" "$2" $(docker inspect --format "$o.Image}} $o.Config.Image}}" "$id")
    [ "$(docker image inspect --format "$o.Id}}" "$4" 2>/dev/null)" = "$3" ] || { echo "image $4 changed"; return; }
  done
}
wait_healthy() {
  [ "$3" -gt 0 ] || return 0
  end=$(( $(date +%s) + $3 ))
  while :; do
    bad=""
    for id in $(ids "$1"); do
      s=$(docker inspect --format "$o.Name}}:$o.State.Status}}$o"'if .State.Health}}'"/$o.State.Health.Status}}$o"'end}}' "$id")
      case "$s" in *:running|*:running/healthy) ;; *) bad="$bad $s" ;; esac
    done
    [ -z "$bad" ] && return 0
    if [ "$(date +%s)" -ge "$end" ]; then
      echo "project $1: not running and healthy after $3 s:$bad" >&2
      return 1
    fi
    sleep 1
  done
}
up() {
  compose -p "$1" -f "$2/compose.yml" --project-directory "$2" up -d --remove-orphans >&2 &&
    wait_healthy "$1" "$2" "$3" && digest "$2" > "$2/${STATE_FILE}"
}
down() {
  if [ -f "$2/compose.yml" ]; then
    compose -p "$1" -f "$2/compose.yml" --project-directory "$2" down --remove-orphans >&2 || return 1
  fi
  left=$(ids "$1")
  [ -z "$left" ] || docker rm -f $left >/dev/null || return 1
  rm -rf "$2"
}
restart() {
  compose -p "$1" -f "$2/compose.yml" --project-directory "$2" restart >&2 && wait_healthy "$1" "$2" "$3"
}
# A here-document, not a pipe: the loop runs in this shell, so act's changes and exits count.
while read -r name folder state wait; do
  [ -n "$name" ] || continue
  case "$state" in
    absent)
      if [ -d "$folder" ] || { command -v docker >/dev/null 2>&1 && [ -n "$(ids "$name")" ]; }; then
        [ "$check" = true ] || need_compose
        act "remove compose project $name" down "$name" "$folder"
      fi
      ;;
    *)
      if [ "$check" = true ] && { in_list "$name" "$CHANGED" || [ "$compose_found" = false ]; }; then
        act "up -d compose project $name (its files change)" true
      else
        need_compose
        reason=$(why_up "$name" "$folder")
        [ -z "$reason" ] || act "up -d compose project $name ($reason)" up "$name" "$folder" "$wait"
      fi
      if [ "$state" = restarted ]; then
        act "restart compose project $name" restart "$name" "$folder" "$wait"
      fi
      ;;
  esac
done <<EOF_PROJECTS
$PROJECTS
EOF_PROJECTS
finish
`);
