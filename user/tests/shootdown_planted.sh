#!/bin/sh
# The planted bug for the shootdown test: the hosted kernel booted with tlb_shootdown=off
# (other CPUs keep stale translations) runs user/tests/shootdown MODE, which must then
# report stale accesses (status 2); a pass, or any other failure, fails this test.
#   shootdown_planted.sh AMPHI PROGRAM MODE [ROUNDS]
set -eu
amphi=$1 program=$2 mode=$3 rounds=${4:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/../../harness/mkinitrd.sh" "$tmp/initrd" "$program"
status=0
"$amphi" --cpus 2 --initrd "$tmp/initrd" -- quiet tlb_shootdown=off \
	"rdinit=/bin/$(basename "$program")" -- "$mode" "$rounds" >"$tmp/out" || status=$?
cat "$tmp/out"
grep -q "stale" "$tmp/out" && test "$status" -eq 2
