#!/usr/bin/env bash
# Makes ZooKeeper and the Go ZooKeeper interop programs available, installing what is missing:
#
#   Debian's `zookeeper` package (3.8.x, java)  ZooKeeper itself, run standalone by the launcher in
#                                                @rpcx/testing (packages/testing/src/zookeeper-launcher.ts)
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin/zookeeper-goserver    Go rpcx server + rpcx-zookeeper plugin
#   ${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/bin/zookeeper-goxclient   Go XClient + rpcx-zookeeper discovery
#
# ZooKeeper: `apt-get install --no-install-recommends zookeeper` (~15 s, nothing auto-starts) when
# its jar is missing; the installed version is recorded in the cache dir (zookeeper-<version>.ok).
# A repeat run only checks the files (well under a second). The Go programs are built from
# conformance/go-registry/zookeeper with the normal Go caches (first build ~1 min with downloads,
# then a second or two).
#
# Prints two lines: the Java class path to start ZooKeeper with, then the bin directory.
# The launcher uses $RPCX_ZOOKEEPER_CLASSPATH if set (then this script only checks it), else
# /etc/zookeeper/conf:/usr/share/java/zookeeper.jar; java is $JAVA_HOME/bin/java or `java`.
# Pass --zookeeper-only to skip the Go programs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"
bin="$cache/bin"
classpath="${RPCX_ZOOKEEPER_CLASSPATH:-/etc/zookeeper/conf:/usr/share/java/zookeeper.jar}"

log() { printf '==> zookeeper.sh: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# The zookeeper jar named on the class path (the entry ending in zookeeper.jar, or the first jar).
zk_jar() {
  local entry first=''
  IFS=':' read -r -a entries <<<"$classpath"
  for entry in "${entries[@]}"; do
    [[ $entry == *.jar ]] || continue
    [[ -z $first ]] && first=$entry
    if [[ $entry == *zookeeper.jar || $entry == *zookeeper-3*.jar ]]; then
      echo "$entry"
      return
    fi
  done
  echo "$first"
}

java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/java}"
java_cmd="${java_cmd:-java}"

jar="$(zk_jar)"
if [[ ! -f $jar ]] || ! command -v "$java_cmd" >/dev/null; then
  if [[ -n "${RPCX_ZOOKEEPER_CLASSPATH:-}" ]]; then
    log "RPCX_ZOOKEEPER_CLASSPATH=$RPCX_ZOOKEEPER_CLASSPATH names no zookeeper jar, or java is missing"
    exit 1
  fi
  log "installing Debian's zookeeper package (and a Java runtime)"
  start=$SECONDS
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >&2
  log "installed in $((SECONDS - start)) s"
fi
if [[ ! -f $jar ]]; then
  log "no ZooKeeper jar at $jar after installing"
  exit 1
fi
version="$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown)"
mkdir -p "$cache"
touch "$cache/zookeeper-${version%%-*}.ok"

if [[ "${1:-}" != --zookeeper-only ]]; then
  go_cmd="$(command -v go || true)"
  if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then go_cmd=/usr/local/go/bin/go; fi
  if [[ -z "$go_cmd" ]]; then
    log "go not found (need Go >= 1.26 for the interop programs)"
    exit 1
  fi
  mkdir -p "$bin"
  cd "$repo/conformance/go-registry/zookeeper"
  # The module graph is pinned by the committed go.mod/go.sum.
  GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" "$go_cmd" build -trimpath -o "$bin/" \
    ./cmd/zookeeper-goserver ./cmd/zookeeper-goxclient >&2
fi

echo "$classpath"
echo "$bin"
