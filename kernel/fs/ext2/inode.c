/*
 * ext2 inodes: reading them into VFS inodes, their block maps (12 direct pointers, then
 * single, double and triple indirect blocks), regular files' contents between the disk
 * and their memory objects, new inodes (mknod), write-back of everything in memory, and
 * freeing an unlinked inode's blocks when its last reference goes.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "ext2.h"

/* --- the inode table --- */

int ext2_inode_buffer(struct ext2_fs *fs, uint32_t ino, struct buffer **b, size_t *off)
{
	if (ino == 0 || ino > fs->inodes_count)
		return ext2_corrupt(fs, "inode number out of range", ino);
	uint32_t g = (ino - 1) / fs->ipg, idx = (ino - 1) % fs->ipg;
	uint64_t byte = (uint64_t)idx * fs->isize;
	uint32_t table = ext2_le32(fs->gd + (size_t)g * GD_SIZE + GD_INODE_TABLE);
	*off = (size_t)(byte % fs->bs);
	return bcache_read(fs->bdev, table + byte / fs->bs, b);
}

static struct ext2_inode_info **ext2_hash_slot(struct ext2_fs *fs, uint32_t ino)
{
	return &fs->hash[ino % EXT2_HASH];
}

/* Enters info into fs's table of inodes in memory. */
static void ext2_hash_add(struct ext2_fs *fs, struct ext2_inode_info *info)
{
	struct ext2_inode_info **slot = ext2_hash_slot(fs, info->ino);

	info->hash_next = *slot;
	*slot = info;
	list_add_tail(&fs->inodes, &info->node);
}

/* Takes info out of the table. */
static void ext2_hash_remove(struct ext2_fs *fs, struct ext2_inode_info *info)
{
	struct ext2_inode_info **pp = ext2_hash_slot(fs, info->ino);

	while (*pp && *pp != info)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = info->hash_next;
	list_del(&info->node);
}

/* A new VFS inode of fs with mode for ext2 inode ino, with its info attached. */
static struct inode *ext2_inode_new(struct ext2_fs *fs, uint32_t ino, uint32_t mode)
{
	struct inode *inode = inode_alloc(fs->sb, mode);
	struct ext2_inode_info *info = kzalloc(sizeof(*info));

	if (!inode || !info || (S_ISREG(mode) && !(inode->data = vm_object_create()))) {
		if (inode)
			inode_put(inode);
		kfree(info);
		return NULL;
	}
	inode->ino = ino;
	inode->ops = &ext2_inode_ops;
	inode->fops = S_ISREG(mode) ? &ext2_file_ops : S_ISDIR(mode) ? &vfs_dir_file_ops : NULL;
	inode->priv = info;
	info->inode = inode;
	info->ino = ino;
	ext2_hash_add(fs, info);
	return inode;
}

/* Decodes a device number as Linux's ext2 stores it: old (8:8) in i_block[0], else new
 * in i_block[1]. */
