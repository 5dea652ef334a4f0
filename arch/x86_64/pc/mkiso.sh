#!/bin/sh
# Builds a GRUB rescue ISO quietly: mkiso.sh <grub-mkrescue> <out.iso> <root dir> <log>.
# grub-mkrescue's chatter goes to the log, which is shown only when it fails.
set -u
if ! "$1" -o "$2" "$3" >"$4" 2>&1; then
	cat "$4" >&2
	echo "mkiso: grub-mkrescue failed (needs grub-pc-bin, xorriso and mtools)" >&2
	exit 1
fi
