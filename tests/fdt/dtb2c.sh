#!/bin/sh
# Prints a device tree source compiled by dtc as the body of a C byte array, 12 bytes per
# line, for blobs embedded in in-kernel tests (kernel/lib/fdt_ktest.c).
# Usage: tests/fdt/dtb2c.sh tests/fdt/board.dts
set -eu
[ $# -eq 1 ] || { echo "usage: $0 file.dts" >&2; exit 2; }
dtc -q -I dts -O dtb "$1" | od -An -v -tx1 | tr -s ' \n' ' ' |
	awk '{ for (i = 1; i <= NF; i++) { printf "%s0x%s,", (i % 12 == 1 ? "\t" : " "), $i;
	       if (i % 12 == 0 || i == NF) printf "\n" } }'
