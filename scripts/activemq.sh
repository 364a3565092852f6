#!/usr/bin/env bash
# Starts, stops and kills a real ActiveMQ Classic (Debian's `activemq` package) for tests and
# benchmarks, with the project's own configuration (scripts/activemq/activemq.xml.in).
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
# After `start`, DIR/broker.env holds STOMP_PORT, OPENWIRE_PORT, SSL_PORT, ACTIVEMQ_USER,
# ACTIVEMQ_PASSWORD, CA_FILE and the broker's PID, in shell syntax.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}
dir=${2:-${ACTIVEMQ_INSTANCE:-${TMPDIR:-/tmp}/nestjs-activemq-broker}}
home=${ACTIVEMQ_HOME:-/usr/share/activemq}
jar="$home/bin/activemq.jar"

die() { echo "activemq.sh: $*" >&2; exit 1; }

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_env() {
  [ -f "$dir/broker.env" ] || die "no broker in $dir (run: $0 start $dir)"
  # shellcheck disable=SC1091
  . "$dir/broker.env"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {
  local user=${ACTIVEMQ_USER:-app} password=${ACTIVEMQ_PASSWORD:-app-secret}
  local auth_plugin="" ssl_context="" ssl_connector="" ssl_port="" ca_file=""
  if [ "${ACTIVEMQ_AUTH:-on}" != off ]; then
    auth_plugin="<simpleAuthenticationPlugin anonymousAccessAllowed=\"false\"><users><authenticationUser username=\"$user\" password=\"$password\" groups=\"users,admins\"/></users></simpleAuthenticationPlugin>"
  else
    user="" password=""
  fi
  if [ "${ACTIVEMQ_SSL:-off}" = on ]; then
    command -v keytool >/dev/null || die "keytool not found: install a JRE (apt-get install -y default-jre-headless)"
    mkdir -p "$dir/tls"
    rm -f "$dir/tls/broker.p12" "$dir/tls/ca.pem"
    keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 30 \
      -dname "CN=localhost" -ext "SAN=dns:localhost,ip:127.0.0.1" \
      -storetype PKCS12 -keystore "$dir/tls/broker.p12" -storepass changeit -keypass changeit >/dev/null 2>&1
    keytool -exportcert -rfc -alias broker -keystore "$dir/tls/broker.p12" -storepass changeit -file "$dir/tls/ca.pem" >/dev/null 2>&1
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
  cat > "$dir/broker.env" <<ENV
STOMP_PORT=$stomp_port
OPENWIRE_PORT=$openwire_port
SSL_PORT=$ssl_port
ACTIVEMQ_USER=$user
ACTIVEMQ_PASSWORD=$password
CA_FILE=$ca_file
PID=
ENV
}

launch() {
  read_env
  if pid_alive "$PID"; then die "a broker already runs in $dir (pid $PID)"; fi
  [ -f "$jar" ] || die "$jar not found: install Debian's ActiveMQ (apt-get install -y activemq)"
  command -v java >/dev/null || die "java not found: install a JRE (apt-get install -y default-jre-headless)"
  setsid java "-Xmx${ACTIVEMQ_HEAP:-512m}" \
    -Dactivemq.home="$home" -Dactivemq.base="$dir" -Dactivemq.conf="$dir/conf" -Dactivemq.data="$dir/data" \
    -Dlog4j.configuration="file:$dir/conf/log4j.properties" \
    -jar "$jar" start "xbean:file:$dir/conf/activemq.xml" >>"$dir/broker.log" 2>&1 </dev/null &
  local pid=$!
  sed -i "s/^PID=.*/PID=$pid/" "$dir/broker.env"
  local deadline=$((SECONDS + ${ACTIVEMQ_START_TIMEOUT:-90}))
  until port_open "$STOMP_PORT" && port_open "$OPENWIRE_PORT" && { [ -z "$SSL_PORT" ] || port_open "$SSL_PORT"; }; do
    if ! pid_alive "$pid"; then
      tail -n 40 "$dir/broker.log" >&2 || true
      die "the broker exited during start-up (log: $dir/broker.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$dir/broker.log" >&2 || true
      kill -9 "$pid" 2>/dev/null || true
      die "the broker did not listen on 127.0.0.1:$STOMP_PORT within ${ACTIVEMQ_START_TIMEOUT:-90}s (log: $dir/broker.log)"
    fi
    sleep 0.2
  done
  echo "$dir"
}

wait_exit() {
  local pid=$1 limit=$2 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

case "$cmd" in
  start)
    if [ -f "$dir/broker.env" ]; then
      read_env
      if pid_alive "$PID"; then die "a broker already runs in $dir (pid $PID)"; fi
    fi
    rm -rf "$dir/data"
    mkdir -p "$dir"
    : > "$dir/broker.log"
    write_config
    launch
    ;;
  restart)
    launch
    ;;
  stop)
    read_env
    if pid_alive "$PID"; then
      kill -TERM "$PID"
      wait_exit "$PID" 30 || { kill -9 "$PID" 2>/dev/null || true; wait_exit "$PID" 10 || true; }
    fi
    ;;
  kill)
    read_env
    if pid_alive "$PID"; then kill -9 "$PID"; wait_exit "$PID" 10 || die "pid $PID survived kill -9"; fi
    ;;
  status)
    read_env
    cat "$dir/broker.env"
    if pid_alive "$PID"; then echo "running"; else echo "stopped"; exit 3; fi
    ;;
  url)
    read_env
    if [ -n "$ACTIVEMQ_USER" ]; then
      echo "stomp://$(node -p 'encodeURIComponent(process.argv[1])' "$ACTIVEMQ_USER"):$(node -p 'encodeURIComponent(process.argv[1])' "$ACTIVEMQ_PASSWORD")@127.0.0.1:$STOMP_PORT"
    else
      echo "stomp://127.0.0.1:$STOMP_PORT"
    fi
    ;;
  clean)
    if [ -f "$dir/broker.env" ]; then "$0" stop "$dir"; fi
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
