#!/usr/bin/env bash
# Rebuilds the ext2 target's seed corpus (fuzz/ext2/corpus): small ext2 images made by
# mke2fs -d from a tree like the ext2 tests' (files, one needing an indirect block, nested
# directories, a fast and a slow symlink), with 1 KiB, 2 KiB and 4 KiB blocks, an empty
# one, and damaged copies of the first made by the ext2 tests' own generator
# (kernel/fs/ext2/tests/ext2_mangle.py) with the seeds of its regressions (on this smaller
# base image, so other bytes than those regressions') and a few more. A rerun gives equal
# trees, not byte-identical images.
# Usage: fuzz/ext2/make_corpus.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mangle=$here/../../kernel/fs/ext2/tests/ext2_mangle.py
out=${1:-$here/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/src/sub/deep" "$work/empty"
echo data >"$work/src/file"
seq 1 2500 >"$work/src/big" # past the 12 direct blocks of 1 KiB
seq 1 100 >"$work/src/sub/deep/leaf"
ln -s file "$work/src/fast"
ln -s "$(printf 'x%.0s' $(seq 1 80))" "$work/src/slow"
find "$work/src" "$work/empty" -exec touch -h -d @1700000000 {} +
export E2FSPROGS_FAKE_TIME=1700000000
mk() { # mk NAME SIZE OPTIONS... : an image of the tree
	local name=$1 size=$2
	shift 2
	rm -f "$out/$name"
	truncate -s "$size" "$out/$name" # whole: mke2fs leaves unused blocks at the end unwritten
	mke2fs -q -F -t ext2 -U 0f0e0d0c-0b0a-0908-0706-050403020100 -E hash_seed=0f0e0d0c-0b0a-0908-0706-050403020100 "$@" "$out/$name"
}
mk tree-1k 64k -b 1024 -N 32 -d "$work/src"
mk tree-2k 128k -b 2048 -N 32 -d "$work/src"
mk tree-4k 256k -b 4096 -N 32 -d "$work/src"
mk empty-1k 64k -b 1024 -N 32 -d "$work/empty"
# the regressions of ext2_fuzz.sh (seed:index), then seed 1's first images
for r in 6:50 7:15 8:26 1:0 1:1 1:2 1:3 1:4 1:5; do
	python3 "$mangle" "$out/tree-1k" "${r%:*}" "$((${r#*:} + 1))" "$work" >"$work/made"
	mv "$work/m${r#*:}.img" "$out/damaged-${r%:*}-${r#*:}"
	rm -f "$work"/m*.img
done
