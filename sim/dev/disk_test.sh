#!/bin/sh
# /dev/vda from busybox on a --disk host file: reads match the host's sha256sum of the file,
# and the same dd writes made inside Amphi and by the host's dd on a copy leave identical
# files; a disk given with ,ro refuses writes and stays unchanged.
#   disk_test.sh rw|ro COMMAND...   (COMMAND runs the hosted kernel, e.g. a memcheck wrapper)
#   disk_test.sh ktest SUITE COMMAND...   runs ktest=SUITE with a scratch disk (vda) and a
#                                         read-only one (vdb)
set -eu
mode="$1"
shift
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
seq 1 300000 | head -c 1048576 >"$dir/disk.img" # a known pattern, 2048 sectors
if [ "$mode" = ktest ]; then
	suite="$1"
	shift
	head -c 2097152 /dev/zero >"$dir/scratch.img"
	"$@" --disk "$dir/scratch.img" --disk "$dir/disk.img,ro" -- "ktest=$suite"
	exit
fi
cp "$dir/disk.img" "$dir/host.img"
before="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"

# The writes, for busybox's dd inside and the host's dd outside: zeroed sectors, a few
# bytes at an odd offset (read, changed and written back by the block layer), and a copy
# from one part of the disk to another (reads and writes of many sectors in flight).
writes='dd if=/dev/zero of=$D bs=512 seek=5 count=7 conv=notrunc 2>/dev/null &&
printf amphi | dd of=$D bs=1 seek=70001 conv=notrunc 2>/dev/null &&
dd if=$D of=$D bs=4096 skip=3 seek=128 count=32 conv=notrunc 2>/dev/null'

if [ "$mode" = ro ]; then
	out="$(printf '%s\n' 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum' \
		'echo x | dd of=/dev/vda conv=notrunc; echo "write status $?"' |
		"$@" --disk "$dir/disk.img,ro" --init /bin/sh 2>&1)"
	echo "$out"
	echo "$out" | grep -q "^$before  -" || { echo "not ok - read differs from the file"; exit 1; }
	echo "ok - the read-only disk reads as the host file"
	echo "$out" | grep -q "^write status 1" || { echo "not ok - a write was not refused"; exit 1; }
	after="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"
	[ "$after" = "$before" ] || { echo "not ok - the read-only file changed"; exit 1; }
	echo "ok - writes to the read-only disk are refused and the file is unchanged"
	exit 0
fi

D="$dir/host.img"
eval "$writes"
want="$(sha256sum <"$dir/host.img" | cut -d' ' -f1)"
out="$({ echo 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum'
	echo "D=/dev/vda; $writes && sync; echo \"sync status \$?\""
	echo 'dd if=/dev/vda bs=4096 2>/dev/null | sha256sum'; } |
	"$@" --disk "$dir/disk.img" --init /bin/sh 2>&1)"
echo "$out"
echo "$out" | grep -q "^$before  -" || { echo "not ok - the first read differs from the file"; exit 1; }
echo "ok - /dev/vda reads as the host file"
echo "$out" | grep -q "^sync status 0" || { echo "not ok - the writes or sync failed"; exit 1; }
echo "$out" | grep -q "^$want  -" || { echo "not ok - the disk read back differs from the host's dd"; exit 1; }
got="$(sha256sum <"$dir/disk.img" | cut -d' ' -f1)"
[ "$got" = "$want" ] || { echo "not ok - the file differs from the host's dd on a copy"; exit 1; }
echo "ok - the writes through /dev/vda equal the host's dd on a copy"
