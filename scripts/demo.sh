#!/usr/bin/env bash
# Installs what is needed and runs the demo (apps/demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-tools.sh

ensure_pnpm
log "installing dependencies (frozen lockfile)"
pnpm install --frozen-lockfile >&2
log "building the demo"
pnpm exec turbo run build --filter=@rpcx/demo... --output-logs=errors-only >&2
pnpm --filter @rpcx/demo --silent start
