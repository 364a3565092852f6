#!/usr/bin/env bash
# Tests the package as users get it: `npm pack`, then two fresh apps install the tarball and use it
# for a request/reply through a real ActiveMQ:
#   test/pack/nest11-cjs  NestJS 11, CommonJS ("type": "commonjs", tsconfig module commonjs;
#                         its types are also checked with module node16, the "require" condition)
#   test/pack/nest12-esm  NestJS 12, ES modules ("type": "module", tsconfig module nodenext)
# Each app is copied to a temporary directory, gets `npm install <tarball> <its NestJS deps>`, is
# compiled by its own `tsc` (which checks the package's .d.ts from that entry point), and runs with
# `node`: it asserts which file Node resolved for 'nestjs-activemq' (dist/cjs resp. dist/esm), sends
# 'pack.sum' [1,2,3] through MessagingModule's ClientActiveMQ to a ServerActiveMQ handler and prints
# `sum=6 via cjs|esm`. The installed `nestjs-activemq` bin is run too: no arguments (usage, exit 2),
# `--help` and `broker --help` (usage on stdout, exit 0). The tarball is packed from a tree without
# dist/, so that the package's prepack script must build it.
#
#   bash scripts/pack-test.sh            starts a broker with scripts/activemq.sh (removed at exit)
#   ACTIVEMQ_URL=stomp://... bash scripts/pack-test.sh   uses that broker instead
#
# Needs the npm registry (the apps' installs), and for the broker a JRE and Debian's activemq.
# Exits non-zero if either app fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-activemq-pack.XXXXXX")
broker_dir=""
cleanup() {
  local rc=$?
  trap - EXIT
  if [ -n "$broker_dir" ]; then bash "$root/scripts/activemq.sh" clean "$broker_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "pack-test: $*"; }
started=$SECONDS

# --- the tarball -------------------------------------------------------------------------------
log "node $(node --version), npm $(npm --version 2>/dev/null)"
# From a checkout without dist/, as a fresh clone is: the package's prepack script builds it.
rm -rf dist
npm pack --pack-destination "$work" --loglevel=warn >/dev/null
tarballs=("$work"/nestjs-activemq-*.tgz)
[ -f "${tarballs[0]}" ] || { log "npm pack made no tarball in $work" >&2; exit 1; }
tarball=${tarballs[0]}
tar -tzf "$tarball" > "$work/tarball.txt"
log "packed $(basename "$tarball") ($(wc -l < "$work/tarball.txt") files, $(du -k "$tarball" | cut -f1) KiB)"
missing=()
for file in dist/esm/index.js dist/esm/index.d.ts dist/esm/package.json dist/cjs/index.js dist/cjs/index.d.ts \
            dist/cjs/package.json dist/esm/bin.js package.json README.md LICENSE CHANGELOG.md; do
  grep -qxF "package/$file" "$work/tarball.txt" || missing+=("$file")
done
if [ ${#missing[@]} -gt 0 ]; then log "the tarball lacks: ${missing[*]}" >&2; exit 1; fi

# --- the broker --------------------------------------------------------------------------------
if [ -n "${ACTIVEMQ_URL:-}" ]; then
  url=$ACTIVEMQ_URL
  log "broker: ACTIVEMQ_URL from the environment"
else
  broker_dir="$work/broker"
  bash scripts/activemq.sh start "$broker_dir" >/dev/null
  url=$(bash scripts/activemq.sh url "$broker_dir")
  log "broker: ActiveMQ started by scripts/activemq.sh (${url##*@})"
fi

# --- one app -----------------------------------------------------------------------------------
# run_app NAME FLAVOUR EXPECTED_TYPES DEP...: runs in a subshell with errexit; records the step it
# is at in $work/NAME.step and, once it passed, its summary in $work/NAME.summary.
run_app() {
  local name=$1 flavour=$2 expected_types=$3; shift 3
  local app="$work/$name" t0=$SECONDS
  step() { echo "$*" > "$work/$name.step"; }
  fail() { echo "$*" > "$work/$name.step"; log "$name: $*" >&2; exit 1; }
  log "== $name: $* =="
  step "copy the template"
  cp -R "$root/test/pack/$name" "$app"
  mv "$app/src/main.ts.in" "$app/src/main.ts"
  cd "$app"
  step "npm install"
  npm install --no-audit --no-fund --loglevel=error "$tarball" "$@"

  local core ts
  core=$(node -p "JSON.parse(require('fs').readFileSync('node_modules/@nestjs/core/package.json','utf8')).version")
  ts=$(./node_modules/.bin/tsc --version | awk '{print $NF}')

  # Types: the app's own tsc, against the package's .d.ts (skipLibCheck off). --listFiles tells
  # which of the package's index.d.ts it used.
  local types=() project used
  for project in tsconfig*.json; do
    step "tsc -p $project"
    ./node_modules/.bin/tsc -p "$project" --listFiles > "$app/tsc-$project.txt" || { grep -v '^/' "$app/tsc-$project.txt"; fail "tsc -p $project failed"; }
    used=$(grep -o 'node_modules/nestjs-activemq/dist/[a-z]*/index\.d\.ts$' "$app/tsc-$project.txt" | sed 's|node_modules/nestjs-activemq/||' | sort -u | paste -sd+ -)
    types+=("${used:-none} ($project)")
  done
  [ -f dist/main.js ] || fail "tsc emitted no dist/main.js"
  local joined
  joined=$(printf '%s, ' "${types[@]}"); joined=${joined%, }
  case ", $joined, " in
    *", $expected_types, "*) ;;
    *) fail "expected tsc to use $expected_types, it used: $joined" ;;
  esac
  # The package's import compiled as the app's module system says.
  case $flavour in
    cjs) grep -q 'require("nestjs-activemq")' dist/main.js || fail "dist/main.js does not require(\"nestjs-activemq\")" ;;
    esm) grep -qE "^import .* from ['\"]nestjs-activemq['\"]" dist/main.js || fail "dist/main.js does not import from 'nestjs-activemq'" ;;
  esac

  # The bin: no arguments prints the usage on stderr and exits 2; --help and broker --help print it
  # on stdout and exit 0.
  step "nestjs-activemq bin"
  local bin_rc=0
  ./node_modules/.bin/nestjs-activemq > "$app/bin.txt" 2>&1 || bin_rc=$?
  if [ "$bin_rc" != 2 ] || ! grep -q '^usage: nestjs-activemq broker' "$app/bin.txt"; then
    cat "$app/bin.txt"; fail "the nestjs-activemq bin exited $bin_rc without its usage"
  fi
  local help
  for help in --help "broker --help"; do
    bin_rc=0
    # shellcheck disable=SC2086 # "broker --help" is two arguments
    ./node_modules/.bin/nestjs-activemq $help > "$app/help.txt" 2> "$app/help.err" || bin_rc=$?
    if [ "$bin_rc" != 0 ] || ! grep -q '^usage: nestjs-activemq broker' "$app/help.txt" || [ -s "$app/help.err" ]; then
      cat "$app/help.txt" "$app/help.err"; fail "nestjs-activemq $help exited $bin_rc (want 0, the usage on stdout, nothing on stderr)"
    fi
  done

  # The request/reply.
  step "node dist/main.js"
  local out node_rc=0
  out=$(ACTIVEMQ_URL="$url" timeout 60 node dist/main.js 2>&1) || node_rc=$?
  echo "$out"
  if [ "$node_rc" != 0 ]; then
    local reason
    reason=$(grep -m 1 '^FAIL (' <<<"$out" || tail -n 1 <<<"$out")
    fail "node dist/main.js exited $node_rc${reason:+: $reason}"
  fi
  grep -qx "sum=6 via $flavour" <<<"$out" || fail "no 'sum=6 via $flavour' line"
  local resolved
  resolved=$(sed -n 's|^resolved nestjs-activemq -> .*/node_modules/nestjs-activemq/||p' <<<"$out")

  # examples/ (the README's quick start and every example in docs/), compiled by the app's own tsc
  # with its own module system; then the quick start runs as the README shows it, on the embedded
  # broker, and again with its one URI changed to the ActiveMQ above.
  step "examples: tsc"
  mkdir -p "$app/ex"
  cp -R "$root/examples/." "$app/ex/src"
  echo '{ "extends": "../tsconfig.json", "compilerOptions": { "rootDir": "src", "outDir": "dist" }, "include": ["src"] }' > "$app/ex/tsconfig.json"
  ./node_modules/.bin/tsc -p ex/tsconfig.json || fail "the examples do not compile in $name"
  [ -f ex/dist/quick-start/main.js ] || fail "tsc emitted no ex/dist/quick-start/main.js"
  step "examples: the quick start on the embedded broker"
  node "$root/test/pack/run-quick-start.mjs" ex/dist/quick-start/main.js > "$app/quick-start.txt" 2>&1 || { cat "$app/quick-start.txt"; fail "the quick start failed on the embedded broker"; }
  tail -n 1 "$app/quick-start.txt"
  step "examples: the quick start on ActiveMQ"
  grep -q "^export const BROKER_URI = 'vm://localhost';$" ex/src/quick-start/broker.ts || fail "broker.ts has no BROKER_URI line to change"
  sed -i "s|^export const BROKER_URI = 'vm://localhost';$|export const BROKER_URI = '$url';|" ex/src/quick-start/broker.ts
  ./node_modules/.bin/tsc -p ex/tsconfig.json || fail "the examples do not compile with the ActiveMQ URI"
  node "$root/test/pack/run-quick-start.mjs" ex/dist/quick-start/main.js > "$app/quick-start-activemq.txt" 2>&1 || { cat "$app/quick-start-activemq.txt"; fail "the quick start failed on ActiveMQ"; }
  tail -n 1 "$app/quick-start-activemq.txt"
  echo "PASS $name: sum=6 via $flavour; quick start on the embedded broker and ActiveMQ; node resolved $resolved; tsc types ${joined}; @nestjs/core $core, typescript $ts; $((SECONDS - t0))s" > "$work/$name.summary"
}

