#!/usr/bin/env bash
# Proves the syscall fuzzer finds bugs: arms one planted bug (include/amphi/planted.h) and
# fuzzes from the seed corpus for at most RUNS inputs with a fixed seed. Passes when the
# engine stops on a sanitizer report of KIND naming FUNCTION, found while fuzzing (after
# the corpus was loaded: no seed triggers it alone), and minimizes the crashing input
# with the engine's own minimizer to one that still crashes the same way.
# REPRO (amphi-fuzz-repro, optional) prints the minimized input as a program.
# CORPUS is a directory, or a pattern of the files to start from.
# Usage: fuzz/planted.sh FUZZER CORPUS BUG KIND FUNCTION RUNS [REPRO]
set -euo pipefail
fuzzer=$1 corpus=$2 bug=$3 kind=$4 func=$5 runs=$6 repro=${7:-}
source "$(dirname "$0")/report_check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
if [[ -d $corpus ]]; then
	cp -r "$corpus"/. "$work/corpus/"
else
	cp $corpus "$work/corpus/" # a pattern: its words are the files
fi
cd "$work"
export AMPHI_FUZZ_PLANTED=$bug
status=0
# without address-space randomization the search repeats: the engine's comparison hints
# hold the kernel's pointers, which are host addresses
norandom=(setarch "$(uname -m)" -R)
"${norandom[@]}" "$fuzzer" -runs="$runs" -seed=1 -reload=0 -artifact_prefix="$work/" corpus >log 2>&1 ||
	status=$?
report=$(sed -n '/ERROR: AddressSanitizer/,$p' log)
if [[ $status -eq 0 || -z $report ]]; then
	tail -5 log
	echo "FAIL: no sanitizer report within $runs inputs" >&2
	exit 1
fi
check_report log "$kind" "$func"
if ! awk '/INITED/ { inited = 1 } /ERROR: AddressSanitizer/ { exit !inited }' log; then
	echo "FAIL: the report came while loading the corpus, not from fuzzing" >&2
	exit 1
fi
crash=$(ls "$work"/crash-* | head -1)
echo "found within $(grep -oE '^#[0-9]+' log | tail -1 | tr -d '#') inputs; the crashing input has $(wc -c <"$crash") bytes"
"$fuzzer" -minimize_crash=1 -runs=2000 -seed=1 -exact_artifact_path="$work/min" "$crash" >min.log 2>&1 || true
[ -s "$work/min" ] || { tail -5 min.log; echo "FAIL: the minimizer gave nothing" >&2; exit 1; }
status=0
"$fuzzer" "$work/min" >rerun.log 2>&1 || status=$?
grep -qw "$func" rerun.log && [[ $status -ne 0 ]] ||
	{ echo "FAIL: the minimized input does not crash in $func" >&2; exit 1; }
echo "minimized to $(wc -c <"$work/min") bytes:"
[[ -z $repro ]] || "$repro" "$work/min"
echo "PASS: planted $bug found as a $kind in $func"
