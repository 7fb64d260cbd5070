output "bucket" {
  description = "The bucket's name (S3_BUCKET when the servers use this one)."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN (a replication destination for the writing bucket)."
  value       = aws_s3_bucket.this.arn
}
