#!/bin/bash -eu
# Builds the fuzz targets of fuzz/ the way OSS-Fuzz, ClusterFuzz and ClusterFuzzLite do:
# with their compiler and flags ($CC, $CFLAGS) and engine ($LIB_FUZZING_ENGINE: libFuzzer's
# -fsanitize=fuzzer, or AFL++'s driver archive with CC=afl-clang-fast), writing to $OUT
# each target, its seed corpus (<target>_seed_corpus.zip) and its dictionary
# (<target>.dict). The engine's coverage flags in $CFLAGS go to the kernel's and drivers'
# code only, so the engine is steered by kernel edges; under AFL++ the allowlist the fuzz
# tree writes does the same.
#
# Runs as OSS-Fuzz runs it (compile, in the base-builder image; see Dockerfile here) or by
# hand: CC=clang CFLAGS="-fsanitize=address -fsanitize=fuzzer-no-link" \
#       LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/oss-fuzz/build.sh
src=$(cd "$(dirname "$0")/../.." && pwd)
: "${CC:?} ${LIB_FUZZING_ENGINE:?} ${OUT:?}"
CFLAGS=${CFLAGS-}
work=${WORK:-$OUT/..}/amphi-fuzz-build

# The reset of each input copies AddressSanitizer's shadow memory back with the machine's
# RAM, and UBSan is always on: the address sanitizer builds are the ones that make sense.
case ${SANITIZER:-address} in
address) ;;
*)
	echo "build.sh: SANITIZER=${SANITIZER} is not supported: the fuzz targets are built with" \
		"AddressSanitizer and UBSan together (SANITIZER=address)" >&2
	exit 1
	;;
esac

# Splits $CFLAGS into the engine's coverage instrumentation and everything else.
coverage=()
other=()
for flag in $CFLAGS; do
	case $flag in
	-fsanitize=fuzzer-no-link | -fsanitize-coverage=*) coverage+=("$flag") ;;
	*) other+=("$flag") ;;
	esac
done

cmake -S "$src" -B "$work" -G "Unix Makefiles" \
	-DAMPHI_TARGET=hosted -DCMAKE_BUILD_TYPE= \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="${other[*]-}" \
	-DAMPHI_SANITIZE=ON -DAMPHI_FUZZ=ON -DAMPHI_FUZZ_PLANTED=OFF \
	-DAMPHI_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DAMPHI_FUZZ_COVERAGE="${coverage[*]-}"
cmake --build "$work" -j "$(nproc)" --target fuzz-targets

mkdir -p "$OUT"
while read -r target; do
	cp "$work/fuzz-$target" "$OUT/$target"
	cp "$src/fuzz/$target/$target.dict" "$OUT/$target.dict"
	rm -f "$OUT/${target}_seed_corpus.zip"
	(cd "$src/fuzz/$target/corpus" && zip -q -X "$OUT/${target}_seed_corpus.zip" ./*)
	echo "build.sh: $OUT/$target"
done <"$work/fuzz-targets.txt"
