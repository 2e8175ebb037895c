#!/usr/bin/env bash
# mDNS needs no registry server: every mDNS test runs inside a network namespace of its own
# (@rpcx/testing netns.ts: `unshare --net`, then `ip` turns lo up with multicast, routes
# 224.0.0.0/4 to it and adds the empty bridge br0 Go's zeroconf needs). This script makes sure
# those two tools are there, installing Debian's iproute2 (`ip`) or util-linux (`unshare`) when
# missing; a repeat run only checks them (well under a second). The Go programs of the TS <-> Go
# interop tests (regserver, regxclient) are built by conformance/build.sh.
set -euo pipefail

log() { printf '==> mdns.sh: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi
