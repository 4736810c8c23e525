#!/usr/bin/env bash
# Fetch CIFAR-10 (python version) into datasets/cifar-10-batches-py.
# CIFAR10_ARCHIVE=/path/to/cifar-10-python.tar.gz uses a local archive instead of downloading.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/cifar-10-batches-py" ] && { echo "CIFAR-10 is already in $here/cifar-10-batches-py"; exit 0; }
archive=${CIFAR10_ARCHIVE:-}
if [ -z "$archive" ]; then
  archive="$here/cifar-10-python.tar.gz"
  curl -fL --retry 3 -o "$archive.part" https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
  mv "$archive.part" "$archive"
fi
tmp=$(mktemp -d "$here/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$archive" -C "$tmp"
[ -f "$tmp/cifar-10-batches-py/data_batch_1" ] || { echo "not a CIFAR-10 python archive: $archive" >&2; exit 1; }
mv "$tmp/cifar-10-batches-py" "$here/"
echo "CIFAR-10 unpacked into $here/cifar-10-batches-py"
