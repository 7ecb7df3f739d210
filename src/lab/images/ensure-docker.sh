#!/usr/bin/env bash
# Make a Docker engine available: install Debian's docker.io and debootstrap when missing
# (as root), start dockerd when nothing answers, and say clearly why not otherwise.
# Idempotent; `.ci/run` and every `bosun lab` verb run it before they ask Docker anything.
# dockerd's output is appended to $BOSUN_DOCKERD_LOG (default /var/log/bosun-dockerd.log).
set -euo pipefail

log=${BOSUN_DOCKERD_LOG:-/var/log/bosun-dockerd.log}
root=false
[ "$(id -u)" -eq 0 ] && root=true

need_install=()
# A docker client alone (say /usr/local/bin/docker from elsewhere) is not an engine; docker.io
# brings dockerd, containerd and a client of its own.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  need_install+=(docker.io)
fi
command -v debootstrap >/dev/null 2>&1 || need_install+=(debootstrap)
if [ "${#need_install[@]}" -gt 0 ]; then
  if $root; then
    echo "bosun: installing ${need_install[*]} from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_install[@]}" >/dev/null
  elif [ "${need_install[0]}" = docker.io ]; then
    echo "bosun: no Docker engine here (docker.io is not installed); run as root to install it, or install docker.io" >&2
    exit 1
  fi
  # Without root, a missing debootstrap only matters when the images must be built, and
  # building needs root anyway: build.sh reports it then.
fi

# The Debian client prints the connection error on stdout, newer clients on stderr.
if probe=$(docker info 2>&1); then exit 0; fi
if grep -qi 'permission denied' <<<"$probe"; then
  echo "bosun: the Docker engine runs but this user may not use it: add the user to the docker group, or run as root" >&2
  exit 1
fi
if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
  # A dockerd started here would not listen there.
  reason=$(grep -m 1 -i 'cannot connect\|error' <<<"$probe" | sed 's/^ERROR: //' || true)
  echo "bosun: the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer: ${reason:-no answer}" >&2
  exit 1
fi
if ! $root; then
  echo "bosun: the Docker engine is not running and only root can start it (sudo dockerd, or run as root)" >&2
  exit 1
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  echo "bosun: starting docker.service" >&2
  systemctl start docker.service
  log_hint() { echo "bosun: see journalctl -u docker.service" >&2; }
else
  echo "bosun: starting dockerd (log: $log)" >&2
  # A session of its own: a Ctrl-C meant for bosun must not stop the engine as well.
  setsid nohup dockerd >>"$log" 2>&1 </dev/null &
  log_hint() { echo "bosun: the end of $log:" >&2; tail -n 5 "$log" >&2 || true; }
fi
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.2
done
echo "bosun: the Docker engine did not answer within 60 s" >&2
log_hint
exit 1
