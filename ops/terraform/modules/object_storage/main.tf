# One region's attachment bucket, private and encrypted, versioned (replication needs it), with the lifecycle
# rule README › Running at scale asks for. The bucket the servers write to replicates to the others, which
# are standby copies: after losing the writing bucket's region, point the servers at a replica
# (variable object_storage_region at the root) and apply.

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # SSE-S3: replicates without KMS key grants in every region
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Uploads cut short by a crash would otherwise be billed forever.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Replication: a role S3 assumes to read this bucket and write the destinations.
data "aws_iam_policy_document" "assume" {
  count = length(var.replicate_to) > 0 ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "replication" {
  count = length(var.replicate_to) > 0 ? 1 : 0

  statement {
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  statement {
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = [for arn in var.replicate_to : "${arn}/*"]
  }
}

resource "aws_iam_role" "replication" {
  count = length(var.replicate_to) > 0 ? 1 : 0

  name_prefix        = "s3-replication-"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "replication" {
  count = length(var.replicate_to) > 0 ? 1 : 0

  name   = "replicate-${var.bucket_name}"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = length(var.replicate_to) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this.id
  role   = aws_iam_role.replication[0].arn

  # One rule per destination; S3 replicates to several buckets when each rule has its own priority.
  dynamic "rule" {
    for_each = var.replicate_to
    content {
      id       = "to-${element(split(":", rule.value), 5)}"
      priority = rule.key
      status   = "Enabled"
      filter {}

      delete_marker_replication {
        status = "Enabled"
      }

      destination {
        bucket        = rule.value
        storage_class = "STANDARD"

        dynamic "replication_time" {
          for_each = var.replication_time_control ? [1] : []
          content {
            status = "Enabled"
            time {
              minutes = 15
            }
          }
        }

        dynamic "metrics" {
          for_each = var.replication_time_control ? [1] : []
          content {
            status = "Enabled"
            event_threshold {
              minutes = 15
            }
          }
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
