#!/usr/bin/env bash
# The Expo app's CI step: a clean install, the type check, and the jest-expo suite against the real
# REST API and collab server (PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 must be up, as
# for the root's tests). Usage: mobile/ci.sh [file for jest's JSON report] (npm run test:mobile at the root)
set -euo pipefail

report_options=()
[[ -z "${1:-}" ]] || report_options=(--json --outputFile="$(realpath -m "$1")")
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
# Node 22 from the root's devDependencies first: Expo SDK 58 needs >= 22.13, and so do the servers the tests start.
export PATH="$root/node_modules/.bin:$PATH"

# .ci/run installs while the root's tests run, then sets MOBILE_INSTALLED=1.
[[ "${MOBILE_INSTALLED:-}" == 1 ]] || npm ci --no-audit --no-fund --loglevel=error
npm run -s typecheck
npx jest --ci "${report_options[@]}"
