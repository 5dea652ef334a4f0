#!/bin/bash
# root=/dev/vda the Linux way: an ext2 image made by the host's `mke2fs -d` from a tree
# holding busybox and a script as /sbin/init is the root file system; the kernel mounts
# it (read-only by default, rw on request, also from an MBR partition: root=/dev/vda1) and
# runs its init. A missing root device or file system type stops the kernel with a panic
# that says why and lists the devices there are; so does a root without an init.
#
#   root.sh hosted WORKDIR AMPHI          the hosted kernel, --disk IMG -- root=...
#   root.sh qemu WORKDIR TARGET BUSYBOX   harness/boot TARGET with a virtio-blk drive;
#                                         BUSYBOX: the folder of the target's busybox
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
runner=$1 work=$2
shift 2
if [ "$runner" = hosted ]; then
	amphi=$1
	busybox=$(command -v busybox)
else
	target=$1
	busybox=$2/busybox
fi
rm -rf "$work"
mkdir -p "$work/tree/bin" "$work/tree/sbin" "$work/tree/etc" "$work/tree/dev" "$work/tree/proc"
cd "$work" || exit 1
cp "$busybox" tree/bin/busybox
for a in sh cat ls echo mount sync; do ln -s busybox "tree/bin/$a"; done
cat >tree/sbin/init <<'EOF'
#!/bin/sh
echo "init: $0 pid $$"
ls /
cat /etc/motd
mount -t proc proc /proc && cat /proc/mounts
echo x >/newfile 2>/dev/null && echo "root: writable" || echo "root: read-only"
exit 7
EOF
chmod +x tree/sbin/init
cat >tree/etc/rc <<'EOF'
echo "rc: $0 $*"
echo "written by rc" >/newfile && sync && echo "rc: wrote /newfile"
exit 5
EOF
echo "motd of the ext2 root" >tree/etc/motd
mke2fs -q -F -t ext2 -d tree root.img 8M
mke2fs -q -F -t ext2 empty.img 2M # no init at all
# The same tree in the first partition of an MBR disk.
truncate -s 10M part.img
echo 'start=2048, size=16384, type=83' | sfdisk -q part.img
mke2fs -q -F -t ext2 -d tree -E offset=$((2048 * 512)) part.img 8M

# boot IMG CMDLINE: the console of a boot with IMG as vda (a serial console's CRs
# dropped); the status on the last line.
boot() {
	if [ "$runner" = hosted ]; then
		"$amphi" --disk "$1" -- $2 2>&1
		echo "exit $?"
	else
		AMPHI_QEMU_ARGS="-global virtio-mmio.force-legacy=false -drive if=none,id=d0,file=$1,format=raw -device virtio-blk-device,drive=d0" \
			timeout 120 "$root/harness/boot" "$target" "$2" 2>&1 | tr -d '\r'
		echo "exit ${PIPESTATUS[0]}"
	fi
}
fail=0
# expect NAME FILE LINE...: every LINE is a line of FILE.
expect() {
	local name=$1 file=$2 line
	shift 2
	for line in "$@"; do
		grep -qxF -- "$line" "$file" || { echo "not ok - $name: no line '$line'"; fail=1; }
	done
}

boot root.img "root=/dev/vda" >ro.out
cat ro.out
expect ro ro.out "init: /sbin/init pid 1" "motd of the ext2 root" "root: read-only" \
	"/dev/vda / ext2 ro 0 0" "devtmpfs /dev devtmpfs rw 0 0" "proc /proc proc rw 0 0" \
	"amphi: VFS: mounted root (ext2 file system) readonly on device 254:0." \
	"amphi: power off, status 7"

boot root.img "root=/dev/vda rootfstype=ext2 rw init=/bin/sh -- /etc/rc one" >rw.out
cat rw.out
expect rw rw.out "rc: /etc/rc one" "rc: wrote /newfile" "amphi: power off, status 5" \
	"amphi: VFS: mounted root (ext2 file system) on device 254:0."
e2fsck -fn root.img >fsck.out 2>&1 || { cat fsck.out; echo "not ok - rw: e2fsck -fn"; fail=1; }
[ "$(debugfs -R 'cat /newfile' root.img 2>/dev/null)" = "written by rc" ] ||
	{ echo "not ok - rw: debugfs does not read /newfile back"; fail=1; }

boot part.img "root=/dev/vda1" >part.out
cat part.out
expect part part.out "init: /sbin/init pid 1" "motd of the ext2 root" \
	"amphi: VFS: mounted root (ext2 file system) readonly on device 254:1." \
	"amphi: power off, status 7"

boot root.img "root=/dev/vdb" >missing.out
cat missing.out
expect missing missing.out 'amphi: VFS: cannot open root device "vdb": error -6' \
	"amphi: 254:0 16384 sectors vda" "amphi: power off, status 3"
grep -q '^panic: VFS: unable to mount the root file system' missing.out ||
	{ echo "not ok - missing: no panic line"; fail=1; }

boot root.img "root=/dev/vda rootfstype=nofs" >fstype.out
cat fstype.out
expect fstype fstype.out "amphi: VFS: cannot mount root fs nofs (ro) on /dev/vda: error -19" \
	"amphi: power off, status 3"

boot empty.img "root=/dev/vda" >noinit.out
cat noinit.out
expect noinit noinit.out "amphi: power off, status 3"
grep -q '^panic: no working init found on the root device' noinit.out ||
	{ echo "not ok - noinit: no panic line"; fail=1; }

grep -q '^rootfs ' ro.out && { echo "not ok - ro: /proc/mounts shows the RAM root outside"; fail=1; }
[ $fail -eq 0 ] && echo "ok - the kernel mounts root=/dev/vda and runs its init"
exit $fail
