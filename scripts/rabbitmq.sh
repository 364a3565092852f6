#!/usr/bin/env bash
# Starts and stops a real RabbitMQ (Debian's `rabbitmq-server`, installed here when missing) for
# the benchmark's peer rows: Nest's own RMQ transport beside this one. Loopback only, ports
# chosen free, its data in DIR; the user guest/guest, which RabbitMQ allows from loopback.
#
#   scripts/rabbitmq.sh start [DIR]   start a broker in DIR (created) and wait until it takes connections
#   scripts/rabbitmq.sh stop  [DIR]   graceful stop, waits for the process to end
#   scripts/rabbitmq.sh url   [DIR]   prints its amqp:// URL
#   scripts/rabbitmq.sh pid   [DIR]   prints the broker's (Erlang VM's) process id
#   scripts/rabbitmq.sh clean [DIR]   stop, then remove DIR
#
# DIR defaults to ${TMPDIR:-/tmp}/nestjs-activemq-rabbitmq. After `start`, DIR/broker.env holds
# AMQP_PORT, NODENAME and PID, in shell syntax.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/nestjs-activemq-rabbitmq}
name=rabbitmq.sh
# shellcheck source=lib/broker-common.sh
. "$here/lib/broker-common.sh"
bin=/usr/lib/rabbitmq/bin

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_installed() {
  [ -x "$bin/rabbitmq-server" ] && return 0
  echo "$name: installing Debian's rabbitmq-server" >&2
  as_root apt-get update -qq
  # The package's own service is not wanted: policy-rc.d keeps it from starting.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends rabbitmq-server >&2
  as_root service rabbitmq-server stop >/dev/null 2>&1 || true
  [ -x "$bin/rabbitmq-server" ] || die "rabbitmq-server did not install ($bin/rabbitmq-server missing)"
}

node_env() {
  export HOME="$dir/home" RABBITMQ_NODENAME="$NODENAME" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" ERL_EPMD_PORT="$EPMD_PORT"
}

start() {
  ensure_installed
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  [ -f "$dir/broker.env" ] || {
    echo "AMQP_PORT=$(free_port)" >"$dir/broker.env"
    {
      echo "DIST_PORT=$(free_port)"
      echo "EPMD_PORT=$(free_port)"
      echo "NODENAME=bench$$@localhost"
      echo "PID="
    } >>"$dir/broker.env"
  }
  read_env
  if pid_alive "$PID"; then die "a broker already runs in $dir (pid $PID)"; fi
  echo '[].' >"$dir/enabled_plugins"
  # No disk or memory alarm on a busy benchmark machine: it would block publishers mid-run.
  printf 'disk_free_limit.absolute = 50MB\nvm_memory_high_watermark.relative = 0.6\n' >"$dir/rabbitmq.conf"
  node_env
  setsid "$bin/rabbitmq-server" >>"$dir/broker.log" 2>&1 </dev/null &
  local deadline=$((SECONDS + 120))
  until port_open "$AMQP_PORT"; do
    [ $SECONDS -lt $deadline ] || { tail -n 40 "$dir/broker.log" >&2; die "RabbitMQ did not listen on 127.0.0.1:$AMQP_PORT within 120 s"; }
    sleep 0.3
  done
  local pid
  pid=$("$bin/rabbitmqctl" -n "$NODENAME" eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -dc 0-9)
  sed -i "s/^PID=.*/PID=$pid/" "$dir/broker.env"
  echo "$dir"
}

case "$cmd" in
  start) start ;;
  stop)
    read_env
    node_env
    "$bin/rabbitmqctl" -n "$NODENAME" stop >/dev/null 2>&1 || stop_pid "$PID"
    wait_exit "$PID" 30 || kill_pid "$PID"
    # The node's own port mapper (epmd), on its private port (ERL_EPMD_PORT, set by node_env).
    /usr/lib/erlang/bin/epmd -kill >/dev/null 2>&1 || true
    ;;
  url)
    read_env
    echo "amqp://guest:guest@127.0.0.1:$AMQP_PORT"
    ;;
  pid)
    read_env
    echo "$PID"
    ;;
  clean)
    if [ -f "$dir/broker.env" ]; then "$0" stop "$dir" || true; fi
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