passed=0 failed=0
summaries=()
run() {
  local name=$1 rc
  set +e
  ( set -e; run_app "$@" )
  rc=$?
  set -e
  if [ "$rc" = 0 ] && [ -f "$work/$name.summary" ]; then
    passed=$((passed + 1)); summaries+=("$(cat "$work/$name.summary")")
  else
    failed=$((failed + 1)); summaries+=("FAIL $name (exit $rc): $(cat "$work/$name.step" 2>/dev/null || echo '?')")
  fi
}

run nest11-cjs cjs "dist/cjs/index.d.ts (tsconfig.node16.json)" \
  @nestjs/common@11 @nestjs/core@11 @nestjs/microservices@11 @nestjs/platform-express@11 @nestjs/terminus@11 @opentelemetry/api \
  reflect-metadata rxjs typescript@5 @types/node@20
run nest12-esm esm "dist/esm/index.d.ts (tsconfig.json)" \
  @nestjs/common@12 @nestjs/core@12 @nestjs/microservices@12 @nestjs/platform-express@12 @nestjs/terminus@12 @opentelemetry/api \
  reflect-metadata rxjs typescript @types/node@20

echo
for line in "${summaries[@]}"; do log "$line"; done
log "took $((SECONDS - started))s"
log "$passed passed, $failed failed"
[ "$failed" = 0 ]
