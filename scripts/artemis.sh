#!/usr/bin/env bash
# Starts, stops and kills a real Apache ActiveMQ Artemis for tests and benchmarks, with the
# project's own configuration (scripts/artemis/broker.xml.in). The distribution comes from Maven
# Central (org.apache.activemq:apache-artemis, bin tar.gz) through `mvn`, into Maven's own cache;
# the instance is made by Artemis' own CLI (`artemis create`). No root needed.
#
#   scripts/artemis.sh start   [DIR]   create an instance in DIR (ports chosen free) and wait until it listens
#   scripts/artemis.sh restart [DIR]   start again on the same ports and the same journal (after stop or kill)
#   scripts/artemis.sh stop    [DIR]   graceful stop (SIGTERM), waits for the process to end
#   scripts/artemis.sh kill    [DIR]   kill -9, as a crash
#   scripts/artemis.sh status  [DIR]   prints DIR/broker.env and whether the broker runs
#   scripts/artemis.sh clean   [DIR]   stop, then remove DIR
#   scripts/artemis.sh url     [DIR]   prints the broker's stomp:// URL, credentials included
#
# A shared-nothing replication pair (the Artemis documentation's "High Availability and Failover",
# replication; scripts/artemis/ha-pair.xml.in) of two instances on this machine:
#   scripts/artemis.sh start-pair DIR          DIR/primary (active) and DIR/backup (replicating it); waits
#                                              until the backup is synchronized (its log's AMQ221024)
#   scripts/artemis.sh url        DIR          failover:(stomp://primary,stomp://backup), credentials included
#   scripts/artemis.sh live       DIR          prints the member that is active now (its STOMP port listens)
#   scripts/artemis.sh status|stop|kill|clean DIR   every member (stop: the passive one first)
#   scripts/artemis.sh kill|stop|status|url DIR/primary (or DIR/backup)   one member
#   scripts/artemis.sh restart    DIR/MEMBER   starts a member again, and waits until it is active (no
#                                              active peer) or a synchronized backup of the active peer
# A backup opens no acceptor until it becomes active: its STOMP port is closed until then. On the
# loss of the primary (kill -9) the backup becomes active with the primary's identity and data.
# No failback: the primary checks for an active server with its identity when it starts
# (check-for-active-server) and, finding its former backup active, joins it as a backup; the
# backup refuses to hand over (allow-failback=false), so the roles stay swapped until the active
# member is lost again. Restart a member whose peer is down only if it was the last active one:
# it becomes active with its own journal. `restart DIR` is refused for that reason. Each member's
# broker.env also holds HA_ROLE (primary|backup, as started) and PEER (the other member's DIR).
#
# DIR defaults to $ARTEMIS_INSTANCE_DIR or ${TMPDIR:-/tmp}/nestjs-artemis-broker.
# Options by environment, read by `start`:
#   ARTEMIS_USER / ARTEMIS_PASSWORD   the one user (default app / app-secret); ARTEMIS_AUTH=off: no security
#   ARTEMIS_SSL=on                    also open a STOMP acceptor with TLS, with a certificate made here (DIR/tls/)
#   ARTEMIS_MAX_REDELIVERIES          redeliveries of a NACKed message before the DLQ (default 2)
#   ARTEMIS_HEAP                      JVM heap (default 512M)
#   ARTEMIS_VERSION                   the distribution's version (default 2.40.0; it needs Java 17)
# After `start`, DIR/broker.env holds STOMP_PORT, CORE_PORT, SSL_PORT, ARTEMIS_USER,
# ARTEMIS_PASSWORD, CA_FILE and the broker's PID, in shell syntax.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
dir=${2:-${ARTEMIS_INSTANCE_DIR:-${TMPDIR:-/tmp}/nestjs-artemis-broker}}
version=${ARTEMIS_VERSION:-2.40.0}
cache="${NESTJS_ACTIVEMQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-activemq}"

name=artemis.sh
# shellcheck source=lib/broker-common.sh
. "$here/lib/broker-common.sh"

# artemis_home: the unpacked distribution, fetched (into Maven's own cache, wherever it is) and unpacked once.
artemis_home() {
  local home="$cache/apache-artemis-$version"
  if [ ! -x "$home/bin/artemis" ]; then
    command -v mvn >/dev/null || needs_root maven "Artemis (fetched from Maven Central by mvn)"
    mkdir -p "$cache"
    rm -rf "$home.partial" "$cache/apache-artemis-$version-bin.tar.gz"
    mvn -q -B dependency:copy "-Dartifact=org.apache.activemq:apache-artemis:$version:tar.gz:bin" -DoutputDirectory="$cache" >&2 \
      || die "could not fetch Apache ActiveMQ Artemis $version from Maven Central"
    mkdir -p "$home.partial"
    tar -xzf "$cache/apache-artemis-$version-bin.tar.gz" -C "$home.partial" --strip-components=1
    rm -f "$cache/apache-artemis-$version-bin.tar.gz"
    rm -rf "$home"
    mv "$home.partial" "$home"
  fi
  echo "$home"
}

