#!/usr/bin/env bash
# Install CIFAR-10 (python version) where nndl.data_utils looks for it: $NNDL_DATA/cifar-10-batches-py
# when NNDL_DATA is set, else cifar-10-batches-py next to this script (the checkout's datasets/).
#
#   bash datasets/get_cifar10.sh                          download the official archive (163 MB)
#   CIFAR10_ARCHIVE=path bash datasets/get_cifar10.sh     install from a local archive in the official format
#   CIFAR10_MD5=md5                                       expect this md5 instead of the official one
#                                                         (a copy repacked elsewhere has its own md5)
#
# Nothing is installed unless the archive has the expected md5 and holds every file, complete.
# The download and the extraction happen in a temporary folder next to the destination, which is
# renamed into place only at the end: an interrupted run leaves nothing that passes for data.
# When the data is already there, the script says so and does nothing.
set -euo pipefail
url=${CIFAR10_URL:-https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz}
official_md5=c58f30108f718f92721af3b95e74349a
md5=${CIFAR10_MD5:-$official_md5}
here=$(cd "$(dirname "$0")" && pwd)
target=${NNDL_DATA:-$here}
dest=$target/cifar-10-batches-py
batches="data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch"

die() { echo "get_cifar10: $*" >&2; exit 1; }

# Every file a loader reads is there, a regular file, and each batch is larger than its
# 10000 x 3072 bytes of pixels: a truncated batch fails this.
complete() {
  [ -f "$1/batches.meta" ] && [ ! -L "$1/batches.meta" ] || return 1
  for f in $batches; do
    [ -f "$1/$f" ] && [ ! -L "$1/$f" ] && [ "$(wc -c < "$1/$f")" -gt 30720000 ] || return 1
  done
}

md5_of() { if command -v md5sum > /dev/null; then md5sum "$1" | cut -d' ' -f1; else md5 -q "$1"; fi; }

if [ -e "$dest" ]; then
  complete "$dest" && { echo "CIFAR-10 is already in $dest"; exit 0; }
  die "$dest exists but is incomplete: remove it and run this again"
fi

mkdir -p "$target"
tmp=$(mktemp -d "$target/.cifar-10-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM  # run the EXIT trap on Ctrl-C too

if [ -n "${CIFAR10_ARCHIVE:-}" ]; then
  archive=$CIFAR10_ARCHIVE
  [ -f "$archive" ] || die "CIFAR10_ARCHIVE=$archive: no such file"
  what="$archive"
else
  archive=$tmp/cifar-10-python.tar.gz
  echo "Downloading $url"
  curl -fL --retry 3 --progress-bar -o "$archive" "$url" \
    || die "download failed; run this again, or install a local copy with CIFAR10_ARCHIVE=path"
  what="the download from $url"
fi

echo "Verifying the md5 of $what"
got=$(md5_of "$archive")
if [ "$got" != "$md5" ]; then
  [ -z "${CIFAR10_ARCHIVE:-}" ] && die "md5 of $what is $got, expected $md5: the download is damaged, run this again"
  source=${CIFAR10_MD5:+"given by CIFAR10_MD5"}
  die "md5 of $archive is $got, expected $md5 (${source:-"the official archive's"}). A copy repacked elsewhere has its own md5: if you trust this one, run again with CIFAR10_MD5=<the md5 published with it>"
fi

tar -xzf "$archive" -C "$tmp" cifar-10-batches-py || die "$what has no cifar-10-batches-py folder"
complete "$tmp/cifar-10-batches-py" \
  || die "$what lacks a file of cifar-10-batches-py ($batches batches.meta) or has a truncated one"
mv "$tmp/cifar-10-batches-py" "$dest"  # a rename within one folder: all or nothing
echo "CIFAR-10 installed in $dest"
