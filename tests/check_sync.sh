#!/usr/bin/env bash
# Fail unless the tree is what nbdev makes of it: nndl/ exactly as nbdev_export writes it from the
# notebooks, and every notebook exactly as nbdev_clean leaves it. The check runs in a scratch copy
# of the working tree (tracked files and untracked ones git does not ignore), so it never touches
# your files; in CI's fresh clone that copy is exactly what was committed.
set -euo pipefail
bin=$(cd "${1:-.venv/bin}" && pwd)
top=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$top"
{ git ls-files -z; git ls-files -z --others --exclude-standard; } | sort -zu \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && cp --parents -P "$f" "$scratch"; done
cd "$scratch"
git init -q && git add -A && git -c user.name=check -c user.email=check@localhost commit -qm tree
"$bin/nbdev_export"
"$bin/nbdev_clean"
status=$(git status --porcelain)
if [ -n "$status" ]; then
  echo "check_sync: FAILED. nbdev_export/nbdev_clean would change these files:" >&2
  echo "$status" >&2
  git --no-pager diff --stat >&2
  echo "nndl/ is generated: edit the notebooks, then run nbdev_export and nbdev_clean (make export)." >&2
  exit 1
fi
echo "check_sync: nndl/ matches the notebooks and every notebook is clean"
