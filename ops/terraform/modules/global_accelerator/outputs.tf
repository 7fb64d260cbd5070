output "dns_name" {
  description = "The accelerator's host name."
  value       = aws_globalaccelerator_accelerator.this.dns_name
}

output "ip_addresses" {
  description = "The accelerator's two static anycast addresses (for DNS hosted outside Route 53)."
  value       = flatten(aws_globalaccelerator_accelerator.this.ip_sets[*].ip_addresses)
}
