# The common image: Debian 12 or Ubuntu 24.04 from its publisher's newest AMI, with
# playbooks/image-base.yml (base, users, hardening; no host name, no host keys) applied by
# Bosun from this machine over SSH, then copied to ami_regions. Variables: variables.pkr.hcl.

locals {
  common_tags = merge(var.tags, {
    Name         = "bosun-common-${var.distribution}-${local.stamp}"
    Bosun-Image  = "common"
    Distribution = var.distribution
    Source-AMI   = "{{ .SourceAMIName }}"
  })
}

source "amazon-ebs" "common" {
  region        = var.region
  ami_regions   = var.ami_regions
  instance_type = var.instance_type
  ami_name      = "bosun-common-${var.distribution}-${local.stamp}"
  source_ami_filter {
    filters = {
      name                = local.distribution.name
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = [local.distribution.owner]
    most_recent = true
  }
  subnet_id                    = var.subnet_id
  associate_public_ip_address  = local.public_ip
  ssh_interface                = local.public_ip ? "public_ip" : "private_ip"
  communicator                 = "ssh"
  ssh_username                 = local.distribution.user
  ssh_keypair_name             = var.ssh_keypair_name
  ssh_private_key_file         = var.ssh_private_key_file
  ssh_bastion_host             = var.bastion_host
  ssh_bastion_port             = var.bastion_port
  ssh_bastion_username         = var.bastion_user
  ssh_bastion_private_key_file = local.public_ip ? "" : local.bastion_key
  tags                         = local.common_tags
  snapshot_tags                = local.common_tags
  run_tags                     = { Name = "packer-bosun-common", Bosun-Image = "build" }
}

build {
  sources = ["source.amazon-ebs.common"]

  # bosun-provisioner:start (test/integration/packer.test.ts runs this block with a null builder)
  provisioner "shell-local" {
    environment_vars = [
      "BOSUN_PACKER_HOST=${build.Host}",
      "BOSUN_PACKER_PORT=${build.Port}",
      "BOSUN_PACKER_USER=${build.User}",
      "BOSUN_PACKER_KEY_FILE=${var.ssh_private_key_file}",
      "BOSUN_PACKER_BASTION_HOST=${var.bastion_host}",
      "BOSUN_PACKER_BASTION_PORT=${var.bastion_port}",
      "BOSUN_PACKER_BASTION_USER=${var.bastion_user}",
      "BOSUN_PACKER_BASTION_KEY_FILE=${local.bastion_key}",
    ]
    inline = [
      "node '${local.project}/packer/bosun-ssh.mjs' run '${local.project}/playbooks/image-base.yml' ${local.extra_vars}",
    ]
  }
  # bosun-provisioner:end
}
