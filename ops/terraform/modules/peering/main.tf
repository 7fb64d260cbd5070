# Inter-region VPC peering between two regions' private networks, with a route each way.
# Three regions need three of these (a full mesh): peering is not transitive. Inter-region peering traffic
# is encrypted by AWS and never crosses the public internet; PostgreSQL replication still uses TLS on top.

data "aws_region" "accepter" {
  provider = aws.accepter
}

data "aws_caller_identity" "accepter" {
  provider = aws.accepter
}

resource "aws_vpc_peering_connection" "this" {
  provider = aws.requester

  vpc_id        = var.requester_vpc_id
  peer_vpc_id   = var.accepter_vpc_id
  peer_region   = data.aws_region.accepter.name
  peer_owner_id = data.aws_caller_identity.accepter.account_id
  auto_accept   = false # cannot auto-accept across regions: the accepter resource below does it

  tags = merge(var.tags, { Name = var.name, Side = "requester" })
}

resource "aws_vpc_peering_connection_accepter" "this" {
  provider = aws.accepter

  vpc_peering_connection_id = aws_vpc_peering_connection.this.id
  auto_accept               = true

  tags = merge(var.tags, { Name = var.name, Side = "accepter" })
}

resource "aws_route" "requester_to_accepter" {
  provider = aws.requester

  route_table_id            = var.requester_route_table_id
  destination_cidr_block    = var.accepter_cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.this.id
}

resource "aws_route" "accepter_to_requester" {
  provider = aws.accepter

  route_table_id            = var.accepter_route_table_id
  destination_cidr_block    = var.requester_cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.this.id
}
