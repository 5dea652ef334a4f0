#!/usr/bin/env bash
# Boots both kernels through libvirt with amphi-virt and checks its verdicts and its cleanup:
#
#   virt-fleet.sh AMPHI_VIRT X86_64_ELF AARCH64_IMAGE
#
# 1. ktest=vfs, 4 boots on two URIs of the same daemon (qemu:///system and
#    qemu+unix:///system), 2 at a time on each, both arches on each URI: every boot must
#    pass, exit status 0. (Not
#    ktest=all: two TCG guests on two busy cores skew the x86 LAPIC timer's calibration, and
#    pc_irq.timer_disarms_with_uint64_max then fails now and then; the QEMU tier runs
#    ktest=all one guest at a time.)
# 2. Planted failures: ktest=panic (a planted failed assertion) and ktest=nosuch (no such
#    suite: no KTAP report) must be judged FAIL on both arches, exit status 1.
# 3. SIGINT while two domains run (kernels waiting at their monitor): exit status 130, and
#    no domain of the run may be left (virsh list --all).
# When no libvirtd answers on qemu:///system it starts virtlogd and libvirtd (as root,
# without systemd) and stops them at the end. Exits 77 (CTest's skip) with the reason when
# that cannot be done.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=virt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/virt-lib.sh" "$@"

# Runs amphi-virt on $uri and the scratch copies of the images; output in $work/$1.out.
run_virt() {
	local name=$1
	shift
	run_virt_on "$name" --uri "$uri" "$@"
}

virt_test_setup

echo "== ktest=vfs, 4 boots on two URIs, 2 at a time on each, both arches"
status=0
run_virt all -n 4 -j 2 --arch both --cmdline ktest=vfs --timeout 120 \
	--uri qemu+unix:///system || status=$?
cat "$work/all.out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
for u in "$uri" qemu+unix:///system; do
	for arch in x86_64 aarch64; do
		expect_lines "$work/all.out" 1 "PASS  .*($arch on $u): .* 0 failed"
	done
done
expect_lines "$work/all.out" 1 "4 boots on 2 URIs: 4 passed, 0 failed"

echo "== planted failures: a panic, and a suite that does not exist"
for planted in panic nosuch; do
	status=0
	run_virt "$planted" -n 2 -j 2 --arch both --cmdline "ktest=$planted" --timeout 60 ||
		status=$?
	cat "$work/$planted.out"
	[ "$status" -eq 1 ] || fail "ktest=$planted: exit status $status, expected 1"
	expect_lines "$work/$planted.out" 0 "PASS"
	expect_lines "$work/$planted.out" 1 "2 boots on 1 URI: 0 passed, 2 failed"
done
expect_lines "$work/panic.out" 2 "FAIL  .*: panic: assertion failed: value == 42"
expect_lines "$work/nosuch.out" 2 "FAIL  .*: KTAP: .*no KTAP output"

echo "== SIGINT while the domains run"
prefix="amphi-virt-test-$$"
# amphi-virt itself in the background (not a subshell, which would take the signal).
"$virt" --uri "$uri" --x86_64-kernel "$work/img/amphi.elf" --aarch64-kernel "$work/img/Image" \
	--log-dir "$work/logs" -n 2 -j 2 --arch both --cmdline "" --timeout 120 --name "$prefix" \
	>"$work/interrupt.out" 2>&1 &
pid=$!
for _ in $(seq 300); do
	[ "$(domains_named "$prefix" | wc -l)" -eq 2 ] && break
	sleep 0.1
done
[ "$(domains_named "$prefix" | wc -l)" -eq 2 ] || fail "the 2 domains never ran together"
kill -INT "$pid"
status=0
wait "$pid" || status=$?
cat "$work/interrupt.out"
[ "$status" -eq 130 ] || fail "interrupted: exit status $status, expected 130"
expect_lines "$work/interrupt.out" 2 "FAIL  $prefix-.*: interrupted by signal 2"
expect_nothing_left "$prefix"
echo "PASS: every verdict right, no domain left"