create_instance() {
  local home user=${ARTEMIS_USER:-app} password=${ARTEMIS_PASSWORD:-app-secret} security=true
  home=$(artemis_home)
  java_17 "Artemis $version"
  if [ "${ARTEMIS_AUTH:-on}" = off ]; then security=false; fi
  # The CLI writes bin/, etc/ (users, roles, logging, JVM options) and data/; broker.xml is ours.
  "$home/bin/artemis" create "$dir/instance" --silent --force --user "$user" --password "$password" \
    --require-login --role amq --name "${ARTEMIS_BROKER_NAME:-nestjs-activemq-test}" --host 127.0.0.1 \
    --no-web --no-autotune --nio --no-amqp-acceptor --no-hornetq-acceptor --no-mqtt-acceptor \
    --java-memory "${ARTEMIS_HEAP:-512M}" >>"$dir/broker.log" 2>&1 || { tail -n 20 "$dir/broker.log" >&2; die "artemis create failed"; }
  local stomp_port core_port ssl_port="" ssl_acceptor="" ca_file=""
  stomp_port=$(free_port)
  core_port=$(free_port)
  if [ "${ARTEMIS_SSL:-off}" = on ]; then
    make_tls_cert
    ssl_port=$(free_port)
    ca_file="$dir/tls/ca.pem"
    ssl_acceptor="<acceptor name=\"stomp-ssl\">tcp://127.0.0.1:$ssl_port?protocols=STOMP;sslEnabled=true;keyStorePath=$dir/tls/broker.p12;keyStorePassword=changeit;keyStoreType=PKCS12</acceptor>"
  fi
  local redeliveries=${ARTEMIS_MAX_REDELIVERIES:-2}
  sed -e "s|@BROKER_NAME@|${ARTEMIS_BROKER_NAME:-nestjs-activemq-test}|" \
      -e "s|@DATA_DIR@|$dir/instance/data|g" \
      -e "s|@STOMP_PORT@|$stomp_port|" \
      -e "s|@CORE_PORT@|$core_port|" \
      -e "s|@SECURITY_ENABLED@|$security|" \
      -e "s|@MAX_REDELIVERIES@|$redeliveries|" \
      -e "s|@MAX_DELIVERY_ATTEMPTS@|$((redeliveries + 1))|" \
      -e "s|@SSL_ACCEPTOR@|$ssl_acceptor|" \
      -e "s|@JOURNAL_BUFFER_TIMEOUT@|${ARTEMIS_JOURNAL_BUFFER_TIMEOUT:-100000}|g" \
      "$here/artemis/broker.xml.in" > "$dir/instance/etc/broker.xml"
  if [ "$security" = false ]; then user="" password=""; fi
  cat > "$dir/broker.env" <<ENV
STOMP_PORT=$stomp_port
CORE_PORT=$core_port
SSL_PORT=$ssl_port
ARTEMIS_USER=$user
ARTEMIS_PASSWORD=$password
CA_FILE=$ca_file
ARTEMIS_VERSION=$version
PID=
ENV
}

# broker_process: the command that runs the broker (bin/artemis execs java), and its ports.
broker_process() {
  BROKER_CMD=("$dir/instance/bin/artemis" run)
  BROKER_PORTS=("$STOMP_PORT" "$CORE_PORT")
  # A pair's member may start as a backup, which opens no acceptor: member_launch waits instead.
  if [ -n "${HA_ROLE:-}" ]; then BROKER_PORTS=(); fi
  start_timeout=${ARTEMIS_START_TIMEOUT:-90}
}

prepare_start() {
  rm -rf "$dir/instance"
  create_instance
}

broker_url() { stomp_url "$ARTEMIS_USER" "$ARTEMIS_PASSWORD" "$STOMP_PORT"; }

# --- replication pairs -----------------------------------------------------------------------
# A pair's DIR holds pair.env; each member's DIR/broker.env adds HA_ROLE (primary|backup) and PEER.

is_pair() { [ -f "$1/pair.env" ]; }
is_member() { [ -f "$1/broker.env" ] && grep -q '^HA_ROLE=' "$1/broker.env"; }

# member_launch: starts the member in $dir; waits until it is active (its STOMP port listens) or a
# backup synchronized with the active peer (AMQ221024 in its log since this start).
member_launch() {
  local from deadline
  from=$(($(wc -l <"$dir/broker.log") + 1))
  launch >/dev/null
  read_env
  deadline=$((SECONDS + start_timeout))
  until port_open "$STOMP_PORT" || tail -n "+$from" "$dir/broker.log" | grep -q 'AMQ221024'; do
    if ! pid_alive "$PID"; then
      tail -n 40 "$dir/broker.log" >&2 || true
      die "the member in $dir exited during start-up (log: $dir/broker.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$dir/broker.log" >&2 || true
      kill -9 "$PID" 2>/dev/null || true
      die "the member in $dir neither became active nor synchronized within ${start_timeout}s (log: $dir/broker.log)"
    fi
    sleep 0.2
  done
  echo "$dir"
}

