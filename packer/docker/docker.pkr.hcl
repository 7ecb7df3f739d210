# The common image built locally with Docker: a local systemd image (the lab's bosun-systemd,
# never pulled) booted with systemd as PID 1 as Packer's build container, playbooks/image-base.yml
# applied inside it by a self-contained Bosun (its own node, one JavaScript file, its roles:
# `npm run bundle`) with --connection local, then committed. README "Packer".
#   npm run bundle
#   packer build -var image=bosun-systemd:bookworm-TAG -var repository=bosun-common packer/docker

variable "image" {
  type        = string
  description = "A local image with systemd (/sbin/init), such as the lab's bosun-systemd:TAG."
}

variable "repository" {
  type    = string
  default = "bosun-common"
}

variable "tag" {
  type    = string
  default = "latest"
}

variable "bundle" {
  type        = string
  default     = ""
  description = "The Bosun bundle; empty: the project's dist/bosun-bundle.tar.gz (npm run bundle)."
}

variable "playbook" {
  type    = string
  default = "playbooks/image-base.yml"
}

variable "vars_files" {
  type        = list(string)
  default     = ["vars/LAB/vars.yml"]
  description = "Vars files of the project passed to Bosun (-e @FILE), relative to project_dir."
}

variable "project_dir" {
  type        = string
  default     = ""
  description = "The folder holding playbooks/ and vars/; empty: the folder two above this one."
}

locals {
  project    = var.project_dir != "" ? var.project_dir : "${path.root}/../.."
  bundle     = var.bundle != "" ? var.bundle : "${path.root}/../../dist/bosun-bundle.tar.gz"
  extra_vars = join(" ", [for file in var.vars_files : "-e '@${file}'"])
}

source "docker" "common" {
  image  = var.image
  pull   = false
  commit = true
  # systemd as PID 1, as on an instance: the roles manage services through it. This machine
  # runs cgroup v1 with a unified mount: systemd needs the host's cgroup namespace.
  run_command = [
    "-d", "--cap-add", "SYS_ADMIN", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "{{.Image}}", "/sbin/init",
  ]
  # Without this the image would keep the command Packer ran the build container with.
  changes = ["CMD [\"/sbin/init\"]"]
}

build {
  sources = ["source.docker.common"]

  provisioner "shell" {
    # Scripts go to /var/tmp: systemd may mount a tmpfs over /tmp while it boots.
    remote_folder = "/var/tmp"
    # Booting first: systemd mounts what it mounts (a tmpfs on /tmp on some images) and starts
    # the services the roles then manage. "degraded" is a booted system too.
    inline = [
      "systemctl is-system-running --wait || true",
      "mkdir -p /var/tmp/bosun-build/project",
    ]
  }
  provisioner "file" {
    source      = local.bundle
    destination = "/var/tmp/bosun-build/bosun-bundle.tar.gz"
  }
  provisioner "file" {
    source      = "${local.project}/playbooks"
    destination = "/var/tmp/bosun-build/project"
  }
  provisioner "file" {
    source      = "${local.project}/vars"
    destination = "/var/tmp/bosun-build/project"
  }
  provisioner "file" {
    source      = "${local.project}/packer/local.yml"
    destination = "/var/tmp/bosun-build/local.yml"
  }
  provisioner "shell" {
    remote_folder = "/var/tmp"
    inline = [
      "tar -xzf /var/tmp/bosun-build/bosun-bundle.tar.gz -C /var/tmp/bosun-build",
      "cd /var/tmp/bosun-build/project",
      "/var/tmp/bosun-build/node /var/tmp/bosun-build/bosun.js run '${var.playbook}' -i /var/tmp/bosun-build/local.yml --connection local ${local.extra_vars}",
      "rm -rf /var/tmp/bosun-build",
    ]
  }

  post-processor "docker-tag" {
    repository = var.repository
    tag        = [var.tag]
  }
}
