#!/bin/sh
# Runs a command, passing its output and exit status through, but fails with status 98
# when the output (stdout and stderr together) contains a forbidden text, e.g. Valgrind's
# "client switching stacks?" warning that an unregistered stack switch provokes.
# usage: reject_output.sh TEXT -- command args...
text=${1:?usage: reject_output.sh TEXT -- command args...}
shift
[ "$1" = "--" ] && shift
out=$(mktemp) || exit 97
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
status=$?
cat "$out"
if grep -qF -- "$text" "$out"; then
	echo "reject_output.sh: the output contains \"$text\""
	exit 98
fi
exit $status
