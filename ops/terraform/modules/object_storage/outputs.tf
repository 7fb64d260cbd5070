output "bucket" {
  description = "The bucket's name (S3_BUCKET when the servers use this one)."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN (a replication destination for the writing bucket)."
  value       = aws_s3_bucket.this.arn

  # A replication destination must be versioned before the source's rule is written.
  depends_on = [aws_s3_bucket_versioning.this]
}
