#!/usr/bin/env bash
# Makes a Prometheus server available for the @rpcx/metrics end-to-end test, installing it when
# missing:
#
#   /usr/bin/prometheus    Debian's `prometheus` package (2.42), apt-get --no-install-recommends
#                          (~20 s once)
#
# The launcher in @rpcx/testing (packages/testing/src/prometheus-launcher.ts) runs the binary itself
# with a temporary config and data directory on a free loopback port; nothing here starts it. The
# package's service is kept from starting while it installs (a policy-rc.d that says no, unless one
# is already there); there is no systemd in the test machines anyway. The installed version is
# recorded in the cache dir (prometheus-<version>.ok). A repeat run only checks the binary (well
# under a second). `$RPCX_PROMETHEUS_BIN` names another binary (then this script only checks it).
#
# Prints the path of the binary.
set -euo pipefail
# log and as_root.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-tools.sh"

bin="${RPCX_PROMETHEUS_BIN:-/usr/bin/prometheus}"
cache_dir="${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}"

if [[ ! -x $bin ]]; then
  if [[ -n "${RPCX_PROMETHEUS_BIN:-}" ]]; then
    log "prometheus.sh: RPCX_PROMETHEUS_BIN=$RPCX_PROMETHEUS_BIN is not an executable"
    exit 1
  fi
  log "prometheus.sh: installing Debian's prometheus package"
  start=$SECONDS
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [[ ! -e $policy ]]; then
    # Debian's maintainer scripts ask policy-rc.d before starting a service: 101 = not allowed.
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    made_policy=1
  fi
  status=0
  {
    # Other installs (the registry scripts) may hold dpkg's lock: wait for it instead of failing.
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends prometheus
  } >&2 || status=$?
  if [[ $made_policy -eq 1 ]]; then as_root rm -f "$policy"; fi
  if [[ $status -ne 0 ]]; then
    log "prometheus.sh: apt-get install prometheus failed (status $status)"
    exit "$status"
  fi
  log "prometheus.sh: installed in $((SECONDS - start)) s"
fi
if [[ ! -x $bin ]]; then
  log "prometheus.sh: no Prometheus binary at $bin after installing"
  exit 1
fi
version="$("$bin" --version 2>&1 | sed -n 's/^prometheus, version \([0-9.]*\).*/\1/p' | head -n 1)"
mkdir -p "$cache_dir"
touch "$cache_dir/prometheus-${version:-unknown}.ok"

echo "$bin"
