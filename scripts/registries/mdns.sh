#!/usr/bin/env bash
# Builds the Go side of the mDNS interop tests (conformance/go-registry/mdns, Go rpcx v1.9.4 with
# its built-in mDNS plugin and discovery — github.com/grandcat/zeroconf; rpcx's default build
# tags include them, no tag is needed):
#
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin/mdns-goserver    Go rpcx server + MDNSRegisterPlugin
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin/mdns-goxclient   Go XClient over MDNSDiscovery
#
# mDNS needs no server to install. Always runs `go build`: the first build on a fresh machine
# takes about a minute and a half (module downloads + compile), a repeat with the Go build cache
# a second or two. Prints the bin directory last. Both programs refuse to run outside the
# tests' network namespace (interfaces other than lo/br0).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin"

go_cmd="$(command -v go || true)"
if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then go_cmd=/usr/local/go/bin/go; fi
if [[ -z "$go_cmd" ]]; then
  echo "mdns.sh: go not found (need Go >= 1.26)" >&2
  exit 1
fi

mkdir -p "$bin"
cd "$repo/conformance/go-registry/mdns"
# The module graph is pinned by the committed go.mod/go.sum.
"$go_cmd" build -trimpath -o "$bin/" ./cmd/mdns-goserver ./cmd/mdns-goxclient >&2
echo "$bin"