static uint64_t ext2_decode_dev(const struct ext2_inode_info *info)
{
	uint32_t d = info->block[0] ? info->block[0] : info->block[1];

	if (info->block[0])
		return VFS_DEV((d >> 8) & 0xff, d & 0xff);
	return VFS_DEV((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* Reads a symlink's target into inode->target: in i_block (fast) or in its block. */
static int ext2_read_target(struct ext2_fs *fs, struct inode *inode, uint64_t size)
{
	struct ext2_inode_info *info = ext2_info(inode);
	char *t = kmalloc(size + 1);
	struct buffer *b = NULL;
	uint32_t blk;

	if (!t)
		return -ENOMEM;
	int err = 0;
	if (info->blocks == 0 || (info->file_acl && info->blocks == fs->bs / 512)) {
		if (size > EXT2_FAST_SYMLINK_MAX)
			err = ext2_corrupt(fs, "fast symlink too long", info->ino);
		else
			memcpy(t, info->block, size);
	} else {
		err = ext2_bmap(fs, info, 0, false, 0, &blk);
		if (!err && !blk)
			err = ext2_corrupt(fs, "slow symlink without a block", info->ino);
		if (!err)
			err = bcache_read(fs->bdev, blk, &b);
		if (!err) {
			memcpy(t, b->data, size);
			bcache_release(b);
		}
	}
	t[size] = '\0';
	if (!err && strlen(t) != size)
		err = ext2_corrupt(fs, "symlink target with a NUL byte", info->ino);
	if (err) {
		kfree(t);
		return err;
	}
	inode->target = t;
	info->target_written = true;
	return 0;
}

/* Fills inode (fresh, of ext2 inode with record r) from the record's fields. */
static int ext2_inode_from_disk(struct ext2_fs *fs, struct inode *inode, const uint8_t *r)
{
	struct ext2_inode_info *info = ext2_info(inode);
	uint64_t size = ext2_le32(r + I_SIZE);

	inode->uid = ext2_le16(r + I_UID) | (uint32_t)ext2_le16(r + I_UID_HIGH) << 16;
	inode->gid = ext2_le16(r + I_GID) | (uint32_t)ext2_le16(r + I_GID_HIGH) << 16;
	inode->nlink = ext2_le16(r + I_LINKS);
	inode->atime = (struct vfs_time){ext2_le32(r + I_ATIME), 0};
	inode->ctime = (struct vfs_time){ext2_le32(r + I_CTIME), 0};
	inode->mtime = (struct vfs_time){ext2_le32(r + I_MTIME), 0};
	for (int i = 0; i < EXT2_NBLOCKS; i++)
		info->block[i] = ext2_le32(r + I_BLOCK + 4 * i);
	info->blocks = ext2_le32(r + I_BLOCKS);
	info->flags = ext2_le32(r + I_FLAGS);
	info->file_acl = ext2_le32(r + I_FILE_ACL);
	info->target_written = true;
	if (S_ISREG(inode->mode))
		size |= (uint64_t)ext2_le32(r + I_SIZE_HIGH) << 32;
	info->disk_size = size;
	if (S_ISREG(inode->mode)) {
		if (size > VM_OBJECT_MAX_SIZE)
			return ext2_corrupt(fs, "file size too large", size);
		return vm_object_truncate(inode->data, size);
	}
	if (S_ISDIR(inode->mode) && (size % fs->bs || size / fs->bs > (1u << 20)))
		return ext2_corrupt(fs, "directory size", size);
	if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
		inode->rdev = ext2_decode_dev(info);
	if (S_ISLNK(inode->mode))
		return size == 0 || size >= fs->bs ? ext2_corrupt(fs, "symlink size", size)
						   : ext2_read_target(fs, inode, size);
	return 0;
}

/* True when mode is one of the seven file types. */
static bool ext2_mode_valid(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

void ext2_iput_locked(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *info = ext2_info(inode);

	if (atomic_load(&inode->refs) == 1 && info) {
		ext2_hash_remove(fs, info);
		inode->priv = NULL; /* ext2_evict then has nothing to do */
		kfree(info);
	}
	inode_put(inode);
}

int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct inode **out)
{
	struct buffer *b;
	size_t off;

	for (struct ext2_inode_info *i = *ext2_hash_slot(fs, ino); i; i = i->hash_next) {
		if (i->ino == ino) {
			inode_get(i->inode);
			*out = i->inode;
			return 0;
		}
	}
	if (ino != EXT2_ROOT_INO && ino < fs->first_ino)
		return ext2_corrupt(fs, "a directory entry names a reserved inode", ino);
	int err = ext2_inode_buffer(fs, ino, &b, &off);
	if (err)
		return err;
	uint8_t r[EXT2_GOOD_OLD_INODE_SIZE];
	memcpy(r, b->data + off, sizeof(r));
	bcache_release(b);
	uint32_t mode = ext2_le16(r + I_MODE);
	if (!ext2_mode_valid(mode) || ext2_le16(r + I_LINKS) == 0 || ext2_le32(r + I_DTIME))
		return ext2_corrupt(fs, "a directory entry names an unused or bad inode", ino);
	struct inode *inode = ext2_inode_new(fs, ino, mode);
	if (!inode)
		return -ENOMEM;
	err = ext2_inode_from_disk(fs, inode, r);
	if (err) {
		ext2_iput_locked(fs, inode);
		return err;
	}
	ext2_info(inode)->filled = !S_ISREG(mode);
	*out = inode;
	return 0;
}

/* --- block maps --- */

/* The path to file block idx: offsets at each level (the first into i_block); the depth
 * (1 direct ... 4 triple indirect), or -EFBIG. */
static int ext2_block_path(struct ext2_fs *fs, uint64_t idx, uint32_t offs[4])
{
	uint64_t per = fs->bs / 4;

	if (idx < EXT2_NDIR) {
		offs[0] = (uint32_t)idx;
		return 1;
	}
	idx -= EXT2_NDIR;
	for (int depth = 1; depth <= 3; depth++) {
		uint64_t span = 1;
		for (int k = 0; k < depth; k++)
			span *= per;
		if (idx < span) {
			offs[0] = EXT2_NDIR + (uint32_t)depth - 1;
			for (int k = depth; k >= 1; k--) {
				offs[k] = (uint32_t)(idx % per);
				idx /= per;
			}
			return depth + 1;
		}
		idx -= span;
	}
	return -EFBIG;
}

/* A new block for info near goal, zeroed in the cache when zero (an indirect block). */
static int ext2_new_block(struct ext2_fs *fs, struct ext2_inode_info *info, uint32_t goal,
			  bool zero, uint32_t *out)
{
	struct buffer *b;
	int err = ext2_alloc_block(fs, goal, out);

	if (err || !zero)
		return err ? err : (info->blocks += fs->bs / 512, 0);
	err = bcache_get(fs->bdev, *out, &b);
	if (err) {
		ext2_free_block(fs, *out);
		return err;
	}
	memset(b->data, 0, fs->bs);
	bcache_mark_dirty(b);
	bcache_release(b);
	info->blocks += fs->bs / 512;
	return 0;
}

/* The pointer at offset off of indirect block blk: 0 with the block's buffer (referenced)
 * in *b and the pointer's place in *slot, -EUCLEAN (blk out of range), -EIO. */
static int ext2_indirect(struct ext2_fs *fs, uint32_t blk, uint32_t off, struct buffer **b,
			 uint8_t **slot)
{
	if (!ext2_block_valid(fs, blk))
		return ext2_corrupt(fs, "indirect block out of range", blk);
	int err = bcache_read(fs->bdev, blk, b);
	if (!err)
		*slot = (*b)->data + 4 * off;
	return err;
}

int ext2_bmap(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx, bool alloc,
	      uint32_t goal, uint32_t *out)
{
	uint32_t offs[4];
	int depth = ext2_block_path(fs, idx, offs);
	struct buffer *b = NULL;

	if (depth < 0)
		return depth;
	uint32_t blk = info->block[offs[0]];
	if (!blk && alloc) {
		int err = ext2_new_block(fs, info, goal, depth > 1, &blk);
		if (err)
			return err;
		info->block[offs[0]] = blk;
	}
	for (int level = 1; level < depth && blk; level++) {
		uint8_t *slot;
		int err = ext2_indirect(fs, blk, offs[level], &b, &slot);
		if (err)
			return err;
		blk = ext2_le32(slot);
		if (!blk && alloc) {
			err = ext2_new_block(fs, info, goal, level + 1 < depth, &blk);
			if (!err) {
				ext2_put32(slot, blk);
				bcache_mark_dirty(b);
			}
		}
		bcache_release(b);
		if (err)
			return err;
	}
	if (blk && !ext2_block_valid(fs, blk))
		return ext2_corrupt(fs, "data block out of range", blk);
	*out = blk;
	return 0;
}

/* Frees the part of the tree under blk (level 0: a data block; n: an indirect block n
 * levels above data) that maps file blocks from idx on, its first block mapping base.
 * Returns true when blk itself was freed (nothing left under it). */
static bool ext2_free_tree(struct ext2_fs *fs, struct ext2_inode_info *info, uint32_t blk,
			   int level, uint64_t base, uint64_t idx)
{
	uint64_t per = fs->bs / 4, span = 1;
	struct buffer *b;

	for (int k = 0; k < level; k++)
		span *= per;
	if (base + span <= idx)
		return false; /* wholly before idx: stays */
	if (!ext2_block_valid(fs, blk)) {
		ext2_corrupt(fs, "block pointer out of range left alone", blk);
		return true; /* forget the pointer, free nothing */
	}
	if (level > 0 && bcache_read(fs->bdev, blk, &b) == 0) {
		uint64_t child = span / per;
		for (uint64_t i = 0; i < per; i++) {
			uint32_t c = ext2_le32(b->data + 4 * i);
			if (c && ext2_free_tree(fs, info, c, level - 1, base + i * child, idx)) {
				ext2_put32(b->data + 4 * i, 0);
				bcache_mark_dirty(b);
			}
		}
		bcache_release(b);
	}
	if (base < idx)
		return false; /* still maps blocks before idx */
	ext2_free_block(fs, blk);
	info->blocks -= fs->bs / 512;
	return true;
}

void ext2_free_from(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx)
{
	uint64_t per = fs->bs / 4, base = EXT2_NDIR, span = per;

	for (uint32_t i = 0; i < EXT2_NDIR; i++) {
		if (info->block[i] && ext2_free_tree(fs, info, info->block[i], 0, i, idx))
			info->block[i] = 0;
	}
	for (int level = 1; level <= 3; level++) {
		uint32_t *slot = &info->block[EXT2_NDIR + level - 1];
		if (*slot && ext2_free_tree(fs, info, *slot, level, base, idx))
			*slot = 0;
		base += span;
		span *= per;
	}
}

/* Makes file block idx a hole, freeing its block (indirect blocks stay). */
static int ext2_unmap(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx)
{
	uint32_t offs[4];
	int depth = ext2_block_path(fs, idx, offs);
	uint32_t blk = depth > 0 ? info->block[offs[0]] : 0;
	struct buffer *b;

	if (depth == 1)
		info->block[offs[0]] = 0;
	for (int level = 1; level < depth && blk; level++) {
		uint8_t *slot;
		int err = ext2_indirect(fs, blk, offs[level], &b, &slot);
		if (err)
			return err;
		blk = ext2_le32(slot);
		if (level == depth - 1 && blk) {
			ext2_put32(slot, 0);
			bcache_mark_dirty(b);
		}
		bcache_release(b);
	}
	if (blk && ext2_block_valid(fs, blk)) {
		ext2_free_block(fs, blk);
		info->blocks -= fs->bs / 512;
	}
	return 0;
}

/* --- regular files' contents --- */

/* Reads a regular file's blocks into its memory object, once. */
static int ext2_fill_locked(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *info = ext2_info(inode);
	uint64_t size = vm_object_size(inode->data);
	uint64_t nblocks = (size + fs->bs - 1) / fs->bs;
	struct buffer *b;
	uint32_t blk;

	for (uint64_t idx = 0; idx < nblocks; idx++) {
		int err = ext2_bmap(fs, info, idx, false, 0, &blk);
		if (!err && blk)
			err = bcache_read(fs->bdev, blk, &b);
		if (err) {
			vm_object_truncate(inode->data, 0);
			vm_object_truncate(inode->data, size);
			return err == -EUCLEAN ? err : -EIO;
		}
		if (!blk)
			continue;
		size_t n = (size_t)MIN((uint64_t)fs->bs, size - idx * fs->bs);
		long w = vm_object_write(inode->data, idx * fs->bs, b->data, n);
		bcache_release(b);
		if (w < 0)
			return (int)w;
	}
	info->filled = true;
	return 0;
}

/* inode_ops.fill: a regular file's contents, read at first use. */
static int ext2_fill(struct inode *inode)
{
	struct ext2_fs *fs = ext2_fs_of(inode);

	mutex_lock(&fs->lock);
	int err = ext2_info(inode)->filled ? 0 : ext2_fill_locked(fs, inode);
	mutex_unlock(&fs->lock);
	return err;
}

/* True when the n bytes at p are all zero. */
static bool ext2_zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* Writes file block idx from bytes (n of them, the rest of the block zero): to its block,
 * or to a new one near goal, unless it is a hole that stays all zeros. */
static int ext2_write_block(struct ext2_fs *fs, struct ext2_inode_info *info, uint64_t idx,
			    const uint8_t *bytes, size_t n, uint32_t *goal)
{
	uint32_t blk;
	struct buffer *b;
	int err = ext2_bmap(fs, info, idx, false, 0, &blk);

	if (err || (!blk && ext2_zeros(bytes, n)))
		return err; /* a hole that stays one: sparse files stay sparse */
	if (!blk)
		err = ext2_bmap(fs, info, idx, true, *goal, &blk);
	if (!err)
		err = bcache_get(fs->bdev, blk, &b);
	if (err)
		return err;
	memcpy(b->data, bytes, n);
	memset(b->data + n, 0, fs->bs - n);
	bcache_mark_dirty_data(b);
	bcache_release(b);
	*goal = blk + 1;
	return 0;
}

/* Writes a regular file's memory object to its blocks: pages never written are holes. */
static int ext2_write_data(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *info = ext2_info(inode);
	uint64_t size = vm_object_size(inode->data);
	uint64_t nblocks = (size + fs->bs - 1) / fs->bs;
	uint32_t goal = info->block[0] ? info->block[0] : fs->first_data_block +
				((info->ino - 1) / fs->ipg) * fs->bpg;
	int err = 0;

	for (uint64_t idx = 0; idx < nblocks && !err; idx++) {
		uint64_t off = idx * fs->bs;
		paddr_t pa;
		if (vm_object_peek(inode->data, off / PAGE_SIZE, &pa)) {
			err = ext2_unmap(fs, info, idx);
			continue;
		}
		const uint8_t *bytes = (const uint8_t *)plat_phys_to_virt(pa) + off % PAGE_SIZE;
		err = ext2_write_block(fs, info, idx, bytes, (size_t)MIN((uint64_t)fs->bs, size - off),
				       &goal);
		page_put(pa);
	}
	if (!err) {
		ext2_free_from(fs, info, nblocks);
		info->disk_size = size;
		info->dirty = false;
	}
	return err;
}

/* Writes a new symlink's target: in i_block when short, else in a block. */
static int ext2_write_target(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *info = ext2_info(inode);
	size_t n = inode->target ? strlen(inode->target) : 0;
	uint32_t blk;
	struct buffer *b;

	if (n <= EXT2_FAST_SYMLINK_MAX) {
		memset(info->block, 0, sizeof(info->block));
		memcpy(info->block, inode->target, n);
	} else {
		int err = ext2_bmap(fs, info, 0, true, 0, &blk);
		if (!err)
			err = bcache_get(fs->bdev, blk, &b);
		if (err)
			return err;
		memset(b->data, 0, fs->bs);
		memcpy(b->data, inode->target, n);
		bcache_mark_dirty(b);
		bcache_release(b);
	}
	info->disk_size = n;
	info->target_written = true;
	return 0;
}

/* Encodes a device number as Linux's ext2 does (old format when it fits). */
static void ext2_encode_dev(struct ext2_inode_info *info, uint64_t rdev)
{
	unsigned major = VFS_MAJOR(rdev), minor = VFS_MINOR(rdev);

	memset(info->block, 0, sizeof(info->block));
	if (major < 256 && minor < 256)
		info->block[0] = major << 8 | minor;
	else
		info->block[1] = (minor & 0xff) | (major & 0xfff) << 8 | (minor & ~0xffu) << 12;
}

/* Writes the in-memory fields of inode into its on-disk record, leaving the bytes this
 * driver does not model (generation, extra fields) as they are. */
static int ext2_write_inode(struct ext2_fs *fs, struct inode *inode, uint32_t dtime)
{
	struct ext2_inode_info *info = ext2_info(inode);
	struct buffer *b;
	size_t off;
	int err = ext2_inode_buffer(fs, info->ino, &b, &off);

	if (err)
		return err;
	uint8_t r[EXT2_GOOD_OLD_INODE_SIZE];
	memcpy(r, b->data + off, sizeof(r));
	uint64_t size = S_ISREG(inode->mode) ? vm_object_size(inode->data) : info->disk_size;
	if (S_ISREG(inode->mode) && !info->filled)
		size = info->disk_size;
	ext2_put16(r + I_MODE, inode->mode);
	ext2_put16(r + I_UID, inode->uid);
	ext2_put16(r + I_UID_HIGH, inode->uid >> 16);
	ext2_put16(r + I_GID, inode->gid);
	ext2_put16(r + I_GID_HIGH, inode->gid >> 16);
	ext2_put32(r + I_SIZE, (uint32_t)size);
	ext2_put32(r + I_SIZE_HIGH, S_ISREG(inode->mode) ? (uint32_t)(size >> 32)
							 : ext2_le32(r + I_SIZE_HIGH));
	ext2_put32(r + I_ATIME, (uint32_t)inode->atime.sec);
	ext2_put32(r + I_CTIME, (uint32_t)inode->ctime.sec);
	ext2_put32(r + I_MTIME, (uint32_t)inode->mtime.sec);
	ext2_put32(r + I_DTIME, dtime);
	ext2_put16(r + I_LINKS, dtime ? 0 : inode->nlink);
	ext2_put32(r + I_BLOCKS, info->blocks);
	ext2_put32(r + I_FLAGS, info->flags);
	for (int i = 0; i < EXT2_NBLOCKS; i++)
		ext2_put32(r + I_BLOCK + 4 * i, info->block[i]);
	if (memcmp(b->data + off, r, sizeof(r)) != 0) {
		memcpy(b->data + off, r, sizeof(r));
		bcache_mark_dirty(b);
	}
	bcache_release(b);
	return 0;
}

/* Writes one inode's changes: its contents, directory or target, then its record. */
static int ext2_write_one(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *info = ext2_info(inode);
	int err = 0;

	if (inode->nlink == 0)
		return 0; /* unlinked, still open: freed at its last close */
	if (S_ISREG(inode->mode) && info->filled && info->dirty)
		err = ext2_write_data(fs, inode);
	else if (S_ISDIR(inode->mode))
		err = ext2_dir_write(fs, inode);
	else if (S_ISLNK(inode->mode) && !info->target_written)
		err = ext2_write_target(fs, inode);
	else if ((S_ISCHR(inode->mode) || S_ISBLK(inode->mode)) && !info->blocks)
		ext2_encode_dev(info, inode->rdev);
	/* the record follows the block map even after a failure (what was not written
	 * stays a hole), so the bitmaps and the inodes agree */
	int werr = ext2_write_inode(fs, inode, 0);
	return err ? err : werr;
}

int ext2_write_all(struct ext2_fs *fs)
{
	struct list_node *n;
	int first = 0;

	list_for_each(n, &fs->inodes)
	{
		struct ext2_inode_info *info = list_entry(n, struct ext2_inode_info, node);
		int err = ext2_write_one(fs, info->inode);
		if (err && !first)
			first = err;
	}
	return first;
}

/* --- inode operations --- */

/* inode_ops.mknod: a new inode on disk, of mode, in dir's group. */
static int ext2_mknod(struct inode *dir, uint32_t mode, uint64_t rdev, struct inode **out)
{
	struct ext2_fs *fs = ext2_fs_of(dir);
	uint32_t ino;

	if (!ext2_mode_valid(mode))
		return -EINVAL;
	mutex_lock(&fs->lock);
	int err = ext2_alloc_inode(fs, (ext2_info(dir)->ino - 1) / fs->ipg, S_ISDIR(mode), &ino);
	struct inode *inode = err ? NULL : ext2_inode_new(fs, ino, mode);
	if (!err && !inode) {
		ext2_free_inode(fs, ino, S_ISDIR(mode));
		err = -ENOMEM;
	}
	mutex_unlock(&fs->lock);
	if (err)
		return err;
	struct ext2_inode_info *info = ext2_info(inode);
	info->filled = true;
	info->dirty = S_ISREG(mode);
	info->target_written = !S_ISLNK(mode);
	inode->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	*out = inode;
	return 0;
}

/* inode_ops.truncate: the contents first read, then cut or extended. */
static int ext2_truncate(struct inode *inode, uint64_t size)
{
	int err = ext2_fill(inode);

	if (!err)
		err = vm_object_truncate(inode->data, size);
	if (!err)
		ext2_info(inode)->dirty = true;
	return err;
}

static long ext2_readlink(struct inode *inode, char *buf, size_t size)
{
	return ramfs_inode_ops.readlink(inode, buf, size);
}

/* Releases an extended attribute block one inode used (shared blocks are counted). */
static void ext2_put_xattr(struct ext2_fs *fs, uint32_t blk)
{
	struct buffer *b;

	if (!ext2_block_valid(fs, blk) || bcache_read(fs->bdev, blk, &b))
		return;
	uint32_t refs = ext2_le32(b->data + 4);
	if (ext2_le32(b->data) == 0xea020000 && refs > 1) {
		ext2_put32(b->data + 4, refs - 1);
		bcache_mark_dirty(b);
		blk = 0;
	}
	bcache_release(b);
	if (blk)
		ext2_free_block(fs, blk);
}

/* inode_ops.evict: an unlinked inode's blocks and number are freed; any inode leaves
 * the table of inodes in memory. */
static void ext2_evict(struct inode *inode)
{
	struct ext2_fs *fs = ext2_fs_of(inode);
	struct ext2_inode_info *info = ext2_info(inode);
	uint32_t now = (uint32_t)vfs_now().sec;

	if (!info)
		return; /* a failed load, already taken apart (ext2_iput_locked) */
	mutex_lock(&fs->lock);
	if (inode->nlink == 0 && !fs->dying && !fs->rdonly) {
		bool fast_link = S_ISLNK(inode->mode) && info->blocks == 0;
		bool has_blocks = !fast_link && !S_ISCHR(inode->mode) && !S_ISBLK(inode->mode);
		if (has_blocks)
			ext2_free_from(fs, info, 0);
		if (info->file_acl)
			ext2_put_xattr(fs, info->file_acl);
		info->file_acl = 0;
		info->blocks = 0;
		ext2_write_inode(fs, inode, now ? now : 1);
		ext2_free_inode(fs, info->ino, S_ISDIR(inode->mode));
	}
	ext2_hash_remove(fs, info);
	mutex_unlock(&fs->lock);
	inode->priv = NULL;
	kfree(info);
}

const struct inode_ops ext2_inode_ops = {
    .lookup = vfs_dir_lookup,
    .readdir = vfs_dir_readdir,
    .mknod = ext2_mknod,
    .readlink = ext2_readlink,
    .truncate = ext2_truncate,
    .fill = ext2_fill,
    .evict = ext2_evict,
};

/* --- file operations --- */

/* file_ops.open: the contents read; opening for writing marks them to be written back
 * (writes through a shared mapping included). */
static int ext2_file_open(struct inode *inode, struct file *f)
{
	int err = ext2_fill(inode);

	if (!err && (f->flags & O_ACCMODE) != O_RDONLY)
		ext2_info(inode)->dirty = true;
	f->wb_err = block_wb_errors(ext2_fs_of(inode)->bdev);
	return err;
}

static long ext2_file_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	return ramfs_file_ops.read(f, io, len, off);
}

/* -ENOSPC when growing inode's data to end bytes needs more blocks than it has and the
 * file system has free (other files' unwritten growth is not counted). */
static int ext2_space_check(struct inode *inode, uint64_t end)
{
	struct ext2_fs *fs = ext2_fs_of(inode);
	uint64_t need = (end + fs->bs - 1) / fs->bs;
	uint64_t have = ext2_info(inode)->blocks / (fs->bs / 512);
	uint64_t free = ext2_le32(fs->super + SB_FREE_BLOCKS);

	return need > have + free ? -ENOSPC : 0;
}

static long ext2_file_write(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct inode *inode = f->path.inode;
	uint64_t at = (f->flags & O_APPEND) ? vm_object_size(inode->data) : *off;

	if (len && at + len > vm_object_size(inode->data) && ext2_space_check(inode, at + len))
		return -ENOSPC;
	ext2_info(inode)->dirty = true;
	return ramfs_file_ops.write(f, io, len, off);
}

/* file_ops.fsync: the whole file system is written back (stronger than asked); -EIO once
 * for the write-back errors since the file last reported, whoever's sync met them. */
static int ext2_file_fsync(struct file *f, bool datasync)
{
	struct inode *inode = f->path.inode;

	(void)datasync;
	int err = vfs_sync_super(inode->sb);
	int seen = block_wb_error_check(ext2_fs_of(inode)->bdev, &f->wb_err);
	return seen ? seen : err;
}

const struct file_ops ext2_file_ops = {
    .open = ext2_file_open,
    .read = ext2_file_read,
    .write = ext2_file_write,
    .fsync = ext2_file_fsync,
};
