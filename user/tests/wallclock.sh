#!/bin/sh
# The wall clock, through busybox's date: the first reading is the platform's RTC (or, with
# --virtual, the hosted machine's fixed boot date 2026-01-01), a root's `date -s` moves it,
# and a file created afterwards carries the new time.
# usage: wallclock.sh [--virtual] RUNNER...   (RUNNER: e.g. path/to/amphi exec, or
#        harness/qemu-exec --target aarch64); prints TAP.
virtual=
if [ "${1-}" = --virtual ]; then
	virtual=1
	shift
fi
[ $# -gt 0 ] || { echo "usage: wallclock.sh [--virtual] RUNNER..." >&2; exit 2; }
set_to=1906545600 # 2030-06-01 12:00:00 UTC
before=$(date +%s)
out=$("$@" busybox sh -c 'date +%s; date -u +%F_%H; date -u -s "2030-06-01 12:00:00" >/dev/null;
echo set $?; touch /wallclock-f; stat -c %Y /wallclock-f; date -u +%F') || {
	echo "not ok 1 - the run failed: $out"
	exit 1
}
after=$(date +%s)
set -- $out
failed=0
# check N WHAT CONDITION: one TAP line.
check() {
	if [ "$3" = 0 ]; then
		echo "ok $1 - $2"
	else
		echo "not ok $1 - $2 (output: $out)"
		failed=1
	fi
}
echo "1..4"
if [ -n "$virtual" ]; then
	[ "$2" = 2026-01-01_00 ]
	check 1 "the clock starts at the fixed boot date" $?
else
	[ "$1" -ge $((before - 1)) ] && [ "$1" -le $((after + 1)) ]
	check 1 "the RTC gives the host's time ($before..$after)" $?
fi
[ "$3 $4" = "set 0" ] && [ "$6" = 2030-06-01 ]
check 2 "date -s sets the clock" $?
[ "$5" -ge $set_to ] && [ "$5" -le $((set_to + 60)) ]
check 3 "a new file carries the set time" $?
[ $# = 6 ]
check 4 "nothing else was printed" $?
exit $failed