member_running() { (dir=$1 && read_env && pid_alive "$PID"); }
member_active() { (dir=$1 && read_env && pid_alive "$PID" && port_open "$STOMP_PORT"); }

start_pair() {
  local pair=$dir role peer password fragment
  # A backup opens no acceptor until it is active, so there is no TLS port to wait for.
  [ "${ARTEMIS_SSL:-off}" != on ] || die "ARTEMIS_SSL=on is not supported for a pair"
  for role in primary backup; do
    if [ -f "$pair/$role/broker.env" ] && member_running "$pair/$role"; then die "a broker already runs in $pair/$role"; fi
  done
  rm -rf "$pair/primary" "$pair/backup"
  mkdir -p "$pair/primary" "$pair/backup"
  password=$(node -p "require('crypto').randomBytes(18).toString('base64url')")
  for role in primary backup; do
    dir="$pair/$role"
    : >"$dir/broker.log"
    ARTEMIS_BROKER_NAME="nestjs-pair-$role" create_instance
  done
  for role in primary backup; do
    if [ "$role" = primary ]; then peer=backup; else peer=primary; fi
    local own_core peer_core policy
    own_core=$(dir="$pair/$role" && read_env && echo "$CORE_PORT")
    peer_core=$(dir="$pair/$peer" && read_env && echo "$CORE_PORT")
    if [ "$role" = primary ]; then
      policy='<primary><check-for-active-server>true</check-for-active-server></primary>'
    else
      policy='<backup><allow-failback>false</allow-failback></backup>'
    fi
    fragment="$pair/$role/ha-pair.xml"
    sed -e "s|@CORE_PORT@|$own_core|" -e "s|@PEER_CORE_PORT@|$peer_core|" \
        -e "s|@CLUSTER_USER@|nestjs-pair|" -e "s|@CLUSTER_PASSWORD@|$password|" \
        -e "s|@ROLE_POLICY@|$policy|" "$here/artemis/ha-pair.xml.in" >"$fragment"
    sed -i "\|</acceptors>|r $fragment" "$pair/$role/instance/etc/broker.xml"
    printf 'HA_ROLE=%s\nPEER=%s\n' "$role" "$pair/$peer" >>"$pair/$role/broker.env"
  done
  printf 'PRIMARY=%s\nBACKUP=%s\n' "$pair/primary" "$pair/backup" >"$pair/pair.env"
  (dir="$pair/primary" && member_launch >/dev/null)
  if ! (dir="$pair/backup" && member_launch >/dev/null); then
    "$0" kill "$pair/primary"
    die "the backup did not start; the primary is stopped again"
  fi
  echo "$pair"
}

# pair_command CMD: the verbs on a pair's DIR.
pair_command() {
  local pair=$dir member urls=() members=()
  for member in "$pair/primary" "$pair/backup"; do
    if [ -f "$member/broker.env" ]; then members+=("$member"); fi
  done
  case "$1" in
    url)
      for member in "$pair/primary" "$pair/backup"; do urls+=("$(dir=$member && read_env && broker_url)"); done
      echo "failover:($(IFS=,; echo "${urls[*]}"))"
      ;;
    live)
      for member in "$pair/primary" "$pair/backup"; do
        if member_active "$member"; then echo "$member"; return 0; fi
      done
      die "no member of $pair is active"
      ;;
    status)
      local any=stopped
      for member in "$pair/primary" "$pair/backup"; do
        if member_active "$member"; then echo "$member active"; any=running
        elif member_running "$member"; then echo "$member backup"; any=running
        else echo "$member stopped"; fi
      done
      [ "$any" = running ] || exit 3
      ;;
    stop)
      # The passive member first, so that stopping the active one hands nothing over.
      for member in "${members[@]}"; do member_active "$member" || "$0" stop "$member"; done
      for member in "${members[@]}"; do "$0" stop "$member"; done
      ;;
    kill) for member in "${members[@]}"; do "$0" kill "$member"; done ;;
    clean)
      pair_command stop
      rm -rf "$pair"
      ;;
    *) die "'$1' is not a verb for the pair in $pair: restart its members one by one (scripts/artemis.sh restart $pair/primary)" ;;
  esac
}

usage_lines=2,42p
if [ "$cmd" = start-pair ]; then
  [ -n "${2:-}" ] || die "start-pair needs a DIR"
  mkdir -p "$dir"
  start_pair
elif is_pair "$dir"; then
  pair_command "$cmd"
elif is_member "$dir"; then
  case "$cmd" in
    start) die "$dir is a member of a pair: use restart (or start-pair for a new pair)" ;;
    restart) member_launch ;;
    clean) die "$dir is a member of a pair: clean the pair's directory" ;;
    *) run_command "$cmd" ;;
  esac
else
  run_command "$cmd"
fi
