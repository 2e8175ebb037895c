#!/usr/bin/env bash
# Makes the baseline checkout of the load run's before/after mode (apps/bench/README.md):
#
#   apps/bench/scripts/baseline.sh <git-rev> <dir>
#
# exports <git-rev> into <dir> with `git archive` (so nothing is added to the repository, its
# worktrees or its .git), records the commit in <dir>/.baseline-commit, installs it and builds what
# the load run needs. <dir> must be new or empty, and outside every worktree of the repository.
# Then: node apps/bench/dist/load/main.js --baseline <dir>
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <git-rev> <dir>" >&2
  exit 2
fi
rev=$1
dir=$(realpath -m "$2")
repo=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)

# Refused before anything is created: inside a worktree, the checkout would become part of it.
while read -r key worktree; do
  [[ $key == worktree ]] || continue
  worktree=$(realpath -m "$worktree")
  if [[ $dir == "$worktree" || $dir == "$worktree"/* ]]; then
    echo "baseline.sh: $dir is inside the worktree $worktree; pick a directory outside it" >&2
    exit 2
  fi
done < <(git -C "$repo" worktree list --porcelain)
if [[ -e $dir && -n $(ls -A "$dir") ]]; then
  echo "baseline.sh: $dir is not empty; remove it or pick another" >&2
  exit 2
fi

commit=$(git -C "$repo" rev-parse --verify --end-of-options "$rev^{commit}")
mkdir -p "$dir"
git -C "$repo" archive --format=tar "$commit" | tar -x -C "$dir"
echo "$commit" >"$dir/.baseline-commit"

# shellcheck source=../../../scripts/ensure-tools.sh
source "$repo/scripts/ensure-tools.sh"
ensure_pnpm
cd "$dir"
pnpm install --frozen-lockfile
# The bench app and the packages it depends on: all the load run loads from the baseline.
pnpm exec turbo run build --filter=@rpcx/bench...
echo "baseline $commit ready in $dir" >&2
