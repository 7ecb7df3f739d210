# The variables of the AWS images (images.pkr.hcl): the common image and a layer on it. Packer
# reads the folder as one configuration; -only picks the image:
#   packer build -only=amazon-ebs.common -var ssh_keypair_name=packer \
#     -var ssh_private_key_file=~/.ssh/packer -var 'vars_files=["vars/STG/vars.yml"]' packer/aws
#   packer build -only=amazon-ebs.layer ... -var layer=web -var playbook=playbooks/image-web.yml packer/aws
# In a private subnet, through a bastion:
#   ... -var subnet_id=subnet-0abc -var bastion_host=203.0.113.10 -var bastion_user=admin
# README "Packer".

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

variable "vars_files" {
  type        = list(string)
  default     = ["vars/STG/vars.yml"]
  description = "Vars files of the project passed to Bosun (-e @FILE), relative to project_dir."
}

variable "project_dir" {
  type        = string
  default     = ""
  description = "The folder holding playbooks/ and vars/; empty: the folder two above this one."
}

variable "layer" {
  type        = string
  default     = "web"
  description = "The layer image: name of the layer, in the AMI name and its Bosun-Image tag."
}

variable "playbook" {
  type        = string
  default     = "playbooks/image-web.yml"
  description = "The layer image: its playbook, relative to project_dir."
}

variable "groups" {
  type        = list(string)
  default     = []
  description = "The layer image: inventory groups of the build instance, for a playbook whose plays name groups."
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
  project      = var.project_dir != "" ? var.project_dir : "${path.root}/../.."
  stamp        = formatdate("YYYYMMDDhhmmss", timestamp())
  bastion_key  = var.bastion_private_key_file != "" ? var.bastion_private_key_file : var.ssh_private_key_file
  extra_vars   = join(" ", [for file in var.vars_files : "-e '@${local.project}/${file}'"])
  # How Packer reaches the build instance: a public address, or its private one via the bastion.
  public_ip = var.bastion_host == ""
}
