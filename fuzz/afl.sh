#!/usr/bin/env bash
# Fuzzes one target of the AFL++ tree (preset fuzz-afl) with afl-fuzz.
# usage: fuzz/afl.sh BINARY CORPUS DICT OUTDIR SECONDS [afl-fuzz options...]
# Each fork-server child boots its own machine before its first input (fuzz_machine.c says
# why), then runs inputs in persistent mode, each from the snapshot; that first input's
# time includes the boot (a tenth of a second or more under ASan), hence the generous
# per-input timeout: the inputs' own blocked calls end after 2 ms of virtual time anyway.
# Progress: afl-fuzz's screen on a terminal, its status lines otherwise; results in
# OUTDIR/default (queue/, crashes/, fuzzer_stats).
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 BINARY CORPUS DICT OUTDIR SECONDS [afl-fuzz options...]" >&2; exit 2; }
binary=$1 corpus=$2 dict=$3 out=$4 seconds=$5
shift 5
command -v afl-fuzz >/dev/null || { echo "afl.sh: afl-fuzz not found (package afl++)" >&2; exit 2; }
[ -x "$binary" ] || { echo "afl.sh: no fuzz target $binary" >&2; exit 2; }

export AFL_SKIP_CPUFREQ=1 # the CPU frequency governor is not ours to change
export AFL_NO_AFFINITY=1  # share the cores with whatever else runs
# afl-fuzz refuses to start when crashes go to a core-dump helper it cannot see through
case $(cat /proc/sys/kernel/core_pattern 2>/dev/null) in
'|'*) export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 ;;
esac
[ -t 1 ] || export AFL_NO_UI=1
mkdir -p "$out"
exec afl-fuzz -t 5000 -V "$seconds" -i "$corpus" -o "$out" -x "$dict" "$@" -- "$binary"
