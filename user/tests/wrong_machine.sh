#!/bin/sh
# An executable of another ISA given to amphi exec: status 127 and one line saying why.
# usage: wrong_machine.sh path/to/amphi program
out=$("${1:?usage: wrong_machine.sh amphi program}" exec "${2:?}" 2>&1)
status=$?
printf '%s\n' "$out"
[ "$status" -eq 127 ] || { echo "not ok - status $status, want 127"; exit 1; }
case $out in
*"cannot start"*"wrong machine"*) echo "ok - cannot start: wrong machine" ;;
*) echo "not ok - no 'cannot start ... wrong machine' line"; exit 1 ;;
esac
