#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh as OSS-Fuzz's libFuzzer address build runs it (the
# compiler, flags and engine it exports) into a scratch $OUT, then checks what it wrote:
# for every target, an executable, its dictionary, and a seed-corpus zip holding exactly
# the target's corpus; each target, started as ClusterFuzz starts it (from $OUT, with the
# unpacked seed corpus), runs every seed and a short fuzzing run without a crash.
# Usage: fuzz/oss_fuzz_check.sh SCRATCH_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
scratch=$1
rm -rf "$scratch/out" "$scratch/corpus"
mkdir -p "$scratch"
export CC=clang SANITIZER=address OUT=$scratch/out WORK=$scratch/work
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
nice -n 5 "$src/fuzz/oss-fuzz/build.sh" >"$scratch/build.log" 2>&1 ||
	{ tail -30 "$scratch/build.log"; echo "FAIL: build.sh failed" >&2; exit 1; }

targets=$(ls -d "$src"/fuzz/*/corpus | xargs -n1 dirname | xargs -n1 basename)
for t in $targets; do
	[ -x "$OUT/$t" ] || { echo "FAIL: no $OUT/$t" >&2; exit 1; }
	cmp -s "$OUT/$t.dict" "$src/fuzz/$t/$t.dict" || { echo "FAIL: $t.dict differs" >&2; exit 1; }
	mkdir -p "$scratch/corpus/$t"
	unzip -q "$OUT/${t}_seed_corpus.zip" -d "$scratch/corpus/$t"
	diff -r "$scratch/corpus/$t" "$src/fuzz/$t/corpus" >/dev/null ||
		{ echo "FAIL: ${t}_seed_corpus.zip is not fuzz/$t/corpus" >&2; exit 1; }
	n=$(ls "$scratch/corpus/$t" | wc -l)
	(cd "$OUT" && ./"$t" -runs=0 "$scratch/corpus/$t") >"$scratch/$t.seeds" 2>&1 ||
		{ tail -20 "$scratch/$t.seeds"; echo "FAIL: $t crashed on its seeds" >&2; exit 1; }
	runs=$((n + 300)) # the engine counts the seeds' runs too
	(cd "$OUT" && ./"$t" -runs=$runs -seed=1 -dict="$t.dict" "$scratch/corpus/$t") >"$scratch/$t.run" 2>&1 ||
		{ tail -20 "$scratch/$t.run"; echo "FAIL: $t crashed while fuzzing" >&2; exit 1; }
	grep -q "Done $runs runs" "$scratch/$t.run" || { tail -5 "$scratch/$t.run"; echo "FAIL: $t did not finish its runs" >&2; exit 1; }
	echo "$t: $n seeds, $(grep -oE 'cov: [0-9]+' "$scratch/$t.run" | tail -1) after $runs runs"
done
# the engine's instrumentation went to the kernel only, as in the fuzz preset
"$src/fuzz/coverage_scope.sh" "$WORK/amphi-fuzz-build" __sancov_cntrs | tail -2
echo "PASS: build.sh wrote $(echo $targets | wc -w) targets with their dictionaries and seed corpora"
