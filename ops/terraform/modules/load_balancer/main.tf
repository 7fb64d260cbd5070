# One region's Application Load Balancer: HTTPS in front of the REST and collab services, with WebSocket
# traffic under collab_path sent to the collab nodes (ALBs pass WebSocket upgrades through as they are) and
# the rest to the REST nodes. Targets are checked on /readyz, which both servers serve, so a node that lost
# its database or bus leaves rotation. The global entry point (Global Accelerator) sits in front of all three.

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-alb-"
  description = "HTTPS from clients to the load balancer"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = toset(var.ingress_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  for_each = toset(var.ingress_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "HTTP (redirected to HTTPS) from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.this.id
  description       = "To the containers in the VPC"
  ip_protocol       = "tcp"
  from_port         = min(var.rest_port, var.collab_port)
  to_port           = max(var.rest_port, var.collab_port)
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "application"
  internal           = false
  subnets            = var.public_subnet_ids
  security_groups    = [aws_security_group.this.id]
  idle_timeout       = var.idle_timeout_seconds

  drop_invalid_header_fields = true
  enable_http2               = true

  tags = var.tags
}

resource "aws_lb_target_group" "rest" {
  name                 = "${var.name}-rest"
  vpc_id               = var.vpc_id
  target_type          = "ip" # Fargate tasks register by address
  protocol             = "HTTP"
  port                 = var.rest_port
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = var.health_check.interval_seconds
    timeout             = var.health_check.timeout_seconds
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags
}

resource "aws_lb_target_group" "collab" {
  name                 = "${var.name}-collab"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.collab_port
  deregistration_delay = var.deregistration_delay_seconds

  # Least outstanding requests would count a WebSocket as one request forever; spread new sockets evenly.
  load_balancing_algorithm_type = "round_robin"

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = var.health_check.interval_seconds
    timeout             = var.health_check.timeout_seconds
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.rest.arn
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "collab" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = [var.collab_path, "${var.collab_path}/*"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.collab.arn
  }

  tags = var.tags
}
