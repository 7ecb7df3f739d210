#!/usr/bin/env bash
# Make a Docker engine available: install Debian's docker.io and debootstrap when
# missing, start dockerd when nothing answers. Idempotent; safe to call from CI and
# from `bosun lab up`.
set -euo pipefail

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_install+=(debootstrap)
if [ "${#need_install[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bosun: ${need_install[*]} missing; run as root or install them" >&2
    exit 1
  fi
  echo "bosun: installing ${need_install[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bosun: the Docker engine is not running and only root can start it" >&2
    exit 1
  fi
  echo "bosun: starting dockerd" >&2
  nohup dockerd >/var/log/bosun-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "bosun: dockerd did not start; see /var/log/bosun-dockerd.log" >&2; exit 1; }
fi
