#!/usr/bin/env bash
# Checks the reset between inputs: A, B, A, B... (ROUNDS of each, then A) must give A's
# results and A's kernel coverage every time, and B's every time, different from A's.
# The rounds outlast the resets after which a page written every time stops being
# tracked and is copied back at every reset (sim/snap/snapshot.c), so both ways of
# putting a page back are checked. The same run without the reset (AMPHI_FUZZ_NO_RESET)
# must fail the check, or the check proves nothing.
# Usage: fuzz/reset_check.sh FUZZER INPUT_A INPUT_B
set -euo pipefail
fuzzer=$1 a=$2 b=$3
rounds=12
inputs=()
for _ in $(seq $rounds); do inputs+=("$a" "$b"); done
inputs+=("$a")

# The selfcheck lines of the inputs, in order.
lines() {
	AMPHI_FUZZ_SELFCHECK=1 "$@" "$fuzzer" "${inputs[@]}" 2>&1 | grep '^selfcheck:' |
		tail -$((2 * rounds + 1))
}

# 0 when the odd lines (A's) are all the same, the even ones (B's) too, and they differ.
same_a_other_b() {
	local odd even
	odd=$(sed -n '1~2p' <<<"$1" | sort -u)
	even=$(sed -n '2~2p' <<<"$1" | sort -u)
	[[ $(wc -l <<<"$1") -eq $((2 * rounds + 1)) && -n $odd && $(wc -l <<<"$odd") -eq 1 &&
		$(wc -l <<<"$even") -eq 1 && $odd != "$even" ]]
}

with=$(lines env)
printf 'with the reset (A and B, %d rounds):\n%s\n' $rounds "$(sort <<<"$with" | uniq -c)"
same_a_other_b "$with" || { echo "FAIL: A or B gave different results or coverage in a later round" >&2; exit 1; }
without=$(lines env AMPHI_FUZZ_NO_RESET=1)
printf 'without the reset:\n%s\n' "$(sort <<<"$without" | uniq -c)"
if same_a_other_b "$without"; then
	echo "FAIL: the check cannot tell a machine that was not reset" >&2
	exit 1
fi
echo "PASS: the reset leaves nothing of B for A to see"
