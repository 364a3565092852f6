#!/usr/bin/env bash
# Runs the sample app (HTTP + microservice). By default it runs on the embedded broker in its own
# process (vm://localhost): nothing but Node is needed. SAMPLE_BROKER=activemq starts a real
# ActiveMQ with scripts/activemq.sh (and stops it afterwards); ACTIVEMQ_URL names any broker.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p sample/tsconfig.json
if [ -z "${ACTIVEMQ_URL:-}" ] && [ "${SAMPLE_BROKER:-embedded}" = activemq ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-activemq-sample-XXXXXX")
  trap 'bash scripts/activemq.sh clean "$dir"' EXIT
  bash scripts/activemq.sh start "$dir" >/dev/null
  ACTIVEMQ_URL=$(bash scripts/activemq.sh url "$dir")
  export ACTIVEMQ_URL
fi
node dist-sample/sample/main.js
