#!/bin/sh
# Checks the deterministic schedule's trace hash (printed before the power-off line).
# usage: trace_hash_test.sh path/to/amphi same SEED_A SEED_B [amphi options...]
#          passes when both seeds give one hash (use the same seed twice; a planted pair
#          of different seeds must make it fail)
#        trace_hash_test.sh path/to/amphi spread COUNT MIN_DISTINCT [amphi options...]
#          passes when seeds 1..COUNT give at least MIN_DISTINCT different hashes
# Every run must pass its ktests and print exactly one hash.
amphi=${1:?usage: trace_hash_test.sh amphi same|spread A B [options...]}
mode=${2:?}
a=${3:?}
b=${4:?}
shift 4

# hash_of <seed>: prints the run's hash; exits 1 when the run fails or prints none.
hash_of() {
	seed_=$1
	shift
	out=$("$amphi" --seed "$seed_" "$@" </dev/null 2>&1)
	status=$?
	hash=$(printf '%s\n' "$out" | sed -n 's/^trace hash: \([0-9a-f]\{16\}\)$/\1/p')
	if [ "$status" -ne 0 ] || [ "$(printf '%s\n' "$hash" | grep -c .)" -ne 1 ]; then
		echo "not ok - seed $seed_: status $status, hash '$hash'" >&2
		printf '%s\n' "$out" | tail -n 20 >&2
		exit 1
	fi
	echo "$hash"
}

case $mode in
same)
	ha=$(hash_of "$a" "$@") || exit 1
	hb=$(hash_of "$b" "$@") || exit 1
	echo "seed $a: $ha"
	echo "seed $b: $hb"
	[ "$ha" = "$hb" ] || { echo "not ok - the hashes differ"; exit 1; }
	echo "ok - one hash"
	;;
spread)
	hashes=""
	seed=1
	while [ "$seed" -le "$a" ]; do
		h=$(hash_of "$seed" "$@") || exit 1
		echo "seed $seed: $h"
		hashes="$hashes$h
"
		seed=$((seed + 1))
	done
	distinct=$(printf '%s' "$hashes" | sort -u | grep -c .)
	[ "$distinct" -ge "$b" ] || { echo "not ok - only $distinct distinct hashes of $a"; exit 1; }
	echo "ok - $distinct distinct hashes of $a"
	;;
*)
	echo "trace_hash_test.sh: unknown mode '$mode'" >&2
	exit 2
	;;
esac
