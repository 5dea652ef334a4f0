/*
 * ext2's allocation: the block and inode bitmaps of each group, with the group
 * descriptors' free counts and the super block's totals kept equal to them, which is
 * what e2fsck checks. fs->lock held throughout.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>

#include "ext2.h"

/* Group g's descriptor. */
static uint8_t *ext2_gd(struct ext2_fs *fs, uint32_t g)
{
	return fs->gd + (size_t)g * GD_SIZE;
}

/* Adds delta to the 16-bit descriptor field at off of group g and to the super block's
 * 32-bit counter at sb_off (sb_off < 0: none, as for the used-directories count). */
static void ext2_count(struct ext2_fs *fs, uint32_t g, unsigned off, int sb_off, int delta)
{
	uint8_t *gd = ext2_gd(fs, g);

	ext2_put16(gd + off, (uint32_t)(ext2_le16(gd + off) + delta));
	if (sb_off >= 0)
		ext2_put32(fs->super + sb_off, ext2_le32(fs->super + sb_off) + (uint32_t)delta);
}

bool ext2_block_valid(struct ext2_fs *fs, uint32_t block)
{
	return block >= fs->first_data_block && block < fs->blocks_count;
}

/* The blocks group g has (the last group may be short). */
static uint32_t ext2_group_blocks(struct ext2_fs *fs, uint32_t g)
{
	uint32_t start = fs->first_data_block + g * fs->bpg;

	return MIN(fs->bpg, fs->blocks_count - start);
}

/* The first clear bit of bitmap in [lo, hi), or -1; full bytes are passed over whole. */
static int64_t ext2_scan_clear(const uint8_t *bitmap, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = lo; i < hi;) {
		if (i % 8 == 0 && hi - i >= 8 && bitmap[i / 8] == 0xff) {
			i += 8;
			continue;
		}
		if (!(bitmap[i / 8] & (1u << (i % 8))))
			return i;
		i++;
	}
	return -1;
}

/* The first clear bit of bitmap (bits bits) from bit from on, wrapping: it, or -1. */
static int64_t ext2_find_clear(const uint8_t *bitmap, uint32_t bits, uint32_t from)
{
	if (!bits)
		return -1;
	from %= bits;
	int64_t i = ext2_scan_clear(bitmap, from, bits);
	return i >= 0 ? i : ext2_scan_clear(bitmap, 0, from);
}

/* Takes a clear bit in the bitmap at block bitmap_block (bits bits, from bit from on):
 * its index, -ENOSPC (none clear), or an I/O error. */
static int64_t ext2_take_bit(struct ext2_fs *fs, uint32_t bitmap_block, uint32_t bits,
			     uint32_t from)
{
	struct buffer *b;
	int err = bcache_read(fs->bdev, bitmap_block, &b);

	if (err)
		return err;
	int64_t i = ext2_find_clear(b->data, bits, from);
	if (i >= 0) {
		b->data[i / 8] |= (uint8_t)(1u << (i % 8));
		bcache_mark_dirty(b);
	}
	bcache_release(b);
	return i >= 0 ? i : -ENOSPC;
}

/* Clears bit i in the bitmap at bitmap_block: true when it was set. */
static bool ext2_clear_bit(struct ext2_fs *fs, uint32_t bitmap_block, uint32_t i)
{
	struct buffer *b;

	if (bcache_read(fs->bdev, bitmap_block, &b))
		return false;
	bool was = b->data[i / 8] & (1u << (i % 8));
	if (was) {
		b->data[i / 8] &= (uint8_t) ~(1u << (i % 8));
		bcache_mark_dirty(b);
	}
	bcache_release(b);
	return was;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	if (!ext2_block_valid(fs, goal))
		goal = fs->first_data_block;
	uint32_t g0 = (goal - fs->first_data_block) / fs->bpg;

	for (uint32_t k = 0; k < fs->groups; k++) {
		uint32_t g = (g0 + k) % fs->groups;
		uint8_t *gd = ext2_gd(fs, g);
		if (!ext2_le16(gd + GD_FREE_BLOCKS))
			continue;
		uint32_t from = k == 0 ? (goal - fs->first_data_block) % fs->bpg : 0;
		int64_t i = ext2_take_bit(fs, ext2_le32(gd + GD_BLOCK_BITMAP),
					  ext2_group_blocks(fs, g), from);
		if (i == -ENOSPC)
			continue; /* the count said otherwise: e2fsck will tell */
		if (i < 0)
			return (int)i;
		ext2_count(fs, g, GD_FREE_BLOCKS, SB_FREE_BLOCKS, -1);
		*out = fs->first_data_block + g * fs->bpg + (uint32_t)i;
		return 0;
	}
	return -ENOSPC;
}

