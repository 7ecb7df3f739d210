# A layer on the common image (common.pkr.hcl): the newest AMI of this account tagged
# Bosun-Image=common for the distribution, and one more playbook (a runtime, an application)
# applied by Bosun from this machine over SSH, as for the common image. Variables:
# variables.pkr.hcl (layer, playbook, groups are this template's own).

locals {
  layer_tags = merge(var.tags, {
    Name         = "bosun-${var.layer}-${var.distribution}-${local.stamp}"
    Bosun-Image  = var.layer
    Distribution = var.distribution
    Base-Image   = "{{ .SourceAMIName }}"
  })
}

source "amazon-ebs" "layer" {
  region        = var.region
  ami_regions   = var.ami_regions
  instance_type = var.instance_type
  ami_name      = "bosun-${var.layer}-${var.distribution}-${local.stamp}"
  source_ami_filter {
    filters = {
      "tag:Bosun-Image"  = "common"
      "tag:Distribution" = var.distribution
      root-device-type   = "ebs"
    }
    owners      = ["self"]
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
  tags                         = local.layer_tags
  snapshot_tags                = local.layer_tags
  run_tags                     = { Name = "packer-bosun-${var.layer}", Bosun-Image = "build" }
}

build {
  sources = ["source.amazon-ebs.layer"]

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
      "BOSUN_PACKER_GROUPS=${join(",", var.groups)}",
    ]
    inline = [
      "node '${local.project}/packer/bosun-ssh.mjs' run '${local.project}/${var.playbook}' ${local.extra_vars}",
    ]
  }
}
