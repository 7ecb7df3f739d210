#!/usr/bin/env bash
# Tools the integration tests use on this machine (not on the targets): gpg signs a throwaway
# apt repository, ssh-audit grades the hardened sshd, pebble is the ACME server of the certbot role,
# packer (1.6.6) bakes images with Bosun as its provisioner. Installed from Debian when missing.
set -euo pipefail
missing=()
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v ssh-audit >/dev/null 2>&1 || missing+=(ssh-audit)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
command -v pebble >/dev/null 2>&1 || missing+=(pebble)
command -v packer >/dev/null 2>&1 || missing+=(packer)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bosun tests: missing ${missing[*]}; install them or run as root" >&2
  exit 1
fi
echo "bosun tests: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
