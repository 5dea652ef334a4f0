#!/bin/sh
# Runs the OOM test program (oom.c) as init of a small machine, twice: it must pass its own
# checks, the console must name the hog and then the grower as the OOM killer's victims (and
# no one else), and both runs must print the same bytes (determinism).
# usage: oom.sh PROGRAM RUNNER [RUNNER-ARGS...]   (the runner runs PROGRAM --amphi as init:
#        amphi exec --mem 32M, or harness/qemu-exec --target TARGET)
prog=${1:?usage: oom.sh PROGRAM RUNNER [RUNNER-ARGS...]}
shift
[ $# -ge 1 ] || { echo "usage: oom.sh PROGRAM RUNNER [RUNNER-ARGS...]" >&2; exit 2; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for run in 1 2; do
	"$@" "$prog" --amphi >"$tmp/out$run" 2>&1
	echo "$?" >"$tmp/status$run"
done
cat "$tmp/out1"
status=$(cat "$tmp/status1")
pids=$(sed -n 's/^# hog \([0-9]*\), grower \([0-9]*\)$/\1 \2/p' "$tmp/out1")
set -- $pids
want="Out of memory: Killed process $1 (hog)
Out of memory: Killed process $2 (grower)"
got=$(grep '^Out of memory: ' "$tmp/out1" | sed 's/) total-vm:.*/)/')
fail=0
if [ "$status" -ne 0 ] || grep -q '^not ok' "$tmp/out1"; then
	echo "oom.sh: the program failed (status $status)" >&2
	fail=1
fi
if [ -z "$pids" ] || [ "$got" != "$want" ]; then
	printf 'oom.sh: the console named\n%s\nwant\n%s\n' "$got" "$want" >&2
	fail=1
fi
if ! cmp -s "$tmp/out1" "$tmp/out2"; then
	echo "oom.sh: a second run printed something else:" >&2
	diff "$tmp/out1" "$tmp/out2" >&2
	fail=1
fi
exit $fail
