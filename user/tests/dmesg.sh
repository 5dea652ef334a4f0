#!/bin/sh
# The kernel log through syslog(2): busybox dmesg, run by the shell the kernel boots, prints
# again the boot messages the console showed before it (the log starts with exactly them).
# usage: dmesg.sh path/to/amphi
amphi=${1:?usage: dmesg.sh path/to/amphi}
out=$(printf 'dmesg\n' | "$amphi" | grep -v -e '^trace hash:' -e '^amphi: power off')
first=$(printf '%s\n' "$out" | head -n 1)
total=$(printf '%s\n' "$out" | wc -l)
# the line where dmesg's output begins: the second copy of the first boot line
again=$(printf '%s\n' "$out" | grep -nxF -- "$first" | sed -n 2p | cut -d: -f1)
if [ -z "$again" ] || [ "$again" -lt 3 ]; then
	echo "not ok 1 - dmesg printed no copy of the boot log"
	printf '%s\n' "$out"
	exit 1
fi
boot=$(printf '%s\n' "$out" | head -n $((again - 1)))
log=$(printf '%s\n' "$out" | tail -n $((total - again + 1)))
if [ "$boot" != "$log" ]; then
	echo "not ok 1 - dmesg differs from the boot log"
	printf '%s\n' "--- console" "$boot" "--- dmesg" "$log"
	exit 1
fi
echo "ok 1 - dmesg prints the $((again - 1)) boot lines the console showed"
