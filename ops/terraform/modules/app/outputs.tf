output "cluster_name" {
  description = "The ECS cluster's name (for `aws ecs execute-command --cluster`)."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS service names, keyed rest and collab."
  value       = { for key, service in aws_ecs_service.service : key => service.name }
}

output "task_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "log_groups" {
  description = "CloudWatch log groups, keyed rest and collab."
  value       = { for key, group in aws_cloudwatch_log_group.service : key => group.name }
}
