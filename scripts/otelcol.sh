#!/usr/bin/env bash
# Makes an OpenTelemetry Collector available for the @rpcx/opentelemetry OTLP test, building it
# when missing:
#
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/otelcol-<release>/otelcol-rpcx
#
# No Debian or npm package ships the collector, so scripts/otelcol (the collector core with the
# OTLP receiver and OTLP/HTTP exporter, pinned in its go.mod) is built from the Go module proxy
# once (~1-3 min on 2 cores) and cached by release, with a hash of its sources beside it (changed
# sources are built again); a repeat run only checks the binary. The launcher in @rpcx/testing (packages/testing/src/otel-collector-launcher.ts)
# runs it with a config of its own; nothing here starts it. `$RPCX_OTELCOL_BIN` names another
# binary (then this script only checks it).
#
# Prints the path of the binary.
set -euo pipefail
# log and ensure_go.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-tools.sh"

OTELCOL_RELEASE=0.165.0
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/otelcol" && pwd)"
cache="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"
hash="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)"
dir="$cache/otelcol-$OTELCOL_RELEASE"
bin="${RPCX_OTELCOL_BIN:-$dir/otelcol-rpcx}"

otelcol_ok() {
  local out
  [[ -x "$1" ]] && out="$("$1" --version 2>/dev/null)" && [[ "$out" == *" version $OTELCOL_RELEASE" ]] &&
    { [[ -n "${RPCX_OTELCOL_BIN:-}" ]] || [[ "$(cat "$dir/source.sha256" 2>/dev/null)" == "$hash" ]]; }
}

if ! otelcol_ok "$bin"; then
  if [[ -n "${RPCX_OTELCOL_BIN:-}" ]]; then
    log "otelcol.sh: RPCX_OTELCOL_BIN=$RPCX_OTELCOL_BIN is not the collector $OTELCOL_RELEASE"
    exit 1
  fi
  ensure_go
  mkdir -p "$dir"
  # One build at a time (parallel test runs on one machine): the others wait and reuse it.
  exec 9>"$dir/.build.lock"
  flock 9
  if ! otelcol_ok "$bin"; then
    log "otelcol.sh: building the OpenTelemetry Collector $OTELCOL_RELEASE from the Go module proxy"
    start=$SECONDS
    (
      cd "$src"
      CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$dir/otelcol-rpcx.tmp" .
    ) >&2
    mv -f "$dir/otelcol-rpcx.tmp" "$bin"
    echo "$hash" >"$dir/source.sha256"
    log "otelcol.sh: built $bin in $((SECONDS - start)) s"
  fi
fi

echo "$bin"
