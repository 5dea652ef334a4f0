# shellcheck shell=bash
# Shared by the libvirt fleet tests (virt-fleet.sh, virt-fleet-ssh.sh), sourced with their
# arguments AMPHI_VIRT X86_64_ELF AARCH64_IMAGE: skipping and failing, the libvirt daemons
# (started when none answers on qemu:///system, stopped at exit), the images' scratch copies
# and output checks.
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

# Stops the daemons this script started (by their recorded pids), waits until they are
# gone (a libvirtd still shutting down holds its pid file and socket, and the next test
# to start one would fail), and removes the scratch files.
cleanup() {
	local pid
	for pid in "${started_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${started_pids[@]}"; do
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
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

# True when a live virtlogd runs (a dead one left unreaped, where no init reaps, does not
# count: libvirtd needs its socket).
virtlogd_runs() {
	pgrep -x -r R,S,D virtlogd >/dev/null
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
	virtlogd_runs || start_daemon virtlogd
	start_daemon libvirtd
	for _ in $(seq 100); do
		libvirt_answers && return
		sleep 0.2
	done
	skip_test "libvirtd started but does not answer on $uri (see /var/log/libvirt/libvirtd.log)"
}

# Makes the scratch directory $work with copies of the images in $work/img and makes sure a
# libvirtd answers. libvirt runs QEMU as its own user (libvirt-qemu on Debian) and leaves the
# images' owners alone, so it reads copies in a directory anyone may enter.
virt_test_setup() {
	work=$(mktemp -d)
	ensure_libvirtd
	mkdir -p "$work/img" "$work/logs"
	cp "$x86_elf" "$work/img/amphi.elf"
	cp "$aarch64_image" "$work/img/Image"
	chmod 755 "$work" "$work/img"
	chmod 644 "$work/img/"*
}

# Runs amphi-virt on the scratch copies of the images; its output goes to $work/$1.out.
# The URIs are given among the other arguments.
run_virt_on() {
	local out=$work/$1.out
	shift
	"$virt" --x86_64-kernel "$work/img/amphi.elf" --aarch64-kernel "$work/img/Image" \
		--log-dir "$work/logs" "$@" >"$out" 2>&1
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

# Fails when a domain or a serial log pool whose name starts with $1 is left on $uri.
expect_nothing_left() {
	local left
	left=$(domains_named "$1")
	[ -z "$left" ] || fail "domains left behind: $left"
	left=$(virsh -c "$uri" pool-list --all --name | grep "^$1" || true)
	[ -z "$left" ] || fail "serial log pools left behind: $left"
}
