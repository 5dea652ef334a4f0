#!/bin/sh
# Packs the built-in initramfs: Debian's static busybox as /bin/busybox with a symbolic link
# for each applet where busybox installs it, the usual top-level directories, and a root
# entry in /etc/passwd and /etc/group. Every entry is owned by root and dated EPOCH, and the
# archive lists them in byte order, so the same inputs give the same archive. Busybox comes
# last, in an archive of its own after zeros (skipped between archives, as Linux does) that
# make its data start on a 4 KiB page: the kernel then takes those pages over as the file's.
#   mkinitramfs.sh BUSYBOX APPLET_LIST_BUSYBOX OUT
# BUSYBOX goes into the archive; APPLET_LIST_BUSYBOX (a host-runnable busybox of the same
# Debian version) names the applets, so an arm64 busybox is packed on an x86_64 host.
set -eu
[ $# -eq 3 ] || { echo "usage: mkinitramfs.sh BUSYBOX APPLET_LIST_BUSYBOX OUT" >&2; exit 2; }
busybox=$1 lister=$2 out=$3
epoch=1767225600 # 2026-01-01 00:00:00 UTC
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" "$stage/etc" \
	"$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" "$stage/root" "$stage/mnt"
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"
cp "$busybox" "$stage/bin/busybox"
chmod 755 "$stage/bin/busybox"
"$lister" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] || ln -s /bin/busybox "$stage/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"
echo amphi >"$stage/etc/hostname"
find "$stage" -exec touch -h -d "@$epoch" {} +
pack() { cpio -o -H newc -R 0:0 --reproducible --quiet; }
(cd "$stage" && find . -mindepth 1 ! -path ./bin/busybox | LC_ALL=C sort | pack) >"$out.tmp"
# the busybox archive's data follows its 110-byte header and the name cpio writes,
# "bin/busybox" with its NUL, padded to 124 bytes
pad=$(( (4096 - ($(wc -c <"$out.tmp") + 124) % 4096) % 4096 ))
head -c "$pad" /dev/zero >>"$out.tmp"
(cd "$stage" && echo ./bin/busybox | pack) >>"$out.tmp"
mv "$out.tmp" "$out"
