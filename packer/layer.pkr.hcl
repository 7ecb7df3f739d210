# A layer on the common image (packer/common.pkr.hcl): starts from the newest AMI of this
# account tagged Bosun-Image=common for the distribution, and applies one more playbook (a
# runtime, an application) with Bosun from this machine over SSH. README "Packer".
#   packer build -var ssh_keypair_name=packer -var ssh_private_key_file=~/.ssh/packer \
#     -var layer=web -var playbook=playbooks/image-web.yml packer/layer.pkr.hcl
# The bastion variables work as in common.pkr.hcl.

variable "distribution" {
  type        = string
  default     = "debian-12"
  description = "debian-12 or ubuntu-24.04."
}

variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "ami_regions" {
  type        = list(string)
  default     = []
  description = "Regions the finished AMI is copied to, besides region."
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "The subnet of the build instance; a private one needs bastion_host."
}

variable "ssh_keypair_name" {
  type        = string
  description = "An EC2 key pair whose private key is ssh_private_key_file."
}

variable "ssh_private_key_file" {
  type        = string
  description = "Packer and Bosun both log in with this key."
}

variable "bastion_host" {
  type        = string
  default     = ""
  description = "Jump host for a build instance in a private subnet; empty: the instance gets a public address."
}

variable "bastion_port" {
  type    = number
  default = 22
}

variable "bastion_user" {
  type    = string
  default = ""
}

variable "bastion_private_key_file" {
  type        = string
  default     = ""
  description = "Empty: ssh_private_key_file."
}

variable "layer" {
  type        = string
  default     = "web"
  description = "Name of the layer: in the AMI name and its Bosun-Image tag."
}

variable "playbook" {
  type        = string
  default     = "playbooks/image-web.yml"
  description = "The layer's playbook, relative to project_dir."
}

variable "groups" {
  type        = list(string)
  default     = []
  description = "Inventory groups of the build instance, for a playbook whose plays name groups."
}

variable "vars_files" {
  type        = list(string)
  default     = ["vars/STG/vars.yml"]
  description = "Vars files of the project passed to Bosun (-e @FILE), relative to project_dir."
}

variable "project_dir" {
  type        = string
  default     = ""
  description = "The folder holding playbooks/ and vars/; empty: the folder above this template."
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  distributions = {
    "debian-12" = {
      owner = "136693071363" # Debian
      name  = "debian-12-amd64-*"
      user  = "admin"
    }
    "ubuntu-24.04" = {
      owner = "099720109477" # Canonical
      name  = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      user  = "ubuntu"
    }
  }
  distribution = local.distributions[var.distribution]
  project      = var.project_dir != "" ? var.project_dir : "${path.root}/.."
  stamp        = formatdate("YYYYMMDDhhmmss", timestamp())
  bastion_key  = var.bastion_private_key_file != "" ? var.bastion_private_key_file : var.ssh_private_key_file
  extra_vars   = join(" ", [for file in var.vars_files : "-e '@${local.project}/${file}'"])
  image_tags = merge(var.tags, {
    Name         = "bosun-${var.layer}-${var.distribution}-${local.stamp}"
    Bosun-Image  = var.layer
    Base-Image   = "{{ .SourceAMIName }}"
    Distribution = var.distribution
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
  associate_public_ip_address  = var.bastion_host == ""
  ssh_interface                = var.bastion_host == "" ? "public_ip" : "private_ip"
  communicator                 = "ssh"
  ssh_username                 = local.distribution.user
  ssh_keypair_name             = var.ssh_keypair_name
  ssh_private_key_file         = var.ssh_private_key_file
  ssh_bastion_host             = var.bastion_host
  ssh_bastion_port             = var.bastion_port
  ssh_bastion_username         = var.bastion_user
  ssh_bastion_private_key_file = var.bastion_host == "" ? "" : local.bastion_key
  tags                         = local.image_tags
  snapshot_tags                = local.image_tags
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
