# The AWS images: `common` (Debian 12 or Ubuntu 24.04 from its publisher's newest AMI, with
# playbooks/image-base.yml: base, users, hardening; no host name, no host keys) and `layer` (on
# the newest common AMI of this account, with one more playbook: a runtime, an application).
# Both are copied to ami_regions and provisioned by Bosun from this machine over SSH, through
# the bastion when one is given. -only picks one (variables.pkr.hcl says how).

source "amazon-ebs" "image" {
  region                       = var.region
  ami_regions                  = var.ami_regions
  instance_type                = var.instance_type
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
  run_tags                     = { Name = "packer-bosun-image", Bosun-Image = "build" }
}

locals {
  common_tags = merge(var.tags, {
    Name         = "bosun-common-${var.distribution}-${local.stamp}"
    Bosun-Image  = "common"
    Distribution = var.distribution
    Source-AMI   = "{{ .SourceAMIName }}"
  })
  layer_tags = merge(var.tags, {
    Name         = "bosun-${var.layer}-${var.distribution}-${local.stamp}"
    Bosun-Image  = var.layer
    Distribution = var.distribution
    Base-Image   = "{{ .SourceAMIName }}"
  })
}

build {
  source "source.amazon-ebs.image" {
    name     = "common"
    ami_name = "bosun-common-${var.distribution}-${local.stamp}"
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
    tags          = local.common_tags
    snapshot_tags = local.common_tags
  }

  source "source.amazon-ebs.image" {
    name     = "layer"
    ami_name = "bosun-${var.layer}-${var.distribution}-${local.stamp}"
    source_ami_filter {
      filters = {
        "tag:Bosun-Image"  = "common"
        "tag:Distribution" = var.distribution
        root-device-type   = "ebs"
      }
      owners      = ["self"]
      most_recent = true
    }
    tags          = local.layer_tags
    snapshot_tags = local.layer_tags
  }

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
      "BOSUN_PACKER_GROUPS=${source.name == "common" ? "" : join(",", var.groups)}",
    ]
    inline = [
      "node '${local.project}/packer/bosun-ssh.mjs' run '${local.project}/${source.name == "common" ? "playbooks/image-base.yml" : var.playbook}' ${local.extra_vars}",
    ]
  }
  # bosun-provisioner:end
}
