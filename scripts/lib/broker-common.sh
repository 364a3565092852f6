# Shared by the test-broker scripts (scripts/activemq.sh, scripts/artemis.sh): sourced, not run.
# Each script sets `dir` (the broker's directory) and `name` (its own name, for messages) first.

die() { echo "$name: $*" >&2; exit 1; }

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# needs_root PACKAGE WHAT: fails in one line saying that WHAT comes from a Debian package, whose
# install needs root (the scripts install nothing as root themselves; .ci/run does, on CI).
needs_root() {
  die "$2 needs Debian's '$1' package, and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y $1' (bash .ci/run does this), then run again"
}

# java_17: fails in one line unless java runs and is 17 or newer.
java_17() {
  command -v java >/dev/null || needs_root default-jre-headless "$1 (Java 17 or newer)"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
  [ "${major:-0}" -ge 17 ] || die "$1 needs Java 17 or newer; java here is ${major:-unknown}: install a newer JRE (needs root: sudo apt-get install -y openjdk-17-jre-headless)"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_env() {
  [ -f "$dir/broker.env" ] || die "no broker in $dir (run: $0 start $dir)"
  # shellcheck disable=SC1091
  . "$dir/broker.env"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# wait_listening PID TIMEOUT PORT...: until every port listens; fails (log tail shown) if the process exits or time runs out.
wait_listening() {
  local pid=$1 timeout=$2 deadline=$((SECONDS + $2)) port
  shift 2
  for port in "$@"; do
    until port_open "$port"; do
      if ! pid_alive "$pid"; then
        tail -n 40 "$dir/broker.log" >&2 || true
        die "the broker exited during start-up (log: $dir/broker.log)"
      fi
      if [ $SECONDS -ge $deadline ]; then
        tail -n 40 "$dir/broker.log" >&2 || true
        kill -9 "$pid" 2>/dev/null || true
        die "the broker did not listen on 127.0.0.1:$port within ${timeout}s (log: $dir/broker.log)"
      fi
      sleep 0.2
    done
  done
}

# stop_pid PID: SIGTERM, then kill -9 if it has not ended within 30 s.
stop_pid() {
  if pid_alive "$1"; then
    kill -TERM "$1"
    wait_exit "$1" 30 || { kill -9 "$1" 2>/dev/null || true; wait_exit "$1" 10 || true; }
  fi
}

kill_pid() {
  if pid_alive "$1"; then kill -9 "$1"; wait_exit "$1" 10 || die "pid $1 survived kill -9"; fi
}

# stomp_url USER PASSWORD PORT: the broker's stomp:// URL, credentials percent-encoded.
stomp_url() {
  if [ -n "$1" ]; then
    echo "stomp://$(node -p 'encodeURIComponent(process.argv[1])' "$1"):$(node -p 'encodeURIComponent(process.argv[1])' "$2")@127.0.0.1:$3"
  else
    echo "stomp://127.0.0.1:$3"
  fi
}

# make_tls_cert: a self-signed certificate for 127.0.0.1/localhost in DIR/tls (broker.p12, ca.pem).
make_tls_cert() {
  command -v keytool >/dev/null || needs_root default-jre-headless "a TLS test broker (keytool)"
  mkdir -p "$dir/tls"
  rm -f "$dir/tls/broker.p12" "$dir/tls/ca.pem"
  keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 30 \
    -dname "CN=localhost" -ext "SAN=dns:localhost,ip:127.0.0.1" \
    -storetype PKCS12 -keystore "$dir/tls/broker.p12" -storepass changeit -keypass changeit >/dev/null 2>&1
  keytool -exportcert -rfc -alias broker -keystore "$dir/tls/broker.p12" -storepass changeit -file "$dir/tls/ca.pem" >/dev/null 2>&1
}

# launch: starts the broker of DIR in its own session (kill -9 of its PID is a crash), records the
# PID in broker.env and waits until every port listens. broker_process says what to run.
launch() {
  read_env
  if pid_alive "$PID"; then die "a broker already runs in $dir (pid $PID)"; fi
  broker_process
  setsid "${BROKER_CMD[@]}" >>"$dir/broker.log" 2>&1 </dev/null &
  local pid=$!
  sed -i "s/^PID=.*/PID=$pid/" "$dir/broker.env"
  wait_listening "$pid" "$start_timeout" "${BROKER_PORTS[@]}" ${SSL_PORT:+"$SSL_PORT"}
  echo "$dir"
}

# run_command CMD: the verbs every test-broker script has. The script defines prepare_start (a
# fresh DIR: its configuration and broker.env), broker_process (BROKER_CMD, BROKER_PORTS,
# start_timeout), broker_url, and usage_lines (the sed range of its usage comment).
run_command() {
  case "$1" in
    start)
      if [ -f "$dir/broker.env" ]; then
        read_env
        if pid_alive "$PID"; then die "a broker already runs in $dir (pid $PID)"; fi
      fi
      mkdir -p "$dir"
      : > "$dir/broker.log"
      prepare_start
      launch
      ;;
    restart) launch ;;
    stop)
      read_env
      stop_pid "$PID"
      ;;
    kill)
      read_env
      kill_pid "$PID"
      ;;
    status)
      read_env
      cat "$dir/broker.env"
      if pid_alive "$PID"; then echo "running"; else echo "stopped"; exit 3; fi
      ;;
    url)
      read_env
      broker_url
      ;;
    clean)
      if [ -f "$dir/broker.env" ]; then "$0" stop "$dir"; fi
      rm -rf "$dir"
      ;;
    *)
      sed -n "$usage_lines" "$0" | sed 's/^# \{0,1\}//'
      exit 2
      ;;
  esac
}
