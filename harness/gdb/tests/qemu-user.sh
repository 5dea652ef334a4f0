#!/bin/sh
# Runs user.gdb on a QEMU target with busybox uname as the first process.
#   qemu-user.sh TARGET BUSYBOX
set -eu
[ $# -eq 2 ] || { echo "usage: qemu-user.sh TARGET BUSYBOX" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/../../mkinitrd.sh" "$tmp/initrd" "$2"
AMPHI_INITRD="$tmp/initrd" "$here/../../debug" --batch "$here/user.gdb" "$1" \
	'rdinit=/bin/busybox -- "uname"'
