#!/usr/bin/env bash
# Checks the reset between inputs: input A, then B, then A again must give A's results
# and A's kernel coverage both times, and B something else. The same run without the
# reset (AMPHI_FUZZ_NO_RESET) must fail the check, or the check proves nothing.
# Usage: fuzz/reset_check.sh FUZZER INPUT_A INPUT_B
set -euo pipefail
fuzzer=$1 a=$2 b=$3

# The selfcheck lines of the last three inputs run (A, B, A).
lines() {
	AMPHI_FUZZ_SELFCHECK=1 "$@" "$fuzzer" "$a" "$b" "$a" 2>&1 | grep '^selfcheck:' | tail -3
}

# 0 when the first and third lines are the same and the second differs from them.
same_a_other_b() {
	local l1 l2 l3
	{ read -r l1; read -r l2; read -r l3; } <<<"$1"
	[[ -n $l1 && $l1 == "$l3" && $l1 != "$l2" ]]
}

with=$(lines env)
printf 'with the reset:\n%s\n' "$with"
same_a_other_b "$with" || { echo "FAIL: A gave different results or coverage after B" >&2; exit 1; }
without=$(lines env AMPHI_FUZZ_NO_RESET=1)
printf 'without the reset:\n%s\n' "$without"
if same_a_other_b "$without"; then
	echo "FAIL: the check cannot tell a machine that was not reset" >&2
	exit 1
fi
echo "PASS: the reset leaves nothing of B for A to see"
