#!/bin/sh
# The host tools against e2fsprogs and GNU tar, on the tree fstree.py builds:
#   tools.sh in|out|tar|bad WORK BLOCK_SIZE BINDIR [RUNNER...]
# in:  amphi-cptofs -p copies the tree into a fresh `mke2fs -t ext2` image; e2fsck -fn must
#      find it clean and debugfs must read back the host's tree (names, types, modes,
#      owners, mtimes, contents, link targets, device numbers, hard links); then a planted
#      change in the image must show.
# out: amphi-cptofs -p copies the tree of a `mke2fs -d` image out; the copy must list as
#      the host's tree, and the image must be unchanged.
# tar: amphi-fs2tar of a `mke2fs -d` image must list as the host's tree, and GNU tar's
#      --compare must find no difference with the tree (and must find a planted one).
# bad: damaged images, missing files and bad arguments give one clear line and status 1
#      (2 for usage), never a crash.
# BINDIR holds amphi-cptofs and amphi-fs2tar; RUNNER (e.g. valgrind) runs them.
set -u
case_=$1 work=$2 bs=$3 bindir=$4
shift 4
here=$(dirname "$0")
fstree() { python3 "$here/fstree.py" "$@"; }
fail() { echo "not ok - amphi tools: $*"; exit 1; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fstree build tree || fail "cannot build the tree"
fstree host tree > host.list || fail "cannot list the tree"
mkimage() { # mkimage IMG [-d DIR]
	img=$1
	shift
	mke2fs -q -F -t ext2 -b "$bs" "$@" "$img" 32M >/dev/null || fail "mke2fs $*"
}

runner="$*"
amphi() { # amphi TOOL ARGS...: the tool under the runner
	t=$1
	shift
	$runner "$bindir/amphi-$t" "$@"
}

case $case_ in
in)
	mkimage img
	amphi cptofs -i img -p tree/. :/ || fail "amphi-cptofs into the image: status $?"
	e2fsck -fn img > fsck.txt 2>&1 || { cat fsck.txt; fail "e2fsck -fn finds the image damaged"; }
	fstree image img > image.list || fail "cannot list the image"
	diff -u host.list image.list || fail "the image holds another tree than the host's"
	# into an existing directory, under the source's own name
	amphi cptofs -i img -p tree/links tree/sizes/f4097 :/modes || fail "second copy: $?"
	fstree image img modes/links > links.list && fstree host tree/links > links.host.list
	diff -u links.host.list links.list || fail "a directory copied into another differs"
	e2fsck -fn img > fsck.txt 2>&1 || { cat fsck.txt; fail "e2fsck after the second copy"; }
	# without -p: the mode as GNU cp gives it (no set-id bits, the umask), root's file
	umask 022
	amphi cptofs -i img tree/modes/m6711 :/plain || fail "copy without -p: $?"
	cp tree/modes/m6711 plain.host
	want="Mode:  0$(stat -c %a plain.host)"
	debugfs -R "stat /plain" img 2>/dev/null | grep -q "$want" || fail "without -p, not $want"
	debugfs -R "stat /plain" img 2>/dev/null | grep -q "User:     0   Group:     0" ||
		fail "without -p, the copy is not root's"
	# the comparison catches a planted change
	debugfs -w -R "sif /sizes/f1 mode 0100600" img 2>/dev/null
	fstree image img > planted.list
	diff -q host.list planted.list >/dev/null && fail "a planted mode change went unseen"
	;;
out)
	mkimage img -d tree
	sha256sum img > img.sum
	mkdir out
	amphi cptofs -i img -p :/. out || fail "amphi-cptofs out of the image: status $?"
	fstree host out > out.list
	diff -u host.list out.list || fail "the copy out differs from the tree"
	sha256sum -c --quiet img.sum || fail "copying out changed the image"
	amphi cptofs -i img :/sizes/f65537 out/single || fail "one file out: status $?"
	cmp tree/sizes/f65537 out/single || fail "one file copied out differs"
	;;
tar)
	mkimage img -d tree
	amphi fs2tar -o img.tar img || fail "amphi-fs2tar: status $?"
	fstree tar img.tar > tar.list
	diff -u host.list tar.list || fail "the archive differs from the tree"
	tar -d -f img.tar -C tree --exclude=lost+found || fail "GNU tar --compare finds differences"
	amphi fs2tar img links > links.tar || fail "amphi-fs2tar of a subtree: status $?"
	fstree tar links.tar > links.list && fstree host tree/links > links.host.list
	diff -u links.host.list links.list || fail "the subtree's archive differs"
	touch -d @5 tree/sizes/f1 # planted: GNU tar must see it
	tar -d -f img.tar -C tree --exclude=lost+found >/dev/null 2>&1 &&
		fail "GNU tar --compare missed a planted mtime change"
	;;
bad)
	mkimage good -d tree
	head -c 4194304 /dev/zero > zeros.img
	cp good magic.img && printf '\000\000' | dd of=magic.img bs=1 seek=1080 conv=notrunc status=none
	head -c 200000 good > short.img
	cp good counts.img && printf '\377\377\377\177' | dd of=counts.img bs=1 seek=1028 conv=notrunc status=none
	mkdir dir.img
	for img in zeros.img magic.img short.img counts.img dir.img missing.img; do
		for t in "cptofs -i $img tree/sizes :/x" "cptofs -i $img :/sizes out" "fs2tar $img"; do
			# shellcheck disable=SC2086
			amphi $t > /dev/null 2> err.txt
			status=$?
			[ $status -eq 1 ] || { cat err.txt; fail "amphi-$t: status $status, not 1"; }
			grep -q "^amphi-[a-z0-9]*: .*$img" err.txt || { cat err.txt; fail "amphi-$t: no line naming $img"; }
		done
	done
	amphi cptofs -i good tree/sizes out > /dev/null 2> err.txt
	[ $? -eq 2 ] || fail "two host paths: not status 2"
	amphi cptofs tree :/ > /dev/null 2> err.txt
	[ $? -eq 2 ] || fail "no image: not status 2"
	amphi fs2tar > /dev/null 2> err.txt
	[ $? -eq 2 ] || fail "no arguments: not status 2"
	amphi cptofs -i good -p tree/nothing :/ > /dev/null 2> err.txt
	[ $? -eq 1 ] && grep -q "tree/nothing: No such file" err.txt || fail "a missing source"
	e2fsck -fn good > fsck.txt 2>&1 || { cat fsck.txt; fail "a failed copy damaged the image"; }
	;;
*)
	fail "unknown case $case_"
	;;
esac
echo "ok - amphi tools: $case_"
