#!/usr/bin/env python3
"""Seeded damaged ext2 images for the kernel to mount (kernel/fs/ext2/tests/ext2_fuzz.sh).

    ext2_mangle.py BASE SEED COUNT OUTDIR

BASE is an ext2 image with 1 KiB blocks made by mke2fs. Image i (OUTDIR/m<i>.img) is BASE
with, chosen by a PRNG seeded with SEED and i: 1 to 8 random bytes overwritten in one
metadata region (the super block, the group descriptors, the used part of the inode
table, or a directory block), or the image truncated to a random length. One line per
image on standard output says what was done, so a failure can be replayed from its seed.
"""
import random
import struct
import sys

BLOCK = 1024


def regions(img):
    """The metadata regions of the image: name -> list of (start, end) byte ranges."""
    sb = img[1024:2048]
    inodes_count, = struct.unpack_from("<I", sb, 0)
    inode_size = struct.unpack_from("<H", sb, 88)[0] or 128
    gd = img[2048:2048 + 32]
    inode_table, = struct.unpack_from("<I", gd, 8)
    table = inode_table * BLOCK
    used = min(inodes_count, 32) * inode_size  # the first inodes hold the tree
    dirs = []
    for ino in range(1, min(inodes_count, 32) + 1):
        rec = img[table + (ino - 1) * inode_size:table + ino * inode_size]
        mode, = struct.unpack_from("<H", rec, 0)
        if mode & 0xF000 == 0x4000 and struct.unpack_from("<H", rec, 26)[0]:
            for k in range(12):
                blk, = struct.unpack_from("<I", rec, 40 + 4 * k)
                if blk:
                    dirs.append((blk * BLOCK, (blk + 1) * BLOCK))
    return {
        "super": [(1024, 1024 + 264)],  # the fields ext2 defines
        "groups": [(2048, 2048 + 32)],
        "inodes": [(table, table + used)],
        "dirs": dirs,
    }


def mangle(base, seed, i):
    """Image i of seed: its bytes and a line saying what was changed."""
    rng = random.Random(seed * 1000003 + i)
    img = bytearray(base)
    if rng.random() < 0.15:
        size = rng.randrange(0, len(img))
        return bytes(img[:size]), f"m{i}: truncated to {size} bytes"
    name, spans = rng.choice(sorted(regions(img).items()))
    start, end = rng.choice(spans)
    changes = []
    for _ in range(rng.randint(1, 8)):
        off = rng.randrange(start, end)
        img[off] = rng.randrange(256)
        changes.append(f"{off}={img[off]}")
    return bytes(img), f"m{i}: {name} " + " ".join(changes)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: ext2_mangle.py BASE SEED COUNT OUTDIR")
    base = open(sys.argv[1], "rb").read()
    seed, count, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    for i in range(count):
        img, what = mangle(base, seed, i)
        with open(f"{out}/m{i}.img", "wb") as f:
            f.write(img)
        print(what)


if __name__ == "__main__":
    main()
