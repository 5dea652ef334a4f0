#!/bin/sh
# ext2 against e2fsprogs: the host's mke2fs makes an image holding seed.sh's tree; inside
# the kernel, busybox loop-mounts it, runs tree.sh on it, unmounts and hands the image
# back (gzip | base64 on the console). The host's e2fsck -fn must find it clean, and the
# tree debugfs reads from it (contents, types, modes, symlink targets, which names are
# hard links of one inode, an ownership change) must be the tree the same tree.sh made
# in a host directory.
#   ext2_tree.sh AMPHI WORKDIR [BLOCK_SIZE [TARGET]]
# AMPHI: the hosted binary (or a command running it), or with a QEMU TARGET (x86_64,
# aarch64) harness/qemu-exec, which boots busybox (found through PATH) with the image and
# scripts beside it in /bin.
set -eu
amphi=$1
work=$2
bs=${3:-1024}
target=${4:-hosted}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work/root/img" "$work/root/test" "$work/ref" "$work/seedroot"
cd "$work"

sh "$here/seed.sh" seedroot
cp -a seedroot/. ref/
sh "$here/tree.sh" "$work/ref"
mke2fs -q -F -t ext2 -b "$bs" -N 1024 -d seedroot root/img/disk.img 8M
cp "$here/tree.sh" root/test/
(cd root && find . | cpio -o -H newc 2>/dev/null) >extra.cpio
cat >script <<'SCRIPT'
mkdir -p /m
mount -o loop /img/disk.img /m || exit 1
sh /test/tree.sh /m || echo "tree.sh failed"
chown 1234:567 /m/sizes/f1
umount /m || echo "umount failed"
echo BEGIN-IMAGE
gzip -c /img/disk.img | base64
echo END-IMAGE
SCRIPT
if [ "$target" = hosted ]; then
	$amphi --mem 512M --initrd extra.cpio <script >console 2>&1 || { cat console; exit 1; }
else
	sed 's|/img/|/bin/|g; s|/test/|/bin/|g' script >script.sh
	AMPHI_EXEC_TIMEOUT=900 AMPHI_EXEC_INITRD_ADD="root/img/disk.img root/test/tree.sh script.sh" \
		"$amphi" --target "$target" busybox sh /bin/script.sh >console 2>&1 ||
		{ cat console; exit 1; }
fi
grep -v '^[A-Za-z0-9+/=]*$' console | grep -v '^amphi: \(ram\|reserved\)' || true
if grep -q 'failed' console; then
	echo "not ok - the script failed inside the kernel"
	exit 1
fi
sed -n '/^BEGIN-IMAGE$/,/^END-IMAGE$/p' console | sed '1d;$d' | base64 -d | gunzip >back.img

if ! e2fsck -fn back.img >fsck.out 2>&1; then
	cat fsck.out
	echo "not ok - e2fsck -fn finds the image damaged"
	exit 1
fi
echo "ok - e2fsck -fn finds the image clean: $(tail -1 fsck.out)"
# The check is proven on a planted fault: group 0's free block count set to 1 (its
# descriptor is in the block after the super block's).
cp back.img planted.img
gd=$(( (bs == 1024 ? 2 : 1) * bs ))
printf '\001\000' | dd of=planted.img bs=1 seek=$((gd + 12)) conv=notrunc 2>/dev/null
if e2fsck -fn planted.img >/dev/null 2>&1; then
	echo "not ok - e2fsck -fn misses a planted wrong free block count"
	exit 1
fi
echo "ok - e2fsck -fn catches a planted wrong free block count"

# listing DIR: path, type, size, contents' digest or symlink target (modes come from
# debugfs below: rdump keeps only the permission bits)
listing() {
	(cd "$1" && find . -path ./lost+found -prune -o -print | LC_ALL=C sort | while read -r p; do
		if [ -L "$p" ]; then
			echo "$p link $(readlink "$p")"
		elif [ -d "$p" ]; then
			echo "$p dir"
		else
			echo "$p file $(stat -c %s "$p") $(md5sum <"$p" | cut -d' ' -f1)"
		fi
	done)
}
mkdir out
debugfs -R "rdump / out" back.img 2>/dev/null
listing ref >ref.list
listing out >img.list
if ! diff -u ref.list img.list; then
	echo "not ok - the tree read back differs from the host's"
	exit 1
fi
echo "ok - the tree read back is the host's: $(wc -l <ref.list) names"

# Hard links: each name with the first name (sorted) of its inode; then each name's mode.
groups() { sort -k2 | awk '{ if (!($1 in first)) first[$1] = $2; print $2, first[$1] }' | sort; }
(cd ref && find . -path ./lost+found -prune -o ! -type d -printf '%i %p\n') | groups >ref.links
(cd ref && find . -path ./lost+found -prune -o ! -path . -printf '%p %m\n') | sort >ref.modes
(cd out && find . -type d) | sed 's|^\.||; s|^$|/|' | while read -r d; do echo "ls -p $d"; done >ls.cmds
debugfs -f ls.cmds back.img 2>/dev/null | awk -F/ '
	/^debugfs: ls -p/ { dir = $0; sub(/^debugfs: ls -p \/*/, "", dir); next }
	NF >= 7 && $6 != "." && $6 != ".." {
		p = (dir == "" ? "./" : "./" dir "/") $6
		m = substr($3, length($3) - 3); sub(/^0+/, "", m); print p, m >"img.modes.raw"
		if ($3 !~ /^04/) print $2, p
		if (p == "./sizes/f1") print "owner", $4 ":" $5 >"owner.txt" }' |
	grep -v '^[0-9]* ./lost+found' | groups >img.links
if ! diff -u ref.links img.links; then
	echo "not ok - hard links differ"
	exit 1
fi
grep -v '^./lost+found' img.modes.raw | sort >img.modes
if ! diff -u ref.modes img.modes; then
	echo "not ok - modes differ"
	exit 1
fi
if [ "$(cat owner.txt)" != "owner 1234:567" ]; then
	echo "not ok - chown: sizes/f1 is $(cat owner.txt)"
	exit 1
fi
echo "ok - hard links and ownership as made"
