# The deployment's secrets, generated here and kept in Secrets Manager with a replica in every other region.
# Containers receive them through ECS `secrets` (never plain environment in the task definition); the
# PostgreSQL nodes read theirs at boot with their instance role. Generated values also sit in Terraform's
# state, which must therefore be encrypted and access-controlled.

data "aws_region" "current" {}

# Same on every node, REST and collab alike: the collab server verifies the tokens the REST API signs.
resource "random_password" "jwt" {
  length  = 64
  special = false
}

# URL-safe (no special characters) because it goes inside DATABASE_URL unescaped.
resource "random_password" "database" {
  length  = 40
  special = false
}

resource "random_password" "replication" {
  length  = 40
  special = false
}

resource "random_password" "monitor" {
  length  = 40
  special = false
}

locals {
  # libpq's multi-host form: the product resolves it itself and follows whichever host takes writes.
  # No sslmode: node-postgres (pg-connection-string 2.6) verifies the certificate for every sslmode but
  # no-verify, which libpq (pg_dump for backups) refuses, and the nodes' certificates are self-signed.
  # Without it the servers connect in clear inside the peered VPCs (passwords still go by SCRAM), and
  # libpq's tools prefer TLS. README › What it does not do.
  database_url = format(
    "postgres://%s:%s@%s/%s?target_session_attrs=read-write",
    var.database_user,
    random_password.database.result,
    join(",", var.postgres_hosts),
    var.database_name,
  )

  secret_values = {
    "jwt-secret"   = random_password.jwt.result
    "database-url" = local.database_url
    # Read by the PostgreSQL nodes' cloud-init (JSON so that one secret serves all three roles).
    "postgres-passwords" = jsonencode({
      app         = random_password.database.result
      replication = random_password.replication.result
      monitor     = random_password.monitor.result
    })
  }
}

resource "aws_secretsmanager_secret" "this" {
  # Keys written out: for_each may not use a map whose values are sensitive.
  for_each = toset(["jwt-secret", "database-url", "postgres-passwords"])

  name                    = "${var.name}/${each.key}"
  recovery_window_in_days = var.recovery_window_in_days

  dynamic "replica" {
    for_each = toset(var.replica_regions)
    content {
      region = replica.value
    }
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  for_each = aws_secretsmanager_secret.this

  secret_id     = each.value.id
  secret_string = local.secret_values[each.key]
}
