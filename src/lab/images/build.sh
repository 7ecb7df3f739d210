#!/usr/bin/env bash
# Build the lab/test base images locally (no registry here): a plain sshd host from
# debootstrap + `docker import`, and a systemd host derived from it. Each tag carries a
# hash of this folder, so an image is rebuilt exactly when its recipe changes.
# Prints the two image names on stdout as KEY=VALUE lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${BOSUN_SUITE:-bookworm}
mirror=${BOSUN_MIRROR:-http://deb.debian.org/debian}

recipe_hash=$(cd "$here" && cat build.sh rootfs-setup.sh Dockerfile.systemd | sha256sum | cut -c1-12)
sshd_image="bosun-sshd:${suite}-${recipe_hash}"
systemd_image="bosun-systemd:${suite}-${recipe_hash}"

have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have "$sshd_image"; then
  echo "bosun: building $sshd_image with debootstrap (about a minute)" >&2
  root=$(mktemp -d /var/tmp/bosun-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase \
    --include=openssh-server,sudo,python3,procps,iproute2,ca-certificates \
    "$suite" "$root" "$mirror" >/var/tmp/bosun-debootstrap.log 2>&1 \
    || { tail -20 /var/tmp/bosun-debootstrap.log >&2; exit 1; }
  cp "$here/rootfs-setup.sh" "$root/tmp/rootfs-setup.sh"
  chroot "$root" /bin/sh /tmp/rootfs-setup.sh
  rm -f "$root/tmp/rootfs-setup.sh"
  tar -C "$root" -c . | docker import \
    -c 'CMD ["/usr/local/sbin/bosun-sshd"]' -c 'EXPOSE 22' - "$sshd_image" >/dev/null
  rm -rf "$root"; trap - EXIT
fi

if ! have "$systemd_image"; then
  echo "bosun: building $systemd_image" >&2
  ctx=$(mktemp -d)
  cp "$here/Dockerfile.systemd" "$ctx/Dockerfile"
  docker build -q --build-arg "BASE=$sshd_image" -t "$systemd_image" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

echo "BOSUN_SSHD_IMAGE=$sshd_image"
echo "BOSUN_SYSTEMD_IMAGE=$systemd_image"
