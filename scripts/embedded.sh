#!/usr/bin/env bash
# Starts, stops and kills the project's own embedded broker as a process of its own (the CLI,
# `nestjs-activemq broker`), for the tests that crash, pause or restart a broker, with the same
# verbs and the same DIR/broker.env as scripts/activemq.sh and scripts/artemis.sh. The broker is
# this checkout's lib/, compiled once per content of lib/ into node_modules/.cache (no root, no network).
#
#   scripts/embedded.sh start   [DIR]   start a broker in DIR (created; ports chosen free) and wait until it listens
#   scripts/embedded.sh restart [DIR]   start again on the same ports and the same journal (after stop or kill)
#   scripts/embedded.sh stop    [DIR]   graceful stop (SIGTERM), waits for the process to end
#   scripts/embedded.sh kill    [DIR]   kill -9, as a crash
#   scripts/embedded.sh status  [DIR]   prints DIR/broker.env and whether the broker runs
#   scripts/embedded.sh clean   [DIR]   stop, then remove DIR
#   scripts/embedded.sh url     [DIR]   prints the broker's stomp:// URL, credentials included
#   scripts/embedded.sh build           compiles lib/ if this content of it is not compiled yet; prints the directory
#
# DIR defaults to ${TMPDIR:-/tmp}/nestjs-embedded-broker.
# Options by environment, read by `start`, named as for scripts/activemq.sh:
#   ACTIVEMQ_USER / ACTIVEMQ_PASSWORD   the one login (default app / app-secret); ACTIVEMQ_AUTH=off: anyone may connect
#   ACTIVEMQ_SSL=on                     also open a TLS port, with a certificate made here (DIR/tls/, needs openssl)
#   ACTIVEMQ_MAX_REDELIVERIES           redeliveries of a NACKed message before ActiveMQ.DLQ (default 2, as the test brokers)
#   ACTIVEMQ_REDELIVERY_DELAY           milliseconds between them (default 1100, as the test brokers)
# After `start`, DIR/broker.env holds STOMP_PORT, SSL_PORT, ACTIVEMQ_USER, ACTIVEMQ_PASSWORD,
# CA_FILE, BUILD and the broker's PID, in shell syntax; the journal is DIR/data.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/nestjs-embedded-broker}
# Inside the checkout, so that the compiled code finds the package's dependencies in node_modules/.
cache="$root/node_modules/.cache/nestjs-activemq"

name=embedded.sh
# shellcheck source=lib/broker-common.sh
. "$here/lib/broker-common.sh"

# build: lib/ compiled with the package's build settings into a directory named by a hash of
# what goes into it, so that a changed lib/ is compiled again and an unchanged one never is.
build() {
  local hash out
  hash=$(cd "$root" && find lib tsconfig.json tsconfig.build.json package.json -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)
  out="$cache/embedded-build-$hash"
  if [ ! -f "$out/bin.js" ]; then
    mkdir -p "$cache"
    local partial="$out.partial.$$"
    rm -rf "$partial"
    (cd "$root" && npx tsc -p tsconfig.build.json --outDir "$partial" >&2) || die "could not compile lib/ (npx tsc -p tsconfig.build.json)"
    printf '{"type":"module"}\n' > "$partial/package.json"
    # Two builds at once: the first to finish is kept.
    mv -T "$partial" "$out" 2>/dev/null || rm -rf "$partial"
    # The builds of earlier states of lib/: the three newest stay.
    find "$cache" -maxdepth 1 -name 'embedded-build-????????????????' -type d -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf
  fi
  echo "$out"
}

# make_pem_cert: a self-signed certificate for 127.0.0.1/localhost, PEM (DIR/tls/cert.pem, key.pem; ca.pem = cert.pem).
make_pem_cert() {
  command -v openssl >/dev/null || needs_root openssl "a TLS embedded test broker (openssl)"
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
  cp "$dir/tls/cert.pem" "$dir/tls/ca.pem"
}

prepare_start() {
  local user=${ACTIVEMQ_USER:-app} password=${ACTIVEMQ_PASSWORD:-app-secret} ssl_port="" ca_file="" out
  if [ "${ACTIVEMQ_AUTH:-on}" = off ]; then user="" password=""; fi
  if [ "${ACTIVEMQ_SSL:-off}" = on ]; then
    make_pem_cert
    ssl_port=$(free_port)
    ca_file="$dir/tls/ca.pem"
  fi
  out=$(build)
  rm -rf "$dir/data"
  cat > "$dir/broker.env" <<ENV
STOMP_PORT=$(free_port)
SSL_PORT=$ssl_port
ACTIVEMQ_USER=$user
ACTIVEMQ_PASSWORD=$password
CA_FILE=$ca_file
MAX_REDELIVERIES=${ACTIVEMQ_MAX_REDELIVERIES:-2}
REDELIVERY_DELAY=${ACTIVEMQ_REDELIVERY_DELAY:-1100}
BUILD=$out
PID=
ENV
}

broker_process() {
  BROKER_CMD=(node "$BUILD/bin.js" broker --port "$STOMP_PORT" --data "$dir/data" --stats 0
    --max-redeliveries "$MAX_REDELIVERIES" --redelivery-delay "$REDELIVERY_DELAY")
  if [ -n "$ACTIVEMQ_USER" ]; then BROKER_CMD+=(--user "$ACTIVEMQ_USER:$ACTIVEMQ_PASSWORD"); fi
  if [ -n "$SSL_PORT" ]; then BROKER_CMD+=(--tls-port "$SSL_PORT" --tls-cert "$dir/tls/cert.pem" --tls-key "$dir/tls/key.pem"); fi
  # broker-common's launch waits for SSL_PORT itself.
  BROKER_PORTS=("$STOMP_PORT")
  start_timeout=${EMBEDDED_START_TIMEOUT:-60}
}

broker_url() { stomp_url "$ACTIVEMQ_USER" "$ACTIVEMQ_PASSWORD" "$STOMP_PORT"; }

usage_lines=2,23p
if [ "$cmd" = build ]; then build; else run_command "$cmd"; fi
