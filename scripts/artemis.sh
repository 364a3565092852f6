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
    command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install -y maven); it fetches Artemis from Maven Central"
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
  command -v java >/dev/null || die "java not found: install a JRE 17 (apt-get install -y default-jre-headless)"
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
  start_timeout=${ARTEMIS_START_TIMEOUT:-90}
}

prepare_start() {
  rm -rf "$dir/instance"
  create_instance
}

broker_url() { stomp_url "$ARTEMIS_USER" "$ARTEMIS_PASSWORD" "$STOMP_PORT"; }

usage_lines=2,25p
run_command "$cmd"
