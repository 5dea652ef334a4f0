#!/bin/sh
# Damaged ext2 images, made from a host mke2fs image by patching fields (dd) or with
# debugfs -w: each must fail to mount with an error (EINVAL for a refused super block or
# group descriptor, EUCLEAN for a damaged directory) or, for a damaged file, give EUCLEAN
# when the file is opened (its contents are read then); never crash the kernel, and a failed mount writes nothing (the
# image's digest is the same before and after).
#   ext2_corrupt.sh AMPHI WORKDIR    (AMPHI: the hosted binary, or a command running it)
set -eu
amphi=$1
work=$2
rm -rf "$work"
mkdir -p "$work/src/sub" "$work/root/img"
cd "$work"
echo data >src/file
echo more >src/sub/other
mke2fs -q -F -t ext2 -b 1024 -d src base.img 2M

# poke IMAGE OFFSET HEX-BYTES: writes bytes (e.g. "\\377\\377") at OFFSET
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
img() { cp base.img "root/img/$1.img"; echo "root/img/$1.img"; }

poke "$(img magic)" 1080 '\000\000'
poke "$(img blocks)" 1028 '\377\377\377\177'
poke "$(img bitmap)" 2048 '\360\377\377\177'
poke "$(img table)" 2056 '\360\377\377\177'
poke "$(img incompat)" 1120 '\102\000\000\000'      # filetype + extents
poke "$(img blocksize)" 1048 '\011\000\000\000'     # 512 KiB blocks
root_block=$(debugfs -R "bmap <2> 0" base.img 2>/dev/null)
poke "$(img reclen)" $((root_block * 1024 + 4)) '\000\000'
debugfs -w -R "ln <2> /sub/up" "$(img loop)" 2>/dev/null
debugfs -w -R "sif /file block[0] 0x7ffffff0" "$(img badptr)" 2>/dev/null
poke "$(img rocompat)" 1124 '\013\000\000\000'     # sparse_super, large_file, huge_file
cp base.img root/img/short.img && truncate -s 100K root/img/short.img
cp base.img root/img/full.img
(cd root && find . | cpio -o -H newc 2>/dev/null) >extra.cpio

cat >script <<'SCRIPT'
for c in magic blocks bitmap table incompat blocksize reclen loop short rocompat; do
	before=$(md5sum </img/$c.img)
	mount -o loop /img/$c.img /mnt 2>&1 | sed "s/^/$c: /"
	[ "$(md5sum </img/$c.img)" = "$before" ] && echo "$c: image unchanged"
	umount /mnt 2>/dev/null && echo "$c: mounted"
done
mount -r -o loop /img/rocompat.img /mnt && cat /mnt/file && umount /mnt && echo "rocompat: read-only mount"
mount -o loop /img/badptr.img /mnt && echo "badptr: mounted"
cat /mnt/file 2>&1 | sed "s/^/badptr: /"
cat /mnt/sub/other
umount /mnt && echo "badptr: unmounted"
mount -o loop /img/full.img /mnt && dd if=/dev/zero of=/mnt/big bs=1k count=3000 2>&1 | sed "s/^/full: /"
umount /mnt && echo "full: unmounted"
echo survived
SCRIPT
$amphi --initrd extra.cpio <script >console 2>&1 || { cat console; echo "not ok - the kernel did not survive"; exit 1; }
cat console
fail=0
expect() { grep -qF "$1" console || { echo "not ok - no line: $1"; fail=1; }; }
for c in magic blocks bitmap table incompat blocksize short rocompat; do
	expect "$c: mount: mounting /dev/loop0 on /mnt failed: Invalid argument"
done
for c in reclen loop; do
	expect "$c: mount: mounting /dev/loop0 on /mnt failed: Structure needs cleaning"
done
for c in magic blocks bitmap table incompat blocksize reclen loop short rocompat; do
	expect "$c: image unchanged"
done
expect "rocompat: read-only mount"
expect "badptr: mounted"
expect "badptr: cat: can't open '/mnt/file': Structure needs cleaning"
expect "badptr: unmounted"
expect "full: dd: error writing '/mnt/big': No space left on device"
expect "full: unmounted"
expect "amphi: ext2: loop0: cannot mount: no ext2 magic"
expect "amphi: ext2: loop0: bad directory record length in directory 2"
expect "amphi: ext2: loop0: directory linked twice (a loop?) 2"
expect "survived"
if grep -E '^(magic|blocks|bitmap|table|incompat|blocksize|reclen|loop|short|rocompat): mounted$' console; then
	echo "not ok - a damaged image mounted"
	fail=1
fi
[ $fail -eq 0 ] && echo "ok - every damaged image failed cleanly"
exit $fail
