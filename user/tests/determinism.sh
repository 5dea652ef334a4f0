#!/bin/sh
# Hosted determinism with user code: a busybox script on 4 simulated CPUs, run twice with
# one seed, gives the same output and the same trace hash; seeds 1..5 give at least two
# different hashes (so the hash does follow the schedule).
#   determinism.sh AMPHI SCRIPT [amphi options...]
# SECOND_SEED=N makes the second run use seed N: the planted difference the check must
# catch (with N other than 1 it has to fail).
amphi=${1:?usage: determinism.sh AMPHI SCRIPT [options...]}
script=${2:?}
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run SEED: runs the script with SEED; its output goes to $work/out.SEED, its hash to
# $work/hash.SEED. Fails when the run does.
run() {
	seed=$1
	shift
	"$amphi" exec --cpus 4 --seed "$seed" --trace-hash "$work/hash.$seed" "$@" \
		busybox sh -c "$(cat "$script")" >"$work/out.$seed" 2>&1 </dev/null
}

run 1 "$@" || { echo "not ok - seed 1 failed"; cat "$work/out.1"; exit 1; }
cp "$work/out.1" "$work/first.out"
cp "$work/hash.1" "$work/first.hash"
second=${SECOND_SEED:-1}
run "$second" "$@" || { echo "not ok - seed $second failed the second time"; exit 1; }
cmp -s "$work/first.out" "$work/out.$second" || { echo "not ok - seed 1 printed different output"; exit 1; }
cmp -s "$work/first.hash" "$work/hash.$second" || {
	echo "not ok - seed 1 gave two hashes: $(cat "$work/first.hash") / $(cat "$work/hash.$second")"
	exit 1
}
echo "ok - seed 1 twice: $(cat "$work/hash.1")"
for seed in 2 3 4 5; do
	run "$seed" "$@" || { echo "not ok - seed $seed failed"; exit 1; }
done
distinct=$(cat "$work"/hash.* | sort -u | wc -l)
[ "$distinct" -ge 2 ] || { echo "not ok - seeds 1..5 all gave one hash"; exit 1; }
echo "ok - seeds 1..5: $distinct different hashes"
