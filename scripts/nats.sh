#!/usr/bin/env bash
# Starts and stops a NATS server (Debian's `nats-server`, installed here when missing) for the
# benchmark's peer rows: Nest's NATS transport (core NATS, nothing persisted) beside this one.
#
#   scripts/nats.sh start [DIR]   start a server in DIR (created; port chosen free) and wait until it listens
#   scripts/nats.sh stop  [DIR]   graceful stop
#   scripts/nats.sh url   [DIR]   prints its nats:// URL
#   scripts/nats.sh pid   [DIR]   prints its process id
#   scripts/nats.sh clean [DIR]   stop, then remove DIR
#
# DIR defaults to ${TMPDIR:-/tmp}/nestjs-activemq-nats.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/nestjs-activemq-nats}
name=nats.sh
# shellcheck source=lib/broker-common.sh
. "$here/lib/broker-common.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

case "$cmd" in
  start)
    if ! command -v nats-server >/dev/null; then
      echo "$name: installing Debian's nats-server" >&2
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >&2
    fi
    mkdir -p "$dir"
    port=$(free_port)
    setsid nats-server -a 127.0.0.1 -p "$port" >>"$dir/broker.log" 2>&1 </dev/null &
    pid=$!
    printf 'NATS_PORT=%s\nPID=%s\n' "$port" "$pid" >"$dir/broker.env"
    wait_listening "$pid" 30 "$port"
    echo "$dir"
    ;;
  stop)
    read_env
    stop_pid "$PID"
    ;;
  url)
    read_env
    echo "nats://127.0.0.1:$NATS_PORT"
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
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
