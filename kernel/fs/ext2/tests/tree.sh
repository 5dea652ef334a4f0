#!/bin/sh
# Builds a tree in directory $1 (which holds seed/ as seed.sh made it): the same commands
# run by the host's shell in a host directory and by busybox inside the kernel on ext2.
# Files of many sizes (up to past the double-indirect threshold of 1 KiB blocks), a sparse
# file, hard links, short and long symlinks, renames, deletes, chmod, truncation.
set -e
cd "$1"
# pattern NAME SIZE: SIZE bytes of numbered text lines
pattern() { i=0; while [ $i -lt 64 ]; do echo "$1 line $i of a file"; i=$((i + 1)); done | head -c 2048 >pat.tmp
	: >"$1"; n=0; while [ $n -lt "$2" ]; do cat pat.tmp >>"$1"; n=$((n + 2048)); done
	truncate -s "$2" "$1"; rm pat.tmp; }
mkdir -p sizes deep/a/b/c/d links
for s in 0 1 511 512 1023 1024 1025 4095 4096 12287 12288 12289 40000 270000 300000 1100000; do
	pattern sizes/f$s $s
done
pattern deep/a/b/c/d/leaf 5000
# a sparse file: data at 0, a hole, data at 700 KiB, a hole to its end
printf 'head' >sparse
printf 'middle' | dd of=sparse bs=1024 seek=700 conv=notrunc 2>/dev/null
truncate -s 3000000 sparse
# hard links, symlinks short (in the inode) and long (in a block)
ln sizes/f1025 links/hard1
ln sizes/f1025 links/hard2
ln -s ../sizes/f1 links/short
ln -s ../deep/a/b/c/d/leaf/../../../../../../sizes/f4096/this/part/makes/it/long/xxxxxxxxxxxxxxx links/long
ln -s nowhere links/dangling
# renames: a file within a directory, a file across, a directory across
mv sizes/f511 sizes/renamed511
mv sizes/f512 deep/a/moved512
mv deep/a/b/c links/c_moved
# deletes: a file with another link, a big file, a directory tree
rm links/hard2
rm sizes/f270000
rm -r seed/gone
# changes to the seed's files: overwrite in the middle, cut, grow, chmod
printf 'OVERWRITTEN' | dd of=seed/keep bs=1 seek=100 conv=notrunc 2>/dev/null
truncate -s 777 seed/cut
echo appended >>seed/grow
chmod 600 sizes/f1
chmod 4755 sizes/f1024
chmod 1777 deep
mkdir -p many
i=0; while [ $i -lt 120 ]; do echo $i >many/entry-with-a-longish-name-$i; i=$((i + 1)); done
i=0; while [ $i -lt 120 ]; do rm many/entry-with-a-longish-name-$i; i=$((i + 3)); done
sync
