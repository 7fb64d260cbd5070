#!/usr/bin/env bash
# Three regions on one machine: each a network namespace with its own address, joined by a bridge in the
# host's namespace that stands for the network between them. A process runs "in" a region with
# `ip netns exec <namespace> …`; cutting a region takes its link to the bridge down, as losing the
# region's uplink would (`tc netem` is not available here, so there is no partial loss or added latency).
#
#   ops/regions/regions.sh up            create what is missing (idempotent)
#   ops/regions/regions.sh down          remove everything it created (idempotent)
#   ops/regions/regions.sh cut <region>  take the region off the network
#   ops/regions/regions.sh heal <region> put it back
#   ops/regions/regions.sh status        one line per region: name, namespace, address, up|cut
#   ops/regions/regions.sh exec <region> <command…>   run a command inside the region
#
# Settings (environment):
#   REGIONS         the region names, space-separated (default "eu us ap")
#   REGIONS_PREFIX  prefix of every name it creates, at most 8 characters (default "tmcp"): two set-ups
#                   with different prefixes (tests running side by side) never touch each other
#   REGIONS_SUBNET  the first three octets of the /24 they share (default "10.77.0"): the host's side of
#                   the bridge is .1, region n (from 1) is .(10+n)
#
# Needs root (network namespaces) and iproute2. `up` interrupted half-way removes what it had made.
set -euo pipefail

REGIONS=${REGIONS:-eu us ap}
PREFIX=${REGIONS_PREFIX:-tmcp}
SUBNET=${REGIONS_SUBNET:-10.77.0}
BRIDGE="${PREFIX}-br"

die() { echo "regions: $*" >&2; exit 1; }
[[ ${#PREFIX} -le 8 && "$PREFIX" =~ ^[a-z0-9]+$ ]] || die "REGIONS_PREFIX must be 1-8 lowercase letters or digits (interface names are at most 15 characters)"
[[ "$SUBNET" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "REGIONS_SUBNET must be three octets, such as 10.77.0"

namespace_of() { echo "${PREFIX}-$1"; }
# The host's end of the region's cable (the region's own end is eth0 inside its namespace).
host_link_of() { echo "${PREFIX}-$1"; }

index_of() {
  local i=1 region
  for region in $REGIONS; do
    [[ "$region" == "$1" ]] && { echo "$i"; return; }
    i=$((i + 1))
  done
  die "unknown region '$1' (regions: $REGIONS)"
}

address_of() { echo "$SUBNET.$((10 + $(index_of "$1")))"; }

has_namespace() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
has_link() { ip link show "$1" >/dev/null 2>&1; }

up() {
  ((EUID == 0)) || die "needs root to create network namespaces"
  for region in $REGIONS; do
    [[ ${#region} -le 6 && "$region" =~ ^[a-z0-9]+$ ]] || die "region names must be 1-6 lowercase letters or digits: '$region'"
  done
  # Interrupted or failed half-way: take down what this call may have made, leaving nothing behind.
  trap 'down >/dev/null 2>&1; die "up interrupted: removed what it had created"' INT TERM
  trap 'down >/dev/null 2>&1' ERR

  if ! has_link "$BRIDGE"; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up

  for region in $REGIONS; do
    local namespace host_link address
    namespace=$(namespace_of "$region")
    host_link=$(host_link_of "$region")
    address=$(address_of "$region")
    has_namespace "$namespace" || ip netns add "$namespace"
    ip -n "$namespace" link set lo up
    if ! has_link "$host_link"; then
      ip link add "$host_link" type veth peer name eth0 netns "$namespace"
      ip link set "$host_link" master "$BRIDGE"
    fi
    ip -n "$namespace" addr replace "$address/24" dev eth0
    ip -n "$namespace" link set eth0 up
    ip link set "$host_link" up
  done
  trap - INT TERM ERR
  status
}

# Deletes a link; fine when it is gone already (or goes while we look: the kernel tears a namespace's
# links down in the background after `ip netns del`).
delete_link() { ip link del "$1" 2>/dev/null || ! has_link "$1"; }

down() {
  for region in $REGIONS; do
    local namespace host_link
    namespace=$(namespace_of "$region")
    host_link=$(host_link_of "$region")
    # The cable first: deleting one end of a veth pair deletes the other at once, whereas deleting the
    # namespace takes its end away later, in the background.
    delete_link "$host_link"
    # Whatever still runs inside the region goes with it: a namespace with live processes lingers.
    if has_namespace "$namespace"; then
      local pids
      pids=$(ip netns pids "$namespace" 2>/dev/null || true)
      [[ -z "$pids" ]] || kill -9 $pids 2>/dev/null || true
      ip netns del "$namespace"
    fi
  done
  delete_link "$BRIDGE"
  echo "regions: removed (prefix $PREFIX)"
}

cut() {
  local host_link
  host_link=$(host_link_of "$1")
  has_link "$host_link" || die "region '$1' is not up"
  ip link set "$host_link" down
  echo "regions: $1 cut off"
}

heal() {
  local host_link
  host_link=$(host_link_of "$1")
  has_link "$host_link" || die "region '$1' is not up"
  ip link set "$host_link" up
  echo "regions: $1 back"
}

status() {
  for region in $REGIONS; do
    local namespace host_link state=absent
    namespace=$(namespace_of "$region")
    host_link=$(host_link_of "$region")
    if has_namespace "$namespace" && has_link "$host_link"; then
      # Administratively up or not: the flags between < and > hold UP exactly when the link is not cut.
      local flags
      flags=$(ip -o link show "$host_link" | sed -n 's/^[^<]*<\([^>]*\)>.*/\1/p')
      if [[ ",$flags," == *,UP,* ]]; then state=up; else state=cut; fi
    fi
    echo "$region $namespace $(address_of "$region") $state"
  done
}

command=${1:-}
shift || true
case "$command" in
  up) up ;;
  down) down ;;
  cut) [[ $# -eq 1 ]] || die "usage: regions.sh cut <region>"; index_of "$1" >/dev/null; cut "$1" ;;
  heal) [[ $# -eq 1 ]] || die "usage: regions.sh heal <region>"; index_of "$1" >/dev/null; heal "$1" ;;
  status) status ;;
  exec)
    [[ $# -ge 2 ]] || die "usage: regions.sh exec <region> <command…>"
    index_of "$1" >/dev/null
    namespace=$(namespace_of "$1")
    shift
    exec ip netns exec "$namespace" "$@"
    ;;
  *) die "usage: regions.sh up|down|cut <region>|heal <region>|status|exec <region> <command…>" ;;
esac
