#!/usr/bin/env bash
# Makes ZooKeeper available, installing it when missing:
#
#   Debian's `zookeeper` package (3.8.x, java)  ZooKeeper itself, run standalone by the launcher in
#                                                @rpcx/testing (packages/testing/src/zookeeper-launcher.ts)
#
# `apt-get install --no-install-recommends zookeeper` (~15 s, nothing auto-starts) when its jar is
# missing; the installed version is recorded in the cache dir (zookeeper-<version>.ok). A repeat run
# only checks the files (well under a second). The Go programs of the TS <-> Go interop tests
# (regserver, regxclient) are built by conformance/build.sh.
#
# Prints the Java class path to start ZooKeeper with. The launcher uses $RPCX_ZOOKEEPER_CLASSPATH if
# set (then this script only checks it), else /etc/zookeeper/conf:/usr/share/java/zookeeper.jar;
# java is $JAVA_HOME/bin/java or `java`.
set -euo pipefail

cache="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"
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

echo "$classpath"
