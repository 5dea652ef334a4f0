#!/usr/bin/env bash
# A short, bounded fuzz run of one target, as `make test` does it: the target's corpus is
# copied to a scratch directory (the engine adds to it), then RUNS inputs with a fixed
# seed. Fails when the engine reports a crash. Usage: fuzz/smoke.sh FUZZER CORPUS DICT RUNS
set -euo pipefail
fuzzer=$1 corpus=$2 dict=$3 runs=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work/"
cd "$work"
"$fuzzer" -runs="$runs" -seed=1 -dict="$dict" -artifact_prefix="$work/" -print_final_stats=1 "$work"
