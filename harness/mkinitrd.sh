#!/bin/sh
# Packs a cpio newc initial RAM disk holding each program as /bin/<its name>:
#   mkinitrd.sh OUT.cpio PROGRAM...
set -eu
[ $# -ge 2 ] || { echo "usage: mkinitrd.sh OUT.cpio PROGRAM..." >&2; exit 2; }
out=$1
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/bin"
cp -- "$@" "$stage/bin/"
(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
