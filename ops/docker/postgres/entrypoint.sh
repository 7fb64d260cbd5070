#!/usr/bin/env bash
# One pg_auto_failover node per container, as the postgres user:
#   PGAF_ROLE=monitor   the monitor (formation state, health checks, failover decisions)
#   PGAF_ROLE=postgres  a data node (keeper + PostgreSQL); the first one registered becomes the primary
# `run` (the default) creates the node on first start and then runs it; a re-started container finds its
# keeper state on the volume and only runs. `healthcheck` answers the image's HEALTHCHECK.
#
# Settings (environment):
#   PGAF_ROLE          monitor | postgres (required)
#   PGAF_HOSTNAME      the name other nodes and the apps reach this node by (default: the container's host name)
#   PGAF_NAME          a data node's name in the formation (default: PGAF_HOSTNAME)
#   PGAF_MONITOR_URI   data nodes: the monitor, postgres://autoctl_node@monitor:5432/pg_auto_failover?sslmode=disable
#                      (connect_timeout=2 and tcp_user_timeout=1000 are added unless it sets them: see monitor_link)
#   PGAF_DBNAME        the application database, created on the first data node (default twinmcp)
#   PGAF_PORT          PostgreSQL port (default 5432)
#   PGAF_LISTEN        address PostgreSQL listens on (default: every interface, as a container needs)
#
# Tuning ("set C" of README's Failover section; each setting reloadable, applied at every start):
#   monitor: health_check_period 1000 ms, health_check_timeout 1000 ms, health_check_max_retries 1,
#            health_check_retry_delay 100 ms, node_considered_unhealthy_timeout 2000 ms, primary_demote_timeout 1000 ms
#   nodes:   timeout.network_partition_timeout 2 s (keeper), wal_sender_timeout 2s (PostgreSQL)
# synchronous_commit stays `on` (PostgreSQL's default): pg_auto_failover has no fencing, and only a commit
# that waited for the standby is safe from a resumed old primary. Never lower it.
#
# Authentication is `trust` on the compose network and TLS is off: this is a reference set-up on a private
# network with no published database ports. In production use --auth scram-sha-256 with passwords
# (pg_autoctl config set replication.password) and --ssl-self-signed or real certificates.
set -euo pipefail

ROLE=${PGAF_ROLE:-}
HOST_NAME=${PGAF_HOSTNAME:-$(hostname)}
NODE_NAME=${PGAF_NAME:-$HOST_NAME}
PORT=${PGAF_PORT:-5432}
DBNAME=${PGAF_DBNAME:-twinmcp}
KEEPER_CONFIG="$XDG_CONFIG_HOME/pg_autoctl$PGDATA/pg_autoctl.cfg"

log() { echo "pgaf-entrypoint: $*" >&2; }
die() { log "$*"; exit 1; }
[[ "$ROLE" == monitor || "$ROLE" == postgres ]] || die "PGAF_ROLE must be monitor or postgres (got '$ROLE')"

local_sql() { psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -tAc "$2"; }

healthcheck() {
  if [[ "$ROLE" == monitor ]]; then
    [[ "$(local_sql pg_auto_failover "select count(*) from pg_extension where extname = 'pgautofailover'")" == 1 ]]
  else
    # Serving the app's database (pg_isready would not check that it exists): a primary, or a standby
    # that finished its base backup.
    [[ "$(local_sql "$DBNAME" 'select 1')" == 1 ]]
  fi
}

# Waits (up to 10 minutes) for the local PostgreSQL, then applies the tuning. Runs beside pg_autoctl.
apply_tuning() {
  local deadline=$((SECONDS + 600))
  until local_sql postgres 'select 1' >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "PostgreSQL did not answer within 10 minutes: tuning NOT applied"; return 1; }
    sleep 1
  done
  if [[ "$ROLE" == monitor ]]; then
    local setting
    # ALTER SYSTEM refuses to run inside a multi-statement string: one statement at a time.
    for setting in health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 \
      health_check_retry_delay=100 node_considered_unhealthy_timeout=2000 primary_demote_timeout=1000; do
      local_sql postgres "alter system set pgautofailover.${setting%%=*} = ${setting#*=}"
    done
  else
    local_sql postgres "alter system set wal_sender_timeout = '2s'"
  fi
  local_sql postgres 'select pg_reload_conf()' >/dev/null
  [[ "$ROLE" == monitor ]] || keep_keeper_setting timeout.network_partition_timeout 2 "$deadline"
  log "tuning applied"
}

# A keeper still creating its node rewrites its configuration file from memory, undoing a `config set`
# made meanwhile: set it until it has held for three checks in a row, five seconds apart.
keep_keeper_setting() {
  local name=$1 value=$2 deadline=$3 held=0
  while ((held < 3)); do
    ((SECONDS < deadline)) || { log "$name did not stay at $value: check pg_autoctl config get $name"; return 1; }
    if [[ "$(pg_autoctl config get --pgdata "$PGDATA" "$name" 2>/dev/null)" == "$value" ]]; then
      held=$((held + 1))
    else
      held=0
      pg_autoctl config set --pgdata "$PGDATA" "$name" "$value" >/dev/null
    fi
    sleep 5
  done
}

# A standby's base backup waits for a checkpoint on the primary, and a spread one can take minutes:
# while a base backup is waiting on this node, ask for the checkpoint at once.
hurry_base_backups() {
  while sleep 5; do
    if [[ "$(local_sql postgres "select exists (select 1 from pg_stat_replication where state = 'backup')" 2>/dev/null)" == t ]]; then
      local_sql postgres 'checkpoint' >/dev/null 2>&1 || true
    fi
  done
}

# The keeper's monitor URI with libpq's timeouts (README › Failover), unless it sets them: a keeper cut off
# from the monitor then knows it within ~2 s instead of 5–8 s (a query in flight waited on TCP
# retransmissions), and a partitioned primary fences itself that much sooner.
monitor_link() {
  local uri=$1 separator='?'
  [[ "$uri" == *\?* ]] && separator='&'
  if [[ "$uri" != *connect_timeout=* ]]; then uri+="${separator}connect_timeout=2"; separator='&'; fi
  [[ "$uri" == *tcp_user_timeout=* ]] || uri+="${separator}tcp_user_timeout=1000"
  printf '%s' "$uri"
}

case "${1:-run}" in
  healthcheck) healthcheck ;;
  run)
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
    # Double fork: the helpers belong to tini (PID 1), not to pg_autoctl, whose supervisor reaps only its own.
    (apply_tuning &)
    [[ "$ROLE" == postgres ]] && (hurry_base_backups &)
    if [[ -f "$KEEPER_CONFIG" ]]; then
      log "keeper state found ($KEEPER_CONFIG): running the existing $ROLE node"
      exec pg_autoctl run --pgdata "$PGDATA"
    fi
    common=(--pgdata "$PGDATA" --pgport "$PORT" --hostname "$HOST_NAME" --auth trust --no-ssl)
    [[ -n "${PGAF_LISTEN:-}" ]] && common+=(--listen "$PGAF_LISTEN")
    if [[ "$ROLE" == monitor ]]; then
      exec pg_autoctl create monitor "${common[@]}" --run
    fi
    [[ -n "${PGAF_MONITOR_URI:-}" ]] || die "PGAF_MONITOR_URI is required for a data node"
    exec pg_autoctl create postgres "${common[@]}" --name "$NODE_NAME" --dbname "$DBNAME" \
      --monitor "$(monitor_link "$PGAF_MONITOR_URI")" --pg-hba-lan --run
    ;;
  *) exec "$@" ;;
esac
