#!/usr/bin/env bash
# Boots both kernels through libvirt with amphi-virt and checks its verdicts and its cleanup:
#
#   virt-fleet.sh AMPHI_VIRT X86_64_ELF AARCH64_IMAGE
#
# 1. ktest=vfs, 4 boots on two URIs of the same daemon (qemu:///system and
#    qemu+unix:///system), 2 at a time on each, both arches: every boot must pass, exit
#    status 0. (Not
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

virt=$1
x86_elf=$2
aarch64_image=$3
uri=qemu:///system
skip=77
started_pids=()
work=

# Prints the reason and exits with CTest's skip status.
skip_test() {
	echo "SKIP: $*"
	exit $skip
}

# Prints the reason and fails the test.
fail() {
	echo "FAIL: $*"
	exit 1
}

# Stops the daemons this script started (by their pid files) and removes the scratch files.
cleanup() {
	local pid
	for pid in "${started_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT

# True when a libvirtd answers on $uri.
libvirt_answers() {
	timeout 20 virsh -c "$uri" version >/dev/null 2>&1
}

# Starts daemon ($1) in the background with its pid file under $work; records its pid.
start_daemon() {
	local name=$1 pidfile=$work/$1.pid
	"$name" -d -p "$pidfile" || skip_test "$name -d failed (see /var/log/libvirt/$name.log)"
	for _ in $(seq 50); do
		[ -s "$pidfile" ] && break
		sleep 0.1
	done
	[ -s "$pidfile" ] || skip_test "$name wrote no pid file"
	started_pids+=("$(cat "$pidfile")")
}

# Makes sure a libvirtd answers on $uri, starting virtlogd and libvirtd when none does.
ensure_libvirtd() {
	command -v virsh >/dev/null || skip_test "virsh not installed (scripts/setup-deps.sh)"
	libvirt_answers && return
	[ "$(id -u)" -eq 0 ] || skip_test "no libvirtd answers on $uri and not root to start one"
	for d in libvirtd virtlogd; do
		command -v "$d" >/dev/null ||
			skip_test "$d not installed (libvirt-daemon-system, scripts/setup-deps.sh)"
	done
	mkdir -p /var/log/libvirt
	pgrep -x virtlogd >/dev/null || start_daemon virtlogd
	start_daemon libvirtd
	for _ in $(seq 100); do
		libvirt_answers && return
		sleep 0.2
	done
	skip_test "libvirtd started but does not answer on $uri (see /var/log/libvirt/libvirtd.log)"
}

# Runs amphi-virt on the scratch copies of the images; its output goes to $work/$1.out.
run_virt() {
	local out=$work/$1.out
	shift
	"$virt" --uri "$uri" --x86_64-kernel "$work/img/amphi.elf" \
		--aarch64-kernel "$work/img/Image" --log-dir "$work/logs" "$@" >"$out" 2>&1
}

# Checks that output file $1 has exactly $2 lines matching $3.
expect_lines() {
	local n
	n=$(grep -c -- "$3" "$1" || true)
	[ "$n" -eq "$2" ] || fail "$(basename "$1"): $n lines match '$3', expected $2"
}

# Lists the domains (running or not) whose names start with $1.
domains_named() {
	virsh -c "$uri" list --all --name | grep "^$1" || true
}

work=$(mktemp -d)
ensure_libvirtd
# libvirt runs QEMU as its own user (libvirt-qemu on Debian) and leaves the images' owners
# alone, so it reads copies in a directory anyone may enter.
mkdir -p "$work/img" "$work/logs"
cp "$x86_elf" "$work/img/amphi.elf"
cp "$aarch64_image" "$work/img/Image"
chmod 755 "$work" "$work/img"
chmod 644 "$work/img/"*

echo "== ktest=vfs, 4 boots on two URIs, 2 at a time on each, both arches"
status=0
run_virt all -n 4 -j 2 --arch both --cmdline ktest=vfs --timeout 120 \
	--uri qemu+unix:///system || status=$?
cat "$work/all.out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
expect_lines "$work/all.out" 2 "PASS  .*(x86_64 on $uri): .* 0 failed"
expect_lines "$work/all.out" 2 "PASS  .*(aarch64 on qemu+unix:///system): .* 0 failed"
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
left=$(domains_named "$prefix")
[ -z "$left" ] || fail "domains left behind: $left"
left=$(virsh -c "$uri" pool-list --all --name | grep "^$prefix" || true)
[ -z "$left" ] || fail "serial log pools left behind: $left"
echo "PASS: every verdict right, no domain left"
