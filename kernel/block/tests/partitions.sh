#!/bin/sh
# Partition tables made by the host's sfdisk (MBR with logical partitions) and sgdisk
# (GPT), read by the kernel through a loop device with partition scanning (busybox
# losetup -P): each /dev/loop0pN must have the size the host's table gives (an extended
# partition shows its first 2 sectors, as on Linux) and start where the host says, which
# a marker written there by the host shows.
#   partitions.sh AMPHI WORKDIR
set -eu
amphi=$1
work=$2
rm -rf "$work"
mkdir -p "$work/root/img"
cd "$work"

# Writes "part N" at the start of each partition of image $1 (from sfdisk -d) and prints
# the expected "N SIZE-IN-BYTES MARKER" lines.
mark() {
	sfdisk -d "$1" | sed -n 's/^[^ ]*[^0-9]\([0-9][0-9]*\) *: *start= *\([0-9]*\), *size= *\([0-9]*\), *type=\([^,]*\).*/\1 \2 \3 \4/p' |
	while read -r n start size type; do
		case $type in
		5 | f | 85) echo "$n 1024 -" ;; # extended: its first 2 sectors, its EBR there
		*)
			printf 'part %-8s' "$n" | dd of="$1" bs=512 seek="$start" conv=notrunc 2>/dev/null
			echo "$n $((size * 512)) part $n"
			;;
		esac
	done
}

truncate -s 16M mbr.img
printf 'label: dos\nstart=2048, size=4096, type=83\nstart=8192, size=8192, type=5\nstart=8448, size=1024, type=83\nstart=10240, size=2048, type=83\nstart=20480, size=6144, type=83\n' |
	sfdisk -q mbr.img
truncate -s 16M gpt.img
sgdisk -o -n 1:2048:+1M -n 3:8192:+3M -n 7:20480:+2M gpt.img >/dev/null
mark mbr.img | sort -n >expected-mbr
mark gpt.img | sort -n >expected-gpt
cp mbr.img gpt.img root/img/
(cd root && find . | cpio -o -H newc 2>/dev/null) >extra.cpio

for t in mbr gpt; do
	cat >script-$t <<SCRIPT
losetup -P /dev/loop0 /img/$t.img || exit 1
for p in /dev/loop0p*; do
	n=\${p#/dev/loop0p}
	case \$(blockdev --getsize64 \$p) in
	1024) echo "\$n 1024 -" ;;
	*) echo "\$n \$(blockdev --getsize64 \$p) \$(head -c 13 \$p | tr -s ' ')" ;;
	esac
done
losetup -d /dev/loop0
ls /dev/loop0p* 2>/dev/null
exit 0
SCRIPT
	"$amphi" --initrd extra.cpio <script-$t >out-$t 2>&1 || { cat out-$t; exit 1; }
	grep -E '^[0-9]+ [0-9]+ ' out-$t | sed 's/ *$//' | sort -n >got-$t
	sed -i 's/ *$//' expected-$t
	if ! diff -u expected-$t got-$t; then
		echo "not ok - $t partitions differ from the host's table"
		exit 1
	fi
	echo "ok - $t: $(wc -l <got-$t) partitions as the host's table has them"
done
