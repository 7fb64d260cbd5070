output "arn" {
  description = "The load balancer's ARN (a Global Accelerator endpoint)."
  value       = aws_lb.this.arn
}

output "dns_name" {
  description = "The load balancer's own host name (for checks that bypass the accelerator)."
  value       = aws_lb.this.dns_name
}

output "security_group_id" {
  description = "The load balancer's security group; the containers admit traffic from it."
  value       = aws_security_group.this.id
}

# ECS refuses a service whose target group no listener uses yet: hand the groups out once they are wired.
output "rest_target_group_arn" {
  description = "Target group of the REST service."
  value       = aws_lb_target_group.rest.arn
  depends_on  = [aws_lb_listener.https]
}

output "collab_target_group_arn" {
  description = "Target group of the collab service."
  value       = aws_lb_target_group.collab.arn
  depends_on  = [aws_lb_listener_rule.collab]
}
