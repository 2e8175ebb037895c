#!/usr/bin/env bash
# Checks the packages as a user gets them: packs every publishable package (pnpm pack applies
# publishConfig and turns workspace:^ into ^x.y.z), lints each tarball with arethetypeswrong and
# publint, reads its manifest, then installs all tarballs into a throw-away npm project (without
# the optional peers) and runs an ESM and a CJS consumer against them. Needs `pnpm build` first.
# Prints one line per check; exits non-zero if any failed. Writes only under a temp dir.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
here=$repo/scripts/check-packages
attw=$repo/node_modules/.bin/attw
publint=$repo/node_modules/.bin/publint

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tarballs" "$tmp/consumer"

checks=0
failed=0
pass() {
  checks=$((checks + 1))
  echo "ok   - $*"
}
fail() {
  checks=$((checks + 1))
  failed=$((failed + 1))
  echo "FAIL - $*"
}
# check "what" command...: one line, and the command's output only when it failed.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$what"; else
    fail "$what"
    printf '%s\n' "$out" | sed 's/^/       /'
  fi
}

# arethetypeswrong loads TypeScript for each tarball (~2 s): those runs go side by side, started
# here and read in package order below.
attw_run() {
  # Default (strict) profile: main/types (and codecs' typesVersions) make even node10 resolution
  # work, so every resolution mode must be clean; no rule is ignored. No @types lookups (offline).
  if "$attw" "$1" --no-definitely-typed --no-emoji --no-color --format ascii >"$2.out" 2>&1; then
    echo 0 >"$2.status"
  else
    echo 1 >"$2.status"
  fi
}

