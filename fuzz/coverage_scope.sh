#!/usr/bin/env bash
# Checks that a fuzz tree's coverage instrumentation is the kernel's alone: every object
# with code of the kernel and its drivers carries the instrumentation's section, and no
# object of the machine, the library or the decoders does (else the engine would be
# steered by the sim's edges; libFuzzer's empty reference target of bench/fuzz is left
# out: it is instrumented on purpose). usage: fuzz/coverage_scope.sh TREE SECTION
# (SECTION: __sancov_cntrs for libFuzzer's inline counters, __sancov_guards for AFL++'s).
set -euo pipefail
tree=$1 section=$2

# True when object $1 has a section named $2.
has_section() { readelf -SW "$1" | grep -cw -- "$2" >/dev/null; }
# True when object $1 defines a function of its own (not only a sanitizer's constructor).
has_code() { nm --defined-only "$1" | grep -v -E ' (asan|sancov)\.module_' | grep -c ' [Tt] ' >/dev/null; }

bad=0 kernel=0 instrumented=0 outside=0
while read -r obj; do
	has_code "$obj" || continue
	kernel=$((kernel + 1))
	if has_section "$obj" "$section"; then
		instrumented=$((instrumented + 1))
	else
		echo "no coverage points: $obj"
	fi
done < <(find "$tree/kernel/CMakeFiles/kernel.dir" "$tree/devices/CMakeFiles/devices.dir" -name '*.o')
while read -r obj; do
	outside=$((outside + 1))
	if has_section "$obj" "$section"; then echo "instrumented outside the kernel: $obj"; bad=1; fi
done < <(find "$tree/sim" "$tree/lib" "$tree/fuzz" -name '*.o' -not -path '*/bench-fuzz-empty.dir/*')
echo "$instrumented of $kernel kernel and driver objects with code carry $section; $outside others checked"
[ "$kernel" -gt 50 ] && [ "$outside" -gt 20 ] || { echo "FAIL: too few objects found in $tree"; exit 1; }
# A file whose functions are each one straight block (a noreturn power-off) may get no
# coverage point at all; nearly every other must have some.
[ $((instrumented * 100)) -ge $((kernel * 95)) ] || { echo "FAIL: the kernel is not instrumented"; exit 1; }
[ $bad -eq 0 ] || { echo "FAIL: coverage is not the kernel's alone"; exit 1; }
echo "PASS: only the kernel and its drivers are instrumented"
