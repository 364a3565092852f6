#!/usr/bin/env bash
# Switches the installed @nestjs/* packages to one major (11 or 12) without touching
# package.json or the lockfile, so the test suite can run on each. `npm ci` restores the lockfile's.
set -euo pipefail
major=${1:?usage: scripts/nest-major.sh 11|12}
case "$major" in 11|12) ;; *) echo "nest-major.sh: major must be 11 or 12, got '$major'" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
npm install --no-save --no-audit --no-fund \
  "@nestjs/common@$major" "@nestjs/core@$major" "@nestjs/microservices@$major" "@nestjs/testing@$major" \
  "@nestjs/platform-express@$major"
node -e "const v=require('@nestjs/core/package.json').version; if(!v.startsWith('$major.')){console.error('expected @nestjs/core $major, found '+v);process.exit(1)} console.log('@nestjs/core '+v)"
