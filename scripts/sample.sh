#!/usr/bin/env bash
# Runs the sample app: compiles it, starts a real ActiveMQ with scripts/activemq.sh unless
# ACTIVEMQ_URL names one, runs the app against it, and stops the broker again.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p sample/tsconfig.json
if [ -z "${ACTIVEMQ_URL:-}" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-activemq-sample-XXXXXX")
  trap 'bash scripts/activemq.sh clean "$dir"' EXIT
  bash scripts/activemq.sh start "$dir" >/dev/null
  ACTIVEMQ_URL=$(bash scripts/activemq.sh url "$dir")
  export ACTIVEMQ_URL
fi
node dist-sample/sample/main.js
