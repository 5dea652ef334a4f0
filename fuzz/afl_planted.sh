#!/usr/bin/env bash
# Proves the AFL++ build of a target finds bugs: arms one planted bug
# (include/amphi/planted.h), runs afl-fuzz (through fuzz/afl.sh: fork server, persistent
# mode, kernel-only coverage) from the seed corpus for at most EXECS executions with a
# fixed seed, and passes when AFL++ saved a crash that, replayed by the same binary, gives
# a sanitizer report of KIND naming FUNCTION, and no seed alone triggers it.
# Usage: fuzz/afl_planted.sh BINARY CORPUS DICT BUG KIND FUNCTION EXECS
set -euo pipefail
binary=$1 corpus=$2 dict=$3 bug=$4 kind=$5 func=$6 execs=$7
here=$(cd "$(dirname "$0")" && pwd)
source "$here/report_check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AMPHI_FUZZ_PLANTED=$bug AFL_BENCH_UNTIL_CRASH=1 AFL_NO_UI=1
"$here/afl.sh" "$binary" "$corpus" "$dict" "$work/out" 600 -s 1 -E "$execs" >"$work/log" 2>&1 ||
	{ tail -20 "$work/log"; echo "FAIL: afl-fuzz failed" >&2; exit 1; }
stats=$work/out/default/fuzzer_stats
grep -E '^(execs_done|execs_per_sec|corpus_count|edges_found|saved_crashes) ' "$stats"
grep -q '^saved_crashes *: *[1-9]' "$stats" || { echo "FAIL: no crash within $execs executions" >&2; exit 1; }
crash=$(ls "$work"/out/default/crashes/id:* | head -1)
# the crash came from fuzzing, not from a seed (the dry run saves none: it would abort)
case $crash in *orig:*) echo "FAIL: a seed crashes by itself: $crash" >&2; exit 1 ;; esac
status=0
"$binary" "$crash" >"$work/replay" 2>&1 || status=$?
[[ $status -ne 0 ]] || { tail -5 "$work/replay"; echo "FAIL: the saved crash does not crash" >&2; exit 1; }
check_report "$work/replay" "$kind" "$func"
echo "found after $(grep -oE 'execs:[0-9]+' <<<"$crash" | cut -d: -f2) executions"
echo "PASS: AFL++ found planted $bug as a $kind in $func"
