#!/bin/sh
# Seed search for the planted race (ktest=smp_race: an unlocked read-modify-write): runs
# the hosted machine's deterministic schedule with seeds 1..MAX until one loses an update,
# then replays that seed twice and checks it fails the same way: the same lost-update
# message and the same trace hash. A race that no seed finds, or a failure that does not
# replay, fails the test.
# usage: race_search_test.sh path/to/amphi MAX [amphi options...]
amphi=${1:?usage: race_search_test.sh amphi MAX [options...]}
max=${2:?}
shift 2

# run <seed>: the run's verdict line ("<hash> <failure message>"), empty when it passed.
run() {
	seed_=$1
	shift
	out=$("$amphi" --seed "$seed_" "$@" -- ktest=smp_race </dev/null 2>&1)
	hash=$(printf '%s\n' "$out" | sed -n 's/^trace hash: //p')
	failure=$(printf '%s\n' "$out" | grep -m1 'expected race_counter ==')
	[ -n "$hash" ] || { echo "not ok - seed $seed_ printed no trace hash" >&2; exit 2; }
	[ -z "$failure" ] || echo "$hash $failure"
}

seed=1
while [ "$seed" -le "$max" ]; do
	first=$(run "$seed" "$@") || exit 1
	if [ -n "$first" ]; then
		echo "seed $seed loses an update: $first"
		for replay in 1 2; do
			again=$(run "$seed" "$@") || exit 1
			[ "$again" = "$first" ] || { echo "not ok - replay $replay of seed $seed: '$again'"; exit 1; }
		done
		echo "ok - the race found by seed $seed replays identically"
		exit 0
	fi
	seed=$((seed + 1))
done
echo "not ok - no seed of 1..$max exposed the race"
exit 1
