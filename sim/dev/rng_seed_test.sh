#!/bin/sh
# The entropy device is seeded from --seed: the same seed gives the same bytes from
# /dev/urandom in two runs, and a different seed different bytes (the kernel's own
# generator, seeded from virtual time alone, gives the same bytes for every seed).
#   rng_seed_test.sh AMPHI SEED_A SEED_B
set -eu
amphi="$1"
read_bytes() {
	echo 'head -c 32 /dev/urandom | od -An -tx1' |
		"$amphi" --seed "$1" --init /bin/sh 2>&1 | grep -E '^( [0-9a-f]{2}){16}$'
}
a1="$(read_bytes "$2")"
a2="$(read_bytes "$2")"
b="$(read_bytes "$3")"
[ -n "$a1" ] || { echo "not ok - no bytes read"; exit 1; }
[ "$a1" = "$a2" ] || { echo "not ok - seed $2 gave different bytes in two runs"; exit 1; }
echo "ok - seed $2 gave the same 32 bytes in two runs"
[ "$a1" != "$b" ] || { echo "not ok - seeds $2 and $3 gave the same bytes"; exit 1; }
echo "ok - seeds $2 and $3 gave different bytes"
