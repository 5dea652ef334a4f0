#!/bin/bash
# Generated damaged ext2 images (ext2_mangle.py: random bytes of the super block, group
# descriptors, inode table or directory blocks, or a truncated image, from a seed), each
# attached to /dev/loop0 and mounted by busybox inside the kernel, then a fixed set of
# operations: list the tree, read every file, create, mkdir, remove, rename, sync,
# unmount. Each must mount or fail cleanly: no panic, no hang, every image reaches its
# "done" line, and the machine powers off normally.
#
#   ext2_fuzz.sh WORKDIR SEED COUNT AMPHI...
#
# The regression images of bugs the generator found are replayed by their seed and index
# in every run (REGRESSIONS below; EXT2_FUZZ_REGRESSIONS="SEED:INDEX..." replaces them).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$1 seed=$2 count=$3
shift 3
# seed:index of images that once broke the kernel: 6:50, 7:15 and 8:26 give an inode that
# fails to load (a bad directory size) whose last reference was dropped with ext2's lock
# held, so its eviction took the lock again (a lockdep report, then a hang)
REGRESSIONS="${EXT2_FUZZ_REGRESSIONS-6:50 7:15 8:26}"
rm -rf "$work"
mkdir -p "$work/src/sub/deep" "$work/root/img"
cd "$work" || exit 1
echo data >src/file
seq 1 30000 >src/big # indirect blocks
seq 1 100 >src/sub/deep/leaf
ln -s file src/fast
ln -s "$(printf 'x%.0s' $(seq 1 80))" src/slow
mke2fs -q -F -t ext2 -b 1024 -N 64 -d src base.img 1M
python3 "$here/ext2_mangle.py" base.img "$seed" "$count" root/img >made || exit 1
names=$(seq 0 $((count - 1)) | sed 's/^/m/' | tr '\n' ' ')
n=0
for r in $REGRESSIONS; do
	python3 "$here/ext2_mangle.py" base.img "${r%:*}" "$((${r#*:} + 1))" . >/dev/null
	mv "m${r#*:}.img" "root/img/r$n.img"
	echo "r$n: seed ${r%:*} image ${r#*:}" >>made
	names="$names r$n"
	n=$((n + 1))
done
cat made
(cd root && find . | cpio -o -H newc 2>/dev/null) >extra.cpio

{
	echo "for c in $names; do"
	cat <<'SCRIPT'
	echo "try $c"
	losetup /dev/loop0 /img/$c.img || { echo "done $c: no loop"; continue; }
	if mount -t ext2 /dev/loop0 /mnt 2>/dev/null; then
		ls -laR /mnt >/dev/null 2>&1
		find /mnt -type f -exec cat {} + >/dev/null 2>&1
		echo new >/mnt/new 2>/dev/null
		mkdir /mnt/newdir 2>/dev/null
		rm -f /mnt/file 2>/dev/null
		mv /mnt/sub /mnt/sub2 2>/dev/null
		sync
		umount /mnt || echo "$c: umount failed"
		echo "done $c: mounted"
	else
		echo "done $c: refused"
	fi
	losetup -d /dev/loop0 || echo "$c: loop busy"
	rm /img/$c.img
done
echo survived
SCRIPT
} >script
"$@" --initrd extra.cpio --mem 256M <script >console 2>&1
status=$?
fail=0
if [ $status -ne 0 ] || grep -q '^panic:' console; then
	grep -B30 -A12 '^panic:' console || tail -40 console
	echo "not ok - the kernel did not survive (status $status): the last image tried was:"
	last=$(sed -n 's/^try //p' console | tail -1)
	grep "^$last:" made
	fail=1
fi
for c in $names; do
	grep -q "^done $c: " console || { echo "not ok - $c never finished"; fail=1; }
done
grep -q '^survived$' console || { echo "not ok - the script did not finish"; fail=1; }
if grep -q 'umount failed\|loop busy' console; then
	grep 'umount failed\|loop busy' console
	echo "not ok - a mounted damaged image could not be released"
	fail=1
fi
echo "# $(grep -c ': mounted$' console) mounted, $(grep -c ': refused$' console) refused"
[ $fail -eq 0 ] && echo "ok - every generated damaged image mounted or failed cleanly"
exit $fail