tarballs=()
names=()
folders=()
for dir in packages/*/; do
  dir=${dir%/}
  [[ $(node -p "require('./$dir/package.json').private === true") == true ]] && continue
  name=$(node -p "require('./$dir/package.json').name")
  if ! tgz=$(cd "$dir" && pnpm pack --pack-destination "$tmp/tarballs" 2>&1 | tail -n 1) ||
    [[ ! -f $tgz ]]; then
    fail "$name: pnpm pack"
    continue
  fi
  pass "$name: pnpm pack ($(basename "$tgz"))"
  tarballs+=("$tgz")
  names+=("$name")
  folders+=("${dir#packages/}")
  attw_run "$tgz" "$tmp/attw-${dir#packages/}" &
done
wait

for i in "${!tarballs[@]}"; do
  tgz=${tarballs[$i]}
  name=${names[$i]}
  folder=${folders[$i]}
  if [[ $(cat "$tmp/attw-$folder.status") == 0 ]]; then pass "$name: arethetypeswrong"; else
    fail "$name: arethetypeswrong"
    sed 's/^/       /' "$tmp/attw-$folder.out"
  fi
  # --strict: its warnings fail too, not only its errors (a missing file, conditions out of order).
  check "$name: publint --strict" "$publint" run "$tgz" --strict
  mkdir "$tmp/$folder"
  tar -xzf "$tgz" -C "$tmp/$folder"
  check "$name: packed manifest and files" \
    node "$here/manifest.mjs" "$tmp/$folder/package" "$folder"
done

# The registry packages (and @rpcx/ratelimit-redis, @rpcx/opentelemetry, @rpcx/metrics) are checked
# apart (below): each brings its own client library (or peer: @opentelemetry/api, prom-client) from
# npm.
core_tgz=""
registry_tarballs=()
runtime_tarballs=()
for i in "${!tarballs[@]}"; do
  case ${folders[$i]} in
  registry-* | ratelimit-* | opentelemetry | metrics) registry_tarballs+=("${tarballs[$i]}") ;;
  *) runtime_tarballs+=("${tarballs[$i]}") ;;
  esac
  [[ ${folders[$i]} == core ]] && core_tgz=${tarballs[$i]}
done

# A user of one registry package gets its client library and nothing of the other registries':
# core + that package in a project of their own (@rpcx/* from the tarballs, the client library
# from npm).
registry_libs=(etcd3 node-zookeeper-client consul multicast-dns @redis/client)
for tgz in "${registry_tarballs[@]}"; do
  folder=$(basename "$tgz" | sed -E 's/^rpcx-((registry|ratelimit)-[a-z]+|opentelemetry|metrics)-[0-9].*$/\1/')
  own=$(tar -xOzf "$tgz" package/package.json | node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Object.keys(p.dependencies).filter((d) => !d.startsWith("@rpcx/")).join(" "))')
  dir="$tmp/consumer-$folder"
  mkdir -p "$dir"
  if (cd "$dir" && npm init -y >/dev/null 2>&1 &&
    npm install --prefer-offline --no-audit --no-fund --ignore-scripts "$core_tgz" "$tgz" >install.log 2>&1); then
    pass "$folder: npm install of @rpcx/core + @rpcx/$folder tarballs"
    check "$folder: @rpcx/* installed from the tarballs" bash -c "cd '$dir' && node '$here/installed-from-tarballs.cjs'"
    for lib in "${registry_libs[@]}"; do
      present=$([[ -d $dir/node_modules/$lib ]] && echo yes || echo no)
      if [[ " $own " == *" $lib "* ]]; then
        [[ $present == yes ]] && pass "$folder: brings $lib" || fail "$folder: brings $lib"
      elif [[ $present == no ]]; then pass "$folder: nothing of $lib"; else
        fail "$folder: nothing of $lib (found node_modules/$lib)"
      fi
    done
    check "$folder: loads in ESM and CJS" bash -c "cd '$dir' && node --input-type=module -e \"const m = await import('@rpcx/$folder'); if (Object.keys(m).length < 2) process.exit(1);\" && node -e \"const m = require('@rpcx/$folder'); if (Object.keys(m).length < 2) process.exit(1);\""
  else
    fail "$folder: npm install of @rpcx/core + @rpcx/$folder tarballs"
    sed 's/^/       /' "$dir/install.log" | tail -n 20
  fi
done

cd "$tmp/consumer"
# All the other tarballs in one install, so the @rpcx/* ranges are met by each other, not by the
# registry; --offline makes a registry lookup fail instead of happening.
if npm init -y >/dev/null 2>&1 &&
  out=$(npm install --offline --no-audit --no-fund --ignore-scripts "${runtime_tarballs[@]}" 2>&1); then
  pass "consumer: npm install of ${#runtime_tarballs[@]} tarballs"
  check "consumer: @rpcx/* installed from the tarballs" node "$here/installed-from-tarballs.cjs"
  for peer in @msgpack/msgpack protobufjs; do
    found=$(find node_modules -path "*/node_modules/$peer" -prune -print | head -n 1)
    if [[ -z $found ]]; then pass "consumer: $peer is not installed (optional peer)"; else
      fail "consumer: $peer is not installed (optional peer): found $found"
    fi
  done
  cp "$here/consumer-checks.cjs" "$here/consumer.mjs" "$here/consumer.cjs" .
  run_consumers() {
    for consumer in consumer.mjs consumer.cjs; do
      # The consumer closes its client and server, so it must exit by itself: a timeout is a leak.
      status=0
      out=$(timeout 30 node "$consumer" "$@" 2>&1) || status=$?
      printf '%s\n' "$out"
      checks=$((checks + $(grep -cE '^(ok  |FAIL) - ' <<<"$out" || true)))
      failed=$((failed + $(grep -c '^FAIL - ' <<<"$out" || true)))
      if [[ $status -eq 124 ]]; then
        fail "$consumer: exits after closing client and server (still running after 30 s)"
      elif [[ $status -ne 0 ]] && ! grep -q '^FAIL - ' <<<"$out"; then
        fail "$consumer: exited with status $status"
      fi
    done
  }
  run_consumers
  # Then as a MsgPack user: the library in place (copied from the workspace, no registry), the
  # codec is loaded from the packed @rpcx/codecs on first use.
  msgpack=$(node -p "require('path').dirname(require.resolve('@msgpack/msgpack/package.json', { paths: ['$repo/packages/codecs'] }))")
  mkdir -p node_modules/@msgpack && cp -r "$msgpack" node_modules/@msgpack/msgpack
  run_consumers --msgpack-installed
else
  fail "consumer: npm install of ${#runtime_tarballs[@]} tarballs"
  printf '%s\n' "${out:-}" | sed 's/^/       /'
fi

echo "check-packages: $checks checks, $failed failed"
[[ $failed -eq 0 ]]
