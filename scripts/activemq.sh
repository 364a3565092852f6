#!/usr/bin/env bash
# Starts, stops and kills a real ActiveMQ Classic for tests and benchmarks, with the project's own
# configuration (scripts/activemq/activemq.xml.in): 5.17 from Debian's `activemq` package, or
# with ACTIVEMQ_VERSION=6 the 6.x broker from its jars on Maven Central (fetched with `mvn`, no
# root needed; scripts/activemq/classic6-pom.xml says which).
#
#   scripts/activemq.sh start   [DIR]   start a broker in DIR (created; ports chosen free) and wait until it listens
#   scripts/activemq.sh restart [DIR]   start again on the same ports and the same KahaDB (after stop or kill)
#   scripts/activemq.sh stop    [DIR]   graceful stop (SIGTERM), waits for the process to end
#   scripts/activemq.sh kill    [DIR]   kill -9, as a crash
#   scripts/activemq.sh status  [DIR]   prints DIR/broker.env and whether the broker runs
#   scripts/activemq.sh clean   [DIR]   stop, then remove DIR
#   scripts/activemq.sh url     [DIR]   prints the broker's stomp:// URL, credentials included
#
# DIR defaults to $ACTIVEMQ_INSTANCE or ${TMPDIR:-/tmp}/nestjs-activemq-broker.
# Options by environment, read by `start`:
#   ACTIVEMQ_USER / ACTIVEMQ_PASSWORD   the one user of the authentication plugin (default app / app-secret);
#                                       ACTIVEMQ_AUTH=off starts the broker without authentication
#   ACTIVEMQ_SSL=on                     also open a stomp+ssl connector with a certificate made here (DIR/tls/)
#   ACTIVEMQ_MAX_REDELIVERIES           redeliveries of a NACKed message before the DLQ (default 2)
#   ACTIVEMQ_HEAP                       JVM heap (default 512m)
#   ACTIVEMQ_VERSION                    5 (default: Debian's 5.17) or 6 (Classic 6 from Maven Central)
# After `start`, DIR/broker.env holds STOMP_PORT, OPENWIRE_PORT, SSL_PORT, ACTIVEMQ_USER,
# ACTIVEMQ_PASSWORD, CA_FILE, CLASSIC_MAJOR and the broker's PID, in shell syntax.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
dir=${2:-${ACTIVEMQ_INSTANCE:-${TMPDIR:-/tmp}/nestjs-activemq-broker}}
home=${ACTIVEMQ_HOME:-/usr/share/activemq}
jar="$home/bin/activemq.jar"

name=activemq.sh
# shellcheck source=lib/broker-common.sh
. "$here/lib/broker-common.sh"

