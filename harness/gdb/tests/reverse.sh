#!/usr/bin/env bash
# A reverse-execution session (a harness/gdb/tests/*.gdb file run by harness/debug on the
# hosted-stub target), then its run's trace hash compared with an undisturbed run of the
# same machine and seed: a replay that was not faithful to the run it repeats would end
# with another hash.
#
#   reverse.sh AMPHI_BIN GDB_FILE [MACHINE OPTION...] -- [KERNEL COMMAND LINE...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
[ $# -ge 3 ] || { echo "usage: reverse.sh AMPHI_BIN GDB_FILE [OPTION...] -- [CMDLINE...]" >&2; exit 2; }
bin="$1" file="$2"
shift 2
sim_args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	sim_args+=("$1")
	shift
done
[ "${1:-}" = -- ] && shift

want=$("$bin" "${sim_args[@]}" -- "$@" </dev/null 2>/dev/null | grep '^trace hash: ' || true)
[ -n "$want" ] || { echo "not ok - the undisturbed run printed no trace hash"; exit 1; }
status=0
out=$(AMPHI_HOSTED_BIN="$bin" AMPHI_SIM_ARGS="${sim_args[*]}" \
	"$root/harness/debug" --batch "$file" hosted-stub "$@" 2>&1) || status=$?
printf '%s\n' "$out"
got=$(grep '^trace hash: ' <<<"$out" | tail -n 1 || true)
if [ "$got" != "$want" ]; then
	echo "not ok - the debugged run ended with '${got:-no trace hash}', the undisturbed one with '$want'"
	exit 1
fi
echo "ok - the debugged run ends with the undisturbed run's $want"
exit $status
