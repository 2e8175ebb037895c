#!/usr/bin/env bash
# Builds the Go conformance programs (vectorgen, framedecode, framegen,
# refserver, refclient, goxclient, hashgen, the registry interop pair regserver and
# regxclient, the peer-benchmark pair benchserver and benchclient, and redisrate, the Go
# side of the Redis rate limit tests, and otelrelay, the Go hop of the OpenTelemetry trace tests) into
# ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin and prints that directory last.
# Always runs `go build`; Go's build cache makes repeat runs fast.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin"

go_cmd="$(command -v go || true)"
if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then
  go_cmd=/usr/local/go/bin/go
fi
if [[ -z "$go_cmd" ]]; then
  echo "conformance/build.sh: go not found (need Go >= 1.26)" >&2
  exit 1
fi

mkdir -p "$bin"
cd "$here/go"
# The module graph is pinned by the committed go.mod/go.sum.
"$go_cmd" build -trimpath -o "$bin/" ./cmd/vectorgen ./cmd/framedecode ./cmd/framegen ./cmd/refserver ./cmd/refclient ./cmd/goxclient ./cmd/hashgen \
  ./cmd/regserver ./cmd/regxclient ./cmd/benchserver ./cmd/benchclient ./cmd/redisrate \
  ./cmd/otelrelay >&2
echo "$bin"
