# The global entry point: an AWS Global Accelerator with two static anycast addresses, routing each client
# to the nearest healthy region's load balancer. Chosen over Route 53 latency records because it moves
# clients off a failed region within seconds of the health checks deciding, without waiting for resolvers'
# and browsers' DNS caches. It passes TCP through (TLS ends at the regional ALB) and keeps the client's
# address, so the ALB's X-Forwarded-For is the only proxy hop the servers see (TRUST_PROXY_HOPS=1).

resource "aws_globalaccelerator_accelerator" "this" {
  name            = var.name
  ip_address_type = "IPV4"
  enabled         = true

  tags = var.tags
}

resource "aws_globalaccelerator_listener" "web" {
  accelerator_arn = aws_globalaccelerator_accelerator.this.id
  protocol        = "TCP"
  # A client sticks to one region while it is healthy: its WebSockets and its requests meet the same nodes.
  client_affinity = "SOURCE_IP"

  port_range {
    from_port = 80
    to_port   = 80
  }

  port_range {
    from_port = 443
    to_port   = 443
  }
}

resource "aws_globalaccelerator_endpoint_group" "region" {
  for_each = var.endpoints

  listener_arn                  = aws_globalaccelerator_listener.web.id
  endpoint_group_region         = each.value.aws_region
  traffic_dial_percentage       = each.value.traffic_dial
  health_check_protocol         = "HTTPS"
  health_check_port             = 443
  health_check_path             = "/readyz"
  health_check_interval_seconds = var.health_check_interval_seconds
  threshold_count               = var.health_check_threshold

  endpoint_configuration {
    endpoint_id                    = each.value.alb_arn
    weight                         = 100
    client_ip_preservation_enabled = true
  }
}

resource "aws_route53_record" "this" {
  count = var.domain_name != null && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_globalaccelerator_accelerator.this.dns_name
    zone_id                = aws_globalaccelerator_accelerator.this.hosted_zone_id
    evaluate_target_health = false
  }
}
