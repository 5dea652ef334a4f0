#!/bin/sh
# Runs each command line of a script file twice, on Linux and as `amphi exec` in the
# hosted kernel, and compares standard output and exit status byte for byte. Prints TAP;
# fails when any line differs.
# usage: compare.sh [--guest DIR RUNNER] path/to/amphi commands-file [amphi exec options...]
#   Each non-empty line of commands-file not starting with '#' is: PROGRAM ARGS... as words
#   for sh (so quoting works), e.g.   busybox sh -c 'echo a | wc -c'
# COMPARE_SKIP, an extended regular expression, skips the lines it matches (TAP "# SKIP"
# with COMPARE_SKIP_WHY), for runners that cannot give them what the host gives (a
# serial console never reaches end of input).
#   --guest: PROGRAM is DIR/PROGRAM, a program of another ISA: Linux runs it through the
#   command RUNNER (e.g. "qemu-aarch64 -cpu cortex-a72"), amphi finds it in DIR first.
guest=
runner=
if [ "${1-}" = --guest ]; then
	guest=$(cd "${2:?--guest needs DIR RUNNER}" && pwd) || exit 2
	runner=${3:?--guest needs DIR RUNNER}
	shift 3
fi
amphi=${1:?usage: compare.sh [--guest DIR RUNNER] amphi commands-file [options...]}
amphi=$(cd "$(dirname "$amphi")" && pwd)/$(basename "$amphi")
file=${2:?}
shift 2
n=0
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Runs PROGRAM ARGS... on Linux, in the environment the kernel gives its first program.
linux_run() {
	if [ -n "$guest" ]; then
		prog=$1
		shift
		set -- $runner -0 "$prog" "$guest/$prog" "$@"
	fi
	env -i HOME=/ TERM=linux PATH=/bin:/sbin:/usr/bin:/usr/sbin "$@"
}

while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	n=$((n + 1))
	if [ -n "${COMPARE_SKIP:-}" ] && printf '%s\n' "$line" | grep -Eq -- "$COMPARE_SKIP"; then
		printf 'ok %d - %s # SKIP %s\n' "$n" "$line" "${COMPARE_SKIP_WHY:-}"
		continue
	fi
	(cd "$tmp" && eval "linux_run $line") >"$tmp/host.out" </dev/null 2>/dev/null
	host_status=$?
	(cd "$tmp" && eval "env -i HOME=/ TERM=linux PATH=${guest:+$guest:}/bin:/sbin:/usr/bin:/usr/sbin \"\$amphi\" exec $* $line") \
		>"$tmp/amphi.out" </dev/null 2>"$tmp/amphi.err"
	amphi_status=$?
	if [ "$host_status" -eq "$amphi_status" ] && cmp -s "$tmp/host.out" "$tmp/amphi.out"; then
		printf 'ok %d - %s\n' "$n" "$line"
		continue
	fi
	failed=1
	printf 'not ok %d - %s (status host %d, amphi %d)\n' "$n" "$line" "$host_status" "$amphi_status"
	diff "$tmp/host.out" "$tmp/amphi.out" | head -n 20 | sed 's/^/# /'
	head -n 20 "$tmp/amphi.err" | sed 's/^/# stderr: /'
done <"$file"
echo "1..$n"
exit $failed
