#!/usr/bin/env bash
# Makes the etcd servers available, building or installing what is missing:
#
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/etcd-3.6.16/etcd    etcd v3.6.16 (current), built from the
#                                                             Go module proxy (etcd-server/ beside
#                                                             this script: a main calling
#                                                             etcdmain.Main), ~40 s to 2 min once
#   /usr/bin/etcd                                             Debian's etcd-server (3.4.x), apt-get
#                                                             (~15 s once); skipped with --no-debian
#
# A repeat run only checks the binaries (well under a second).
# `go install go.etcd.io/etcd/server/v3@...` is refused (replace directives), hence the small module.
# The Go programs of the TS <-> Go interop tests (regserver, regxclient) are built by
# conformance/build.sh.
#
# Prints two lines: the etcd 3.6 binary, then the Debian etcd 3.4 binary (an empty line when skipped
# or not installable). The launcher in @rpcx/testing (etcd-launcher.ts) looks for the same paths, or
# uses $RPCX_ETCD_BIN / $RPCX_ETCD34_BIN when set (then this script only checks them).
set -euo pipefail

ETCD_VERSION=3.6.16 # also in etcd-server/go.mod (beside this script) and etcd-launcher.ts
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"
etcd_dir="$cache/etcd-$ETCD_VERSION"
etcd_bin="${RPCX_ETCD_BIN:-$etcd_dir/etcd}"
etcd34_bin="${RPCX_ETCD34_BIN:-/usr/bin/etcd}"

debian=1
for arg in "$@"; do
  case "$arg" in
    --no-debian) debian=0 ;;
    *)
      echo "usage: etcd.sh [--no-debian]" >&2
      exit 2
      ;;
  esac
done

log() { printf '==> etcd.sh: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

go_cmd="$(command -v go || true)"
if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then go_cmd=/usr/local/go/bin/go; fi
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

# `etcd --version` prints "etcd Version: 3.6.16" first. (Read whole: with pipefail, `| head -n1`
# could fail on etcd's SIGPIPE.)
etcd_ok() {
  local out
  [[ -x "$1" ]] && out="$("$1" --version 2>/dev/null)" && [[ "${out%%$'\n'*}" == "etcd Version: $2" ]]
}

build_etcd() {
  if [[ -z "$go_cmd" ]]; then
    log "go not found (need Go >= 1.26 to build etcd v$ETCD_VERSION)"
    exit 1
  fi
  mkdir -p "$etcd_dir"
  # One build at a time (parallel runs on one machine): the others wait and reuse it.
  exec 9>"$etcd_dir/.build.lock"
  flock 9
  if etcd_ok "$etcd_dir/etcd" "$ETCD_VERSION"; then return; fi
  local start=$SECONDS
  log "building etcd v$ETCD_VERSION from the Go module proxy (once; ~40 s to 2 min)"
  (
    cd "$here/etcd-server"
    # The module graph is pinned by the committed go.mod/go.sum.
    CGO_ENABLED=0 "$go_cmd" build -trimpath -o "$etcd_dir/etcd.tmp" .
  ) >&2
  mv -f "$etcd_dir/etcd.tmp" "$etcd_dir/etcd"
  log "built $etcd_dir/etcd in $((SECONDS - start)) s"
}

if ! etcd_ok "$etcd_bin" "$ETCD_VERSION"; then
  if [[ -n "${RPCX_ETCD_BIN:-}" ]]; then
    log "RPCX_ETCD_BIN=$RPCX_ETCD_BIN is not etcd v$ETCD_VERSION"
    exit 1
  fi
  build_etcd
fi

# Debian's etcd 3.4, for a compatibility run: optional (the tests skip it when it is missing).
if [[ $debian == 1 ]] && ! [[ -x "$etcd34_bin" ]] && [[ -z "${RPCX_ETCD34_BIN:-}" ]]; then
  if command -v apt-get >/dev/null; then
    log "installing Debian's etcd-server (etcd 3.4)"
    start=$SECONDS
    if as_root apt-get update -qq >&2 &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 etcd-server >&2; then
      log "installed in $((SECONDS - start)) s"
    else
      log "could not install etcd-server; the etcd 3.4 tests will be skipped"
    fi
  fi
fi
if [[ $debian == 0 ]] || ! [[ -x "$etcd34_bin" ]]; then etcd34_bin=''; fi

echo "$etcd_bin"
echo "$etcd34_bin"