void ext2_free_block(struct ext2_fs *fs, uint32_t block)
{
	if (!ext2_block_valid(fs, block)) {
		ext2_corrupt(fs, "freeing a block outside the file system", block);
		return;
	}
	uint32_t g = (block - fs->first_data_block) / fs->bpg;
	uint32_t i = (block - fs->first_data_block) % fs->bpg;
	if (ext2_clear_bit(fs, ext2_le32(ext2_gd(fs, g) + GD_BLOCK_BITMAP), i))
		ext2_count(fs, g, GD_FREE_BLOCKS, SB_FREE_BLOCKS, 1);
	else
		ext2_corrupt(fs, "freeing a free block", block);
}

/* The group a new inode goes to: near's for a file, the one with most free inodes for
 * a directory (spreading directories, as Linux's allocator tends to). */
static uint32_t ext2_inode_group(struct ext2_fs *fs, uint32_t near, bool dir)
{
	uint32_t best = near < fs->groups ? near : 0;

	if (!dir)
		return best;
	for (uint32_t g = 0; g < fs->groups; g++) {
		if (ext2_le16(ext2_gd(fs, g) + GD_FREE_INODES) >
		    ext2_le16(ext2_gd(fs, best) + GD_FREE_INODES))
			best = g;
	}
	return best;
}

/* Zeroes the on-disk record of inode ino. */
static int ext2_inode_zero(struct ext2_fs *fs, uint32_t ino)
{
	struct buffer *b;
	size_t off;
	int err = ext2_inode_buffer(fs, ino, &b, &off);

	if (err)
		return err;
	memset(b->data + off, 0, fs->isize);
	bcache_mark_dirty(b);
	bcache_release(b);
	return 0;
}

int ext2_alloc_inode(struct ext2_fs *fs, uint32_t near, bool dir, uint32_t *out)
{
	uint32_t g0 = ext2_inode_group(fs, near, dir);

	for (uint32_t k = 0; k < fs->groups; k++) {
		uint32_t g = (g0 + k) % fs->groups;
		uint8_t *gd = ext2_gd(fs, g);
		if (!ext2_le16(gd + GD_FREE_INODES))
			continue;
		/* inodes below first_ino are reserved: start the search past them in group 0 */
		uint32_t from = g == 0 ? fs->first_ino - 1 : 0;
		int64_t i = ext2_take_bit(fs, ext2_le32(gd + GD_INODE_BITMAP), fs->ipg, from);
		if (i == -ENOSPC)
			continue;
		if (i < 0)
			return (int)i;
		uint32_t ino = g * fs->ipg + (uint32_t)i + 1;
		if (ino < fs->first_ino) { /* wrapped into the reserved ones: give it back */
			ext2_clear_bit(fs, ext2_le32(gd + GD_INODE_BITMAP), (uint32_t)i);
			continue;
		}
		ext2_count(fs, g, GD_FREE_INODES, SB_FREE_INODES, -1);
		if (dir)
			ext2_count(fs, g, GD_USED_DIRS, -1, 1);
		*out = ino;
		return ext2_inode_zero(fs, ino);
	}
	return -ENOSPC;
}

void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = (ino - 1) / fs->ipg, i = (ino - 1) % fs->ipg;

	if (ino < fs->first_ino || ino > fs->inodes_count) {
		ext2_corrupt(fs, "freeing a reserved or out-of-range inode", ino);
		return;
	}
	if (!ext2_clear_bit(fs, ext2_le32(ext2_gd(fs, g) + GD_INODE_BITMAP), i)) {
		ext2_corrupt(fs, "freeing a free inode", ino);
		return;
	}
	ext2_count(fs, g, GD_FREE_INODES, SB_FREE_INODES, 1);
	if (dir)
		ext2_count(fs, g, GD_USED_DIRS, -1, -1);
}