write_config() {
  local user=${ACTIVEMQ_USER:-app} password=${ACTIVEMQ_PASSWORD:-app-secret}
  local auth_plugin="" ssl_context="" ssl_connector="" ssl_port="" ca_file=""
  if [ "${ACTIVEMQ_AUTH:-on}" != off ]; then
    auth_plugin="<simpleAuthenticationPlugin anonymousAccessAllowed=\"false\"><users><authenticationUser username=\"$user\" password=\"$password\" groups=\"users,admins\"/></users></simpleAuthenticationPlugin>"
  else
    user="" password=""
  fi
  if [ "${ACTIVEMQ_SSL:-off}" = on ]; then
    make_tls_cert
    ssl_port=$(free_port)
    ca_file="$dir/tls/ca.pem"
    ssl_context="<sslContext><sslContext keyStore=\"file:$dir/tls/broker.p12\" keyStorePassword=\"changeit\" keyStoreType=\"PKCS12\"/></sslContext>"
    ssl_connector="<transportConnector name=\"stomp-ssl\" uri=\"stomp+ssl://127.0.0.1:$ssl_port\"/>"
  fi
  local stomp_port=${STOMP_PORT:-$(free_port)} openwire_port=${OPENWIRE_PORT:-$(free_port)}
  mkdir -p "$dir/conf" "$dir/data"
  sed -e "s|@BROKER_NAME@|${ACTIVEMQ_BROKER_NAME:-nestjs-activemq-test}|" \
      -e "s|@DATA_DIR@|$dir/data|g" \
      -e "s|@STOMP_PORT@|$stomp_port|" \
      -e "s|@OPENWIRE_PORT@|$openwire_port|" \
      -e "s|@MAX_REDELIVERIES@|${ACTIVEMQ_MAX_REDELIVERIES:-2}|" \
      -e "s|@AUTH_PLUGIN@|$auth_plugin|" \
      -e "s|@SSL_CONTEXT@|$ssl_context|" \
      -e "s|@SSL_CONNECTOR@|$ssl_connector|" \
      "$here/activemq/activemq.xml.in" > "$dir/conf/activemq.xml"
  cp "$here/activemq/log4j.properties" "$dir/conf/log4j.properties"
  cp "$here/activemq/log4j2.properties" "$dir/conf/log4j2.properties"
  cat > "$dir/broker.env" <<ENV
STOMP_PORT=$stomp_port
OPENWIRE_PORT=$openwire_port
SSL_PORT=$ssl_port
ACTIVEMQ_USER=$user
ACTIVEMQ_PASSWORD=$password
CA_FILE=$ca_file
CLASSIC_MAJOR=${ACTIVEMQ_VERSION:-5}
PID=
ENV
}

# classic6_classpath: the Classic 6 jars, copied once from Maven's cache into a cache directory of ours.
classic6_classpath() {
  local version
  version=$(sed -n 's:.*<activemq.version>\(.*\)</activemq.version>.*:\1:p' "$here/activemq/classic6-pom.xml")
  local lib="${NESTJS_ACTIVEMQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-activemq}/activemq-classic-$version/lib"
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null || needs_root maven "ActiveMQ Classic 6 (fetched from Maven Central by mvn)"
    rm -rf "$lib"
    mvn -q -B -f "$here/activemq/classic6-pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib" >&2 \
      || die "could not fetch ActiveMQ Classic $version from Maven Central"
    touch "$lib/.complete"
  fi
  echo "$lib"
}

# broker_process: the command that runs the broker, and its ports. The version is the one the
# broker was started with (broker.env), so that a restart keeps its store's format.
broker_process() {
  java_17 "ActiveMQ Classic"
  if [ "${CLASSIC_MAJOR:-5}" = 6 ]; then
    local lib
    lib=$(classic6_classpath)
    BROKER_CMD=(java "-Xmx${ACTIVEMQ_HEAP:-512m}" -cp "$lib/*" -Dlog4j2.configurationFile="$dir/conf/log4j2.properties"
      "$here/activemq/Launcher.java" "xbean:file:$dir/conf/activemq.xml")
  else
    [ -f "$jar" ] || needs_root activemq "ActiveMQ Classic 5.17 ($jar)"
    BROKER_CMD=(java "-Xmx${ACTIVEMQ_HEAP:-512m}"
      -Dactivemq.home="$home" -Dactivemq.base="$dir" -Dactivemq.conf="$dir/conf" -Dactivemq.data="$dir/data"
      -Dlog4j.configuration="file:$dir/conf/log4j.properties" -jar "$jar" start "xbean:file:$dir/conf/activemq.xml")
  fi
  BROKER_PORTS=("$STOMP_PORT" "$OPENWIRE_PORT")
  start_timeout=${ACTIVEMQ_START_TIMEOUT:-90}
}

prepare_start() {
  rm -rf "$dir/data"
  write_config
}

broker_url() { stomp_url "$ACTIVEMQ_USER" "$ACTIVEMQ_PASSWORD" "$STOMP_PORT"; }

usage_lines=2,27p
run_command "$cmd"
