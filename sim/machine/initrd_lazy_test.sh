#!/bin/sh
# Checks the RAM disk's files that RAM takes lazily, when first used: busybox of the
# built-in initramfs and the program of amphi exec (here busybox with random bytes after
# it, so that the two differ). Read by the kernel (sha256sum), mapped into a program (the
# program itself, and a copy of busybox run from /tmp) and copied whole, they must match
# the host files: the busybox the initramfs was packed from, and the program.
# usage: initrd_lazy_test.sh BUSYBOX [launcher...] path/to/amphi
#   (BUSYBOX: the one packed into the built-in initramfs, AMPHI_GUEST_BUSYBOX)
[ $# -ge 2 ] || { echo "usage: initrd_lazy_test.sh BUSYBOX [launcher...] amphi" >&2; exit 2; }
busybox=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{ cat "$busybox"; head -c 123457 /dev/urandom; } >"$dir/busybox" || exit 1
chmod +x "$dir/busybox"
want_builtin=$(sha256sum <"$busybox" | cut -d' ' -f1)
want_program=$(sha256sum <"$dir/busybox" | cut -d' ' -f1)
out=$("$@" exec "$dir/busybox" sh -c 'sha256sum /bin/busybox /busybox
	cp /bin/busybox /tmp/busybox && /tmp/busybox echo ran-the-copy && sha256sum /tmp/busybox' 2>&1 </dev/null)
status=$?
failed=0
check() { # check <what> <the line the output must hold>
	if printf '%s\n' "$out" | grep -qx "$2"; then
		echo "ok - $1"
	else
		echo "not ok - $1: want \"$2\""
		failed=1
	fi
}
check "the built-in busybox as the kernel reads it" "$want_builtin  /bin/busybox"
check "the program as the kernel reads it" "$want_program  /busybox"
check "a copy of busybox runs" "ran-the-copy"
check "the copy is whole" "$want_builtin  /tmp/busybox"
[ $status -eq 0 ] && echo "ok - status 0" || { echo "not ok - status $status"; failed=1; }
[ $failed -eq 0 ] || printf 'output:\n%s\n' "$out"
exit $failed
