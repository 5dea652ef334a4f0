#!/bin/sh
# Checks the hosted machine's option handling: each bad option must give one line on
# stderr ending in "try --help" and exit status 2; good ones must run.
# usage: options_test.sh path/to/amphi
amphi=${1:?usage: options_test.sh path/to/amphi}
failed=0

# expect_bad <args...>: status 2 and exactly one stderr line that ends in "try --help".
expect_bad() {
	err=$("$amphi" "$@" 2>&1 >/dev/null </dev/null)
	status=$?
	lines=$(printf '%s\n' "$err" | wc -l)
	case $status:$lines:$err in
	2:1:amphi:*"; try --help") echo "ok - amphi $*: $err" ;;
	*) echo "not ok - amphi $*: status $status, stderr: $err"; failed=1 ;;
	esac
}

# expect_status <status> <args...>: the run ends with that status.
expect_status() {
	want=$1
	shift
	"$amphi" "$@" >/dev/null 2>&1 </dev/null
	status=$?
	if [ "$status" -eq "$want" ]; then
		echo "ok - amphi $*: status $status"
	else
		echo "not ok - amphi $*: status $status, expected $want"
		failed=1
	fi
}

expect_bad --frobnicate
expect_bad -x
expect_bad --mem
expect_bad --mem 1K
expect_bad --mem banana
expect_bad --mem 99999T
expect_bad --mem 999999999999999T
expect_bad --mem 4097K
expect_bad --mem 65G
expect_bad --mem ""
expect_bad ktest=all
expect_bad --help=1
expect_bad --cpus 0
expect_bad --cpus 65
expect_bad --cpus 10000
expect_bad --cpus x
expect_bad --cpus ""
expect_bad --cpus -1
expect_bad --sched fast
expect_bad --time warp
expect_bad --seed
expect_bad --seed x
expect_bad --seed 18446744073709551616
expect_bad --watchdog -1
expect_bad --watchdog x
expect_bad --watchdog 86401
expect_bad --disk ""
expect_bad --disk ,ro
expect_bad --disk disk.img,rw
expect_bad --disk disk.img,ro,ro
expect_bad --disk disk.img,fail-after=
expect_bad --disk disk.img,fail-after=-1
expect_bad --disk disk.img,fail-after=3x
expect_bad --disk disk.img,fail-after=99999999999999999999
expect_bad --disk disk.img,fail-after=1,fail-after=2
expect_bad --disk a --disk b --disk c --disk d --disk e --disk f --disk g --disk h --disk i
expect_bad --gdb
expect_bad --gdb 0
expect_bad --gdb 65536
expect_bad --gdb banana
expect_bad --gdb unix:
expect_bad --gdb-wait
expect_bad --gdb-wait=1 --gdb 1234
expect_bad --gdb 1234 --gdb-follow ""
expect_bad --gdb 1234 --gdb-follow 0123456789abcdef0123456789abcdef
expect_bad --gdb-follow sh
expect_status 2 --disk /no/such/disk.img # the file is opened before boot
expect_status 2 --disk /dev/null,ro	  # neither a regular file nor a block device
disk=$(mktemp)
head -c 4096 /dev/zero >"$disk"
expect_status 0 --disk "$disk" --disk "$disk,ro" --init none
expect_status 0 --disk "$disk,fail-after=3" --disk "$disk,ro,fail-after=0" --init none
rm -f "$disk"
expect_status 0 --help
expect_status 0 --version
expect_status 0 --mem 4M --init none # too little RAM for the busybox initramfs
expect_status 1 --init /bin/false
expect_status 127 --init /no/such/program
expect_status 0 --mem=16m --
expect_status 0 -m 1G -- cmdline words "with spaces"
expect_status 0 --cpus 64 --seed 18446744073709551615 --watchdog 0
expect_status 0 --cpus 3 --sched parallel --time real

# amphi exec: arguments and environment up to what the kernel's exec takes pass whole (20000
# arguments, 100 KB of environment); past that, one clear line and status 2
big=$(head -c 100000 /dev/zero | tr '\0' x)
# shellcheck disable=SC2046,SC2016 # the words of seq are the arguments; $# is the guest's
out=$(A=$big "$amphi" exec busybox sh -c 'echo ${#A} $#' $(seq 1 20000) 2>&1 </dev/null)
if [ "$out" = "100000 19999" ]; then
	echo "ok - amphi exec with 20000 arguments and 100 KB of environment"
else
	echo "not ok - amphi exec with 20000 arguments and 100 KB of environment: $(echo "$out" | head -c 200)"
	failed=1
fi
err=$(A=$big B=$big C=$big "$amphi" exec busybox true 2>&1 >/dev/null </dev/null)
status=$?
case $status:$err in
2:"amphi: the program's arguments and environment"*"too long"*) echo "ok - amphi exec past the limit: $err" ;;
*) echo "not ok - amphi exec past the limit: status $status, stderr: $err"; failed=1 ;;
esac
exit $failed
