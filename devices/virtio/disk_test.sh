#!/bin/bash
# /dev/vda from busybox on a disk backed by a host file: reads match the host's sha256sum of
# the file, and the same dd writes made inside Amphi and by the host's dd on a copy leave
# identical files; a read-only disk refuses writes and stays unchanged.
#
#   disk_test.sh rw|ro hosted COMMAND...    COMMAND runs the hosted kernel (maybe under
#                                           memcheck); the disks are --disk options
#   disk_test.sh rw|ro qemu TARGET BUSYBOX  under QEMU (harness/qemu-exec, TARGET's busybox
#                                           in the folder BUSYBOX), QEMU's virtio-blk-device
#   disk_test.sh ext2 hosted COMMAND... | ext2 qemu TARGET BUSYBOX
#                                           busybox mounts an ext2 image made by the host's
#                                           mke2fs, writes to it and unmounts; the host's
#                                           e2fsck -fn finds it clean and debugfs reads the
#                                           files back
#   disk_test.sh ktest SUITE hosted COMMAND... | ktest SUITE qemu TARGET
#                                           runs ktest=SUITE with a scratch disk (vda) and a
#                                           read-only one (vdb)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mode="$1"
shift
suite=
if [ "$mode" = ktest ]; then
	suite="$1"
	shift
fi
runner="$1"
shift
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
seq 1 30000 >"$dir/disk.img" && truncate -s 128K "$dir/disk.img" # a known pattern, 256 sectors
head -c 2097152 /dev/zero >"$dir/scratch.img"

# QEMU options for drives FILE[,ro]... and an entropy device: modern (version 2) virtio-mmio. QEMU virt gives
# the last -device the lowest address, and the kernel names disks in address order, so
# the drives go in reverse for vda to be the first.
qemu_drives() {
	local args="-global virtio-mmio.force-legacy=false -device virtio-rng-device" i=$#
	while [ "$i" -gt 0 ]; do
		local spec="${!i}" ro=
		[ "${spec%,ro}" != "$spec" ] && ro=",readonly=on"
		args+=" -drive if=none,id=d$i,file=${spec%,ro},format=raw$ro"
		args+=" -device virtio-blk-device,drive=d$i"
		i=$((i - 1))
	done
	echo "$args"
}

# Runs the shell commands on stdin in the kernel with the disks FILE[,ro]... as vda, vdb...
run_shell() {
	local cmds
	cmds="$(cat)"
	if [ "$runner" = hosted ]; then
		local disks=()
		for d in "$@"; do disks+=(--disk "$d"); done
		printf '%s\n' "$cmds" | "${cmd[@]}" "${disks[@]}" --init /bin/sh 2>&1
	else
		AMPHI_QEMU_ARGS="$(qemu_drives "$@")" PATH="$busybox:$PATH" \
			"$root/harness/qemu-exec" --target "$target" busybox sh -c "$cmds" 2>&1 || true
	fi
}

if [ "$runner" = hosted ]; then
	cmd=("$@")
else
	target="$1"
	busybox="${2:-}"
fi

if [ "$mode" = ktest ]; then
	if [ "$runner" = hosted ]; then
		exec "${cmd[@]}" --disk "$dir/scratch.img" --disk "$dir/disk.img,ro" -- "ktest=$suite"
	fi
	AMPHI_QEMU_ARGS="$(qemu_drives "$dir/scratch.img" "$dir/disk.img,ro")" \
		"$root/harness/boot" "$target" "ktest=$suite"
	exit
fi

if [ "$mode" = ext2 ]; then
	mke2fs -q -F -t ext2 -b 1024 "$dir/ext2.img" 4M
	out="$(printf '%s\n' 'mkdir -p /mnt && mount -t ext2 /dev/vda /mnt &&
		seq 1 5000 >/mnt/seq && mkdir /mnt/d && cp /mnt/seq /mnt/d/copy &&
		ln -s seq /mnt/link && sync && umount /mnt; echo "ext2 status $?"' |
		run_shell "$dir/ext2.img")"
	echo "$out"
	echo "$out" | grep -q "^ext2 status 0" || { echo "not ok - mount, writes or umount failed"; exit 1; }
	e2fsck -fn "$dir/ext2.img" || { echo "not ok - e2fsck -fn finds the image damaged"; exit 1; }
	echo "ok - e2fsck -fn finds the image clean"
	seq 1 5000 >"$dir/seq"
	for f in /seq /d/copy; do
		debugfs -R "dump $f $dir/got" "$dir/ext2.img" 2>/dev/null
		cmp "$dir/got" "$dir/seq" || { echo "not ok - $f read back by debugfs differs"; exit 1; }
	done
	debugfs -R "stat /link" "$dir/ext2.img" 2>/dev/null | grep -q 'Fast link dest: "seq"' ||
		{ echo "not ok - /link is not the symlink to seq"; exit 1; }
	echo "ok - debugfs reads back the files and the symlink written through /dev/vda"
	exit 0
fi

before="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"
if [ "$mode" = ro ]; then
	out="$(printf '%s\n' 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum' \
		'echo x | dd of=/dev/vda conv=notrunc; echo "write status $?"' |
		run_shell "$dir/disk.img,ro")"
	echo "$out"
	echo "$out" | grep -q "^$before  -" || { echo "not ok - read differs from the file"; exit 1; }
	echo "ok - the read-only disk reads as the host file"
	echo "$out" | grep -q "^write status 1" || { echo "not ok - a write was not refused"; exit 1; }
	after="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"
	[ "$after" = "$before" ] || { echo "not ok - the read-only file changed"; exit 1; }
	echo "ok - writes to the read-only disk are refused and the file is unchanged"
	exit 0
fi

# The writes, for busybox's dd inside and the host's dd outside: zeroed sectors, a few
# bytes at an odd offset (read, changed and written back by the block layer), and a copy
# from one part of the disk to another (reads and writes of many sectors).
writes='dd if=/dev/zero of=$D bs=512 seek=5 count=7 conv=notrunc 2>/dev/null &&
printf amphi | dd of=$D bs=1 seek=20001 conv=notrunc 2>/dev/null &&
dd if=$D of=$D bs=2048 skip=3 seek=32 count=16 conv=notrunc 2>/dev/null'
cp "$dir/disk.img" "$dir/host.img"
D="$dir/host.img"
eval "$writes"
want="$(sha256sum <"$dir/host.img" | cut -d' ' -f1)"
out="$({ echo 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum'
	echo "D=/dev/vda; $writes && sync; echo \"sync status \$?\""
	echo 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum'; } | run_shell "$dir/disk.img")"
echo "$out"
echo "$out" | grep -q "^$before  -" || { echo "not ok - the first read differs from the file"; exit 1; }
echo "ok - /dev/vda reads as the host file"
echo "$out" | grep -q "^sync status 0" || { echo "not ok - the writes or sync failed"; exit 1; }
echo "$out" | grep -q "^$want  -" || { echo "not ok - the disk read back differs from the host's dd"; exit 1; }
got="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"
[ "$got" = "$want" ] || { echo "not ok - the file differs from the host's dd on a copy"; exit 1; }
echo "ok - the writes through /dev/vda equal the host's dd on a copy"
