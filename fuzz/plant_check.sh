#!/usr/bin/env bash
# Proves a target's check: INPUT passes, and the same run with the fault the target plants
# when ENV is set must fail with the check's message EXPECT (in the verbose output).
# Usage: fuzz/plant_check.sh FUZZER INPUT ENV EXPECT
set -uo pipefail
fuzzer=$1 input=$2 env=$3 expect=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
if ! "$fuzzer" -artifact_prefix="$work/" "$input" >out 2>&1; then
	tail -20 out
	echo "FAIL: $input does not pass as it is" >&2
	exit 1
fi
if env "$env=1" AMPHI_FUZZ_VERBOSE=1 "$fuzzer" -artifact_prefix="$work/" "$input" >out 2>&1; then
	echo "FAIL: the fault planted by $env went unnoticed" >&2
	exit 1
fi
if ! grep -qF -- "$expect" out; then
	tail -20 out
	echo "FAIL: the planted fault ended the run, but not with: $expect" >&2
	exit 1
fi
echo "PASS: the check caught the fault planted by $env: $expect"
