# One region's servers on ECS Fargate: a REST service and a collab service from the same image, in private
# subnets, registered in the regional load balancer's target groups. Fargate because the servers are
# stateless (state lives in PostgreSQL, Redis and S3): no hosts to patch, tasks replaced on failure.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  base_environment = merge(var.environment, {
    HOST        = "0.0.0.0"
    PORT        = tostring(var.rest_port)
    COLLAB_PORT = tostring(var.collab_port)
  })

  services = {
    rest = {
      settings         = var.rest
      port             = var.rest_port
      target_group_arn = var.rest_target_group_arn
    }
    collab = {
      settings         = var.collab
      port             = var.collab_port
      target_group_arn = var.collab_target_group_arn
    }
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = local.services

  name              = "/ecs/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# --- network -------------------------------------------------------------------------------------------

resource "aws_security_group" "tasks" {
  name_prefix = "${var.name}-tasks-"
  description = "REST and collab containers: reachable from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-tasks" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  for_each = local.services

  security_group_id            = aws_security_group.tasks.id
  description                  = "${each.key} from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.tasks.id
  description       = "PostgreSQL and Redis in every region, S3, Secrets Manager, outbound email and push"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# --- roles ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The execution role is ECS's: it pulls the image, writes logs and reads the secrets into the environment.
resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    # A secret given by name matches its ARN, which ends in "-" and six random characters.
    resources = [
      for ref in values(var.secrets) : startswith(ref, "arn:") ? ref : format(
        "arn:aws:secretsmanager:%s:%s:secret:%s-??????", data.aws_region.current.name, data.aws_caller_identity.current.account_id, ref,
      )
    ]
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets.json
}

# The task role is the servers': the AWS SDK's default chain finds it, so S3_ACCESS_KEY_ID stays unset.
resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "objects" {
  statement {
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = var.bucket_arns
  }

  statement {
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [for arn in var.bucket_arns : "${arn}/*"]
  }
}

resource "aws_iam_role_policy" "objects" {
  name   = "objects"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.objects.json
}

# `aws ecs execute-command` goes through SSM's message channels.
data "aws_iam_policy_document" "exec" {
  statement {
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "execute-command"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.exec.json
}

# --- services ------------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "service" {
  for_each = local.services

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.settings.cpu
  memory                   = each.value.settings.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name      = each.key
    image     = var.image
    command   = each.value.settings.command
    essential = true

    portMappings = [{ containerPort = each.value.port, protocol = "tcp" }]

    environment = [for key in sort(keys(local.base_environment)) : { name = key, value = local.base_environment[key] }]
    secrets     = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]

    # Liveness only (/healthz): readiness (/readyz) is the load balancer's business, and a task whose
    # database is failing over must not be killed for it.
    healthCheck = {
      command     = ["CMD-SHELL", "node -e \"fetch('http://127.0.0.1:${each.value.port}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))\""]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_grace_period_seconds
    }

    # SIGTERM first: the servers drain for SHUTDOWN_TIMEOUT_MS, then exit.
    stopTimeout = min(var.shutdown_timeout_seconds + 5, 120)

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = each.key
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "service" {
  for_each = local.services

  name                              = each.key
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.service[each.key].arn
  desired_count                     = each.value.settings.desired_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_execute_command            = var.enable_execute_command
  propagate_tags                    = "SERVICE"

  # Never below the running count during a deploy; a deploy whose tasks fail is rolled back.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = each.value.target_group_arn
    container_name   = each.key
    container_port   = each.value.port
  }

  lifecycle {
    # The autoscaler owns the count once running.
    ignore_changes = [desired_count]
  }

  tags = var.tags
}

resource "aws_appautoscaling_target" "service" {
  for_each = local.services

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.service[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.settings.min_count
  max_capacity       = each.value.settings.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = local.services

  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
