# One pg_auto_failover instance on EC2: the monitor, or a PostgreSQL 15 data node with its keeper.
# cloud-init (user-data.sh.tftpl) installs Debian's packages, mounts the data volume, creates the node with
# `pg_autoctl` and applies the tuned settings; a systemd unit runs `pg_autoctl run` from then on.

data "aws_region" "current" {}

data "aws_subnet" "this" {
  id = var.subnet_id
}

# Official Debian images are published by Debian's AWS account.
data "aws_ami" "debian" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-${var.architecture == "arm64" ? "arm64" : "amd64"}-*"]
  }

  filter {
    name   = "architecture"
    values = [var.architecture]
  }
}

locals {
  ami_id = coalesce(var.ami_id, try(data.aws_ami.debian[0].id, null))
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "PostgreSQL (${var.role}) reachable from the deployment's VPCs"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = toset(var.client_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "Packages, Secrets Manager, the monitor and the other nodes"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# The instance reads its passwords at boot and nothing else.
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "read_passwords" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.passwords_secret_arn]
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${var.name}-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "read_passwords" {
  name   = "read-postgres-passwords"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.read_passwords.json
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.this.name
  tags        = var.tags
}

# PGDATA and the keeper's state live on their own volume, so replacing the instance (a new image, a new
# type) keeps the node: the new instance mounts it and `pg_autoctl run` carries on where the old one stopped.
resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.this.availability_zone
  size              = var.data_volume_size_gb
  type              = "gp3"
  iops              = var.data_volume_iops
  encrypted         = true

  tags = merge(var.tags, { Name = "${var.name}-data" })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_instance" "this" {
  ami                    = local.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  private_ip             = var.private_ip
  vpc_security_group_ids = [aws_security_group.this.id]
  iam_instance_profile   = aws_iam_instance_profile.this.name
  key_name               = var.key_name

  user_data = templatefile("${path.module}/user-data.sh.tftpl", {
    role                      = var.role
    node_name                 = var.node_name
    private_ip                = var.private_ip
    aws_region                = data.aws_region.current.name
    passwords_secret_arn      = var.passwords_secret_arn
    data_volume_id            = aws_ebs_volume.data.id
    monitor_host              = coalesce(var.monitor_host, var.private_ip)
    database_name             = var.database_name
    database_user             = var.database_user
    bootstrap                 = var.bootstrap
    data_node_count           = var.data_node_count
    number_sync_standbys      = var.number_sync_standbys
    candidate_priority        = var.candidate_priority
    replication_quorum        = var.replication_quorum
    client_cidrs              = var.client_cidrs
    monitor_settings          = var.monitor_settings
    network_partition_timeout = var.network_partition_timeout_seconds
    wal_sender_timeout        = var.wal_sender_timeout
    max_connections           = var.max_connections
  })

  metadata_options {
    http_tokens = "required" # IMDSv2 only
  }

  root_block_device {
    volume_size = 20
    volume_type = "gp3"
    encrypted   = true
  }

  tags = merge(var.tags, { Name = var.name, Role = "pg_auto_failover-${var.role}" })

  lifecycle {
    # A newer Debian image must not replace a running database node behind the operator's back.
    ignore_changes = [ami, user_data]

    precondition {
      condition     = var.role == "monitor" || var.monitor_host != null
      error_message = "A data node needs monitor_host."
    }
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.this.id
}
