# Sourced by scripts/test.sh and scripts/demo.sh: makes sure Node 20+, pnpm and (for tests) Go are
# there, installing what is missing from the npm registry, Debian's packages or the Go module proxy.
# shellcheck shell=bash

PNPM_VERSION=12.21.0
export TURBO_TELEMETRY_DISABLED=1

log() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [[ $apt_updated -eq 0 ]]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_node() {
  if ! command -v node >/dev/null || (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
    log "installing Node.js from Debian's packages"
    apt_install nodejs npm
  fi
}

ensure_pnpm() {
  ensure_node
  if [[ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]]; then
    log "installing pnpm $PNPM_VERSION"
    npm install --global --no-audit --no-fund "pnpm@$PNPM_VERSION" >&2
  fi
}

# Go builds the conformance programs; an older Go fetches the toolchain go.mod asks for through
# the module proxy (GOTOOLCHAIN=auto).
ensure_go() {
  if ! command -v go >/dev/null; then
    if [[ -x /usr/local/go/bin/go ]]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      log "installing Go from Debian's packages"
      apt_install golang-go
    fi
  fi
  export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
}
