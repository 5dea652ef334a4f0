#!/bin/bash
# ext2 on a disk that fails or a machine that dies, checked by e2fsprogs. The program
# user/tests/fsync_storm.c writes files on /dev/vda and fsyncs each, naming every file
# whose fsync returned 0; afterwards `e2fsck -fy` may repair the image, then `e2fsck -fn`
# must find it clean and every named file must read back through debugfs as written.
#
#   ext2_fail.sh fail STORM WORKDIR AMPHI...   the disk fails every write after N write
#       requests (--disk IMG,fail-after=N, for several N): the fsyncs after the failure
#       must fail with EIO, and the machine powers off normally (FAIL_AFTER="N..." in the
#       environment chooses the N; the slow memcheck run takes one)
#   ext2_fail.sh kill STORM WORKDIR AMPHI...   the hosted process is killed with SIGKILL
#       once the program has named a few fsynced files, as it says it starts the next
#       fsync (it waits on the output, not on time)
#
# The checker is proven on a planted loss: one named file removed from a copy of an image
# must be caught.
set -uo pipefail
mode=$1 storm=$2 work=$3
shift 3
amphi=("$@")
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
fail=0
say_fail() { echo "not ok - $*"; fail=1; }

# check IMG OUT: repairs IMG with e2fsck -fy, then e2fsck -fn must pass and every file OUT
# names as fsynced must read back as the program wrote it. Prints why not; status 0 or 1.
check() {
	local img=$1 out=$2 i bad=0
	e2fsck -fy "$img" >"$img.fy" 2>&1
	[ $? -lt 4 ] || { cat "$img.fy"; echo "e2fsck -fy could not repair $img"; return 1; }
	e2fsck -fn "$img" >"$img.fn" 2>&1 || { cat "$img.fn"; echo "e2fsck -fn: $img not clean"; return 1; }
	for i in $(sed -n 's/^fsynced f\([0-9]*\)$/\1/p' "$out"); do
		rm -f got
		debugfs -R "dump /f$i got" "$img" 2>/dev/null
		"$storm" content "$i" >want
		cmp -s want got || { echo "f$i was fsynced but reads back differently"; bad=1; }
	done
	return $bad
}

# planted IMG OUT: the checker must catch the first named file removed from a copy of IMG.
planted() {
	local first
	first=$(sed -n 's/^fsynced \(f[0-9]*\)$/\1/p' "$2" | head -1)
	[ -n "$first" ] || return 0
	cp "$1" planted.img
	debugfs -w -R "rm /$first" planted.img >/dev/null 2>&1
	if check planted.img "$2" >/dev/null; then
		say_fail "the checker missed the planted loss of $first"
	else
		echo "ok - the checker catches a planted loss of $first"
	fi
}

if [ "$mode" = fail ]; then
	last=
	for n in ${FAIL_AFTER:-0 3 10 30 80}; do
		last=$n
		mke2fs -q -F -t ext2 -b 1024 "img$n" 8M
		"${amphi[@]}" exec --disk "img$n,fail-after=$n" -- "$storm" run /dev/vda /mnt 60 \
			>"out$n" 2>&1
		status=$?
		sed "s/^/fail-after=$n: /" "out$n"
		[ $status -eq 0 ] || say_fail "fail-after=$n: the machine or the program failed ($status)"
		grep -q '^failed f[0-9]*: I/O error$' "out$n" ||
			say_fail "fail-after=$n: no fsync failed with EIO"
		grep -q "^amphi: --disk img$n: fail-after reached" "out$n" ||
			say_fail "fail-after=$n: the disk never failed"
		grep -q '^storm done: ' "out$n" || say_fail "fail-after=$n: the program did not finish"
		check "img$n" "out$n" || say_fail "fail-after=$n: the image lost fsynced data"
	done
	planted "img$last" "out$last"
	[ $fail -eq 0 ] && echo "ok - every fsynced file survived the failing disk, EIO reported"
	exit $fail
fi

if [ "$mode" = kill ]; then
	want=6
	mke2fs -q -F -t ext2 -b 1024 img 16M
	mkfifo console
	"${amphi[@]}" exec --disk img -- "$storm" run /dev/vda /mnt 0 >console 2>&1 &
	pid=$!
	seen=0
	: >out
	while IFS= read -r line; do
		echo "$line" >>out
		case $line in fsynced\ f*) seen=$((seen + 1)) ;; esac
		# the next fsync starts right after this line: the kill lands in its write-back
		if [ $seen -ge $want ] && [ "${line#writing back }" != "$line" ]; then
			kill -9 $pid
			break
		fi
	done <console
	wait $pid
	status=$?
	cat out
	[ $status -eq 137 ] || say_fail "the machine was not killed by SIGKILL (status $status)"
	[ $seen -ge $want ] || say_fail "only $seen files were fsynced before the output ended"
	check img out || say_fail "the image lost fsynced data"
	planted img out
	[ $fail -eq 0 ] && echo "ok - every fsynced file survived kill -9 of the machine"
	exit $fail
fi
echo "usage: ext2_fail.sh fail|kill STORM WORKDIR AMPHI..." >&2
exit 2
