#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds the Go peer, then
# runs the formatter and lint check, the import rule, the type check, the builds and every jest
# test (unit, property, Go conformance). Ends with one line "jest: N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-tools.sh

ensure_pnpm
ensure_go
# The TLS tests make throw-away certificates with the openssl CLI.
command -v openssl >/dev/null || apt_install openssl

log "installing dependencies (frozen lockfile)"
pnpm install --frozen-lockfile

log "building the Go conformance programs (Go rpcx from the module proxy)"
bash conformance/build.sh >/dev/null

log "format and lint (biome)"
pnpm lint

log "import rule (dependency-cruiser)"
pnpm deps:check

log "type check (tsc --noEmit, strict)"
pnpm typecheck

log "build (ESM + CJS)"
pnpm build

log "tests (jest)"
results=.jest-results.json
status=0
pnpm exec jest --ci --json --outputFile="$results" "$@" || status=$?
node scripts/jest-summary.cjs "$results"
exit "$status"
