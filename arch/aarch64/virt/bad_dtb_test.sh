#!/usr/bin/env bash
# Boots the aarch64 Image on QEMU virt's own device tree (GICv3, 4 CPUs) with one planted
# flaw, so a test can check how the kernel reports bad firmware data:
#
#   arch/aarch64/virt/bad_dtb_test.sh VARIANT [kernel command line...]
#
# VARIANT:
#   cpus            cpu@2 has enable-method "spin-table", cpu@3 repeats cpu@1's MPIDR
#   timer           the timer's interrupts name no virtual-timer PPI
#   redistributors  the one redistributor region holds no CPU's redistributor
# The Image is the one harness/boot takes (AMPHI_AARCH64_IMAGE or the build tree).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 cpus|timer|redistributors [cmdline...]" >&2; exit 2; }
variant="$1"
shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dtb="$tmp/virt.dtb"

# The machine here must be the one harness/boot starts below.
qemu-system-aarch64 -M "virt,gic-version=3,dumpdtb=$dtb" -cpu cortex-a72 -smp 4 -m 128M \
	-nographic -nodefaults -no-user-config >/dev/null
gic="$(fdtget -l "$dtb" / | grep '^intc@' | head -n 1)"
case "$variant" in
cpus)
	fdtput -t s "$dtb" /cpus/cpu@2 enable-method spin-table
	fdtput -t x "$dtb" /cpus/cpu@3 reg 1
	;;
timer)
	fdtput -t x "$dtb" /timer interrupts 1 13 4
	;;
redistributors)
	# Distributor kept; the redistributor region moved onto the ITS frame.
	fdtput -t x "$dtb" "/$gic" reg 0 0x8000000 0 0x10000 0 0x8080000 0 0x20000
	;;
*)
	echo "$0: unknown variant '$variant'" >&2
	exit 2
	;;
esac
AMPHI_AARCH64_DTB="$dtb" AMPHI_AARCH64_GIC=3 AMPHI_AARCH64_SMP=4 \
	"$root/harness/boot" aarch64 "$@"
