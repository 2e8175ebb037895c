#!/usr/bin/env bash
# Makes a Consul agent available, building it when missing:
#
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/consul-1.14.11/consul   Consul v1.14.11 (MPL-2.0)
#
# No Debian or npm package ships Consul, and releases after 1.14 are BUSL or cannot be built from the
# Go module proxy, so v1.14.11 is built from the proxy once (~4-12 min on 2 cores, 159 MB) and cached
# by version; a repeat run only checks the binary (seconds). The build uses its own GOMODCACHE and
# GOCACHE under the cache dir (~3.6 GB while building) and deletes them when the build ends (an
# interrupted build's leftovers go at the next build). The Go programs of the TS <-> Go interop
# tests (regserver, regxclient) are built by conformance/build.sh.
#
# Prints the Consul binary path. `@rpcx/testing`'s Consul launcher looks for the binary at the same
# path, or at $RPCX_CONSUL_BIN if set (then this script only checks it).
set -euo pipefail

CONSUL_VERSION=1.14.11
cache="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"
consul_dir="$cache/consul-$CONSUL_VERSION"
consul_bin="${RPCX_CONSUL_BIN:-$consul_dir/consul}"

log() { printf '==> consul.sh: %s\n' "$*" >&2; }

go_cmd="$(command -v go || true)"
if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then go_cmd=/usr/local/go/bin/go; fi

consul_ok() {
  local out
  # No pipe into head/grep: with pipefail an early-closing reader (SIGPIPE) would fail the check.
  [[ -x "$1" ]] && out="$("$1" version 2>/dev/null)" && [[ "${out%%$'\n'*}" == "Consul v$CONSUL_VERSION" ]]
}

# Removes a build dir (the module cache in it is read-only by design).
remove_build_dir() {
  chmod -R u+w "$1" 2>/dev/null || true
  rm -rf "$1"
}

build_consul() {
  if [[ -z "$go_cmd" ]]; then
    log "go not found (need Go >= 1.21 to build Consul v$CONSUL_VERSION)"
    exit 1
  fi
  mkdir -p "$consul_dir"
  # One build at a time (parallel test runs on one machine): the others wait and reuse it.
  exec 9>"$consul_dir/.build.lock"
  flock 9
  if consul_ok "$consul_dir/consul"; then return; fi

  local work start
  # Leftovers of an interrupted build (each holds GBs of Go caches).
  for stale in "$consul_dir"/build.*; do [[ -d $stale ]] && remove_build_dir "$stale"; done
  work="$(mktemp -d "$consul_dir/build.XXXXXX")"
  # shellcheck disable=SC2064 # expand $work now
  trap "remove_build_dir '$work'" EXIT
  start=$SECONDS
  log "building Consul v$CONSUL_VERSION from the Go module proxy (once: ~4 min on 2 idle cores, 12 min seen on a busy machine)"
  (
    export GOMODCACHE="$work/gomod" GOCACHE="$work/gocache" GOPATH="$work/gopath"
    export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
    cd "$work"
    # The proxy lists no versions for consul: name it exactly.
    src="$("$go_cmd" mod download -json "github.com/hashicorp/consul@v$CONSUL_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    cp -r "$src" "$work/src"
    chmod -R u+w "$work/src"
    cd "$work/src"
    # Use the released api/sdk/proto-public modules instead of the repo's nested directories.
    "$go_cmd" mod edit -dropreplace=github.com/hashicorp/consul/api \
      -dropreplace=github.com/hashicorp/consul/sdk \
      -dropreplace=github.com/hashicorp/consul/proto-public
    "$go_cmd" list -deps . >/dev/null
    "$go_cmd" build -trimpath -o "$work/consul" .
  ) >&2
  mv -f "$work/consul" "$consul_dir/consul"
  remove_build_dir "$work"
  trap - EXIT
  log "built $consul_dir/consul in $((SECONDS - start)) s"
}

if ! consul_ok "$consul_bin"; then
  if [[ -n "${RPCX_CONSUL_BIN:-}" ]]; then
    log "RPCX_CONSUL_BIN=$RPCX_CONSUL_BIN is not Consul v$CONSUL_VERSION"
    exit 1
  fi
  build_consul
fi

echo "$consul_bin"
