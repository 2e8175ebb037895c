#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds the Go peer, then
# runs the formatter and lint check, the import rule, the type check, the builds, the checks of the
# packed packages and every jest test (unit, property, Go conformance). Ends with one line
# "jest: N passed, N failed".
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

# The registry servers the registry tests start (etcd, ZooKeeper, Consul; for mDNS the tools of
# its network namespace), the Redis of the rate limit tests (scripts/redis.sh), the Prometheus
# of the metrics tests (scripts/prometheus.sh) and the OpenTelemetry Collector of the tracing
# tests (scripts/otelcol.sh): installed or built once and cached outside the repo, keyed by
# version. A
# first build takes minutes (Consul), so it runs beside the checks below and is waited for before
# jest.
registries_log=$(mktemp)
log "registry servers: installing or building what is missing, in the background ($registries_log)"
(
  set -e
  for script in scripts/registries/*.sh scripts/redis.sh scripts/prometheus.sh scripts/otelcol.sh; do
    [ -e "$script" ] || continue
    echo "== $script"
    bash "$script"
  done
) >"$registries_log" 2>&1 &
registries_pid=$!

log "format and lint (biome)"
pnpm lint

log "import rule (dependency-cruiser)"
pnpm deps:check

log "type check (tsc --noEmit, strict)"
pnpm typecheck

log "build (ESM + CJS)"
pnpm build

log "packages as published (pack, arethetypeswrong, publint, ESM + CJS consumer)"
bash scripts/check-packages.sh

log "waiting for the registry servers"
if ! wait "$registries_pid"; then
  cat "$registries_log" >&2
  log "installing or building a registry server failed (log above)"
  exit 1
fi

log "tests (jest)"
results=.jest-results.json
rm -f "$results"
status=0
# A test that leaves a socket, timer or child process open keeps jest from exiting after the run
# (it has written its results by then): stop it after a limit instead of hanging until CI's.
limit_s="${RPCX_JEST_LIMIT_S:-1200}"
timeout --kill-after=10s "$limit_s" node_modules/.bin/jest --ci --json --outputFile="$results" "$@" ||
  status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  log "jest did not exit within ${limit_s} s: a test left something open" \
    "(find it with: pnpm exec jest --detectOpenHandles <spec>)"
fi
if [ -f "$results" ]; then node scripts/jest-summary.cjs "$results"; fi
exit "$status"
