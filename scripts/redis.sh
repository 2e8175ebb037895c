#!/usr/bin/env bash
# Makes redis-server available for the tests of @rpcx/ratelimit-redis, installing it when missing:
#
#   Debian's `redis-server` package (7.0.x)   run by the launcher in @rpcx/testing
#                                              (packages/testing/src/redis-launcher.ts) on a free
#                                              loopback port with a temp dir, never as the service
#
# `apt-get install --no-install-recommends redis-server` (a few seconds) when the binary is
# missing; in a container the package's service is not started (no init system), and our tests
# never use it. A repeat run only looks for the binary (well under a second). Prints the path of
# redis-server. The launcher uses $RPCX_REDIS_SERVER if set (then this script only checks it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-tools.sh

binary="${RPCX_REDIS_SERVER:-/usr/bin/redis-server}"
if [[ ! -x $binary && -z "${RPCX_REDIS_SERVER:-}" ]]; then
  log "redis.sh: installing Debian's redis-server package"
  apt_install --no-install-recommends redis-server >&2
fi
if [[ ! -x $binary ]]; then
  log "redis.sh: no redis-server at $binary${RPCX_REDIS_SERVER:+ (RPCX_REDIS_SERVER)}"
  exit 1
fi
echo "$binary"
