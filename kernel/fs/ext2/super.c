/*
 * ext2's super block and mount: the super block and group descriptors are checked as
 * Linux's ext2_fill_super and ext2_check_descriptors check them (bad values: the mount
 * fails with -EINVAL and a console line), features this driver does not implement refuse
 * the mount (incompatible ones) or a writable mount (read-only compatible ones), then the
 * directory tree is read (a damaged directory: -EUCLEAN). Nothing is written until the
 * mount has succeeded.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>

#include "../fs_internal.h"
#include "ext2.h"

int ext2_corrupt(struct ext2_fs *fs, const char *what, uint64_t value)
{
	kprintf("amphi: ext2: %s: %s %llu\n", fs->bdev->name, what, (unsigned long long)value);
	return -EUCLEAN;
}

/* Reports why the super block is refused; returns -EINVAL. */
static int ext2_refuse(struct ext2_fs *fs, const char *why, uint64_t value)
{
	kprintf("amphi: ext2: %s: cannot mount: %s (%llu)\n", fs->bdev->name, why,
		(unsigned long long)value);
	return -EINVAL;
}

/* Reads the super block (1024 bytes at byte 1024) into fs->super. */
static int ext2_read_super(struct ext2_fs *fs)
{
	struct buffer *b;
	int err = bcache_set_block_size(fs->bdev, 1024);

	if (!err)
		err = bcache_read(fs->bdev, 1, &b);
	if (err)
		return err == -EINVAL ? ext2_refuse(fs, "device too small", fs->bdev->sectors) : err;
	memcpy(fs->super, b->data, sizeof(fs->super));
	bcache_release(b);
	return 0;
}

/* Checks the feature flags: unknown incompatible ones refuse the mount, unknown read-only
 * compatible ones a writable mount, as on Linux. */
static int ext2_check_features(struct ext2_fs *fs, unsigned long flags)
{
	const uint8_t *s = fs->super;

	if (ext2_le32(s + SB_REV_LEVEL) == 0)
		return 0;
	uint32_t incompat = ext2_le32(s + SB_FEATURE_INCOMPAT);
	uint32_t ro_compat = ext2_le32(s + SB_FEATURE_RO_COMPAT);
	if (incompat & ~(uint32_t)EXT2_INCOMPAT_SUPP)
		return ext2_refuse(fs, "unsupported incompatible features",
				   incompat & ~(uint32_t)EXT2_INCOMPAT_SUPP);
	if (!(flags & MS_RDONLY) && (ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPP))
		return ext2_refuse(fs, "unsupported features for a writable mount",
				   ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPP);
	fs->filetype = incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	return 0;
}

/* Checks the super block's geometry and fills fs's copies of it. */
static int ext2_check_super(struct ext2_fs *fs)
{
	const uint8_t *s = fs->super;
	uint32_t log = ext2_le32(s + SB_LOG_BLOCK_SIZE);
	uint64_t dev_bytes = block_size_bytes(fs->bdev);

	if (ext2_le16(s + SB_MAGIC) != EXT2_MAGIC)
		return ext2_refuse(fs, "no ext2 magic", ext2_le16(s + SB_MAGIC));
	if (log > 2)
		return ext2_refuse(fs, "block size beyond 4096 bytes", log);
	fs->bs = 1024u << log;
	fs->blocks_count = ext2_le32(s + SB_BLOCKS_COUNT);
	fs->inodes_count = ext2_le32(s + SB_INODES_COUNT);
	fs->first_data_block = ext2_le32(s + SB_FIRST_DATA_BLOCK);
	fs->bpg = ext2_le32(s + SB_BLOCKS_PER_GROUP);
	fs->ipg = ext2_le32(s + SB_INODES_PER_GROUP);
	bool old = ext2_le32(s + SB_REV_LEVEL) == 0;
	fs->isize = old ? EXT2_GOOD_OLD_INODE_SIZE : ext2_le16(s + SB_INODE_SIZE);
	fs->first_ino = old ? EXT2_GOOD_OLD_FIRST_INO : ext2_le32(s + SB_FIRST_INO);
	if (fs->bs < fs->bdev->logical_block_size)
		return ext2_refuse(fs, "block size below the device's", fs->bs);
	if (fs->isize < EXT2_GOOD_OLD_INODE_SIZE || fs->isize > fs->bs || (fs->isize & (fs->isize - 1)))
		return ext2_refuse(fs, "bad inode size", fs->isize);
	if (fs->first_data_block != (fs->bs == 1024 ? 1u : 0u))
		return ext2_refuse(fs, "bad first data block", fs->first_data_block);
	if (ext2_le32(s + SB_LOG_FRAG_SIZE) != log || ext2_le32(s + SB_FRAGS_PER_GROUP) != fs->bpg)
		return ext2_refuse(fs, "fragments differ from blocks", ext2_le32(s + SB_LOG_FRAG_SIZE));
	if (fs->bpg == 0 || fs->bpg > 8 * fs->bs)
		return ext2_refuse(fs, "bad blocks per group", fs->bpg);
	if (fs->ipg == 0 || fs->ipg > 8 * fs->bs || (uint64_t)fs->ipg * fs->isize % fs->bs)
		return ext2_refuse(fs, "bad inodes per group", fs->ipg);
	if (fs->blocks_count <= fs->first_data_block ||
	    (uint64_t)fs->blocks_count * fs->bs > dev_bytes)
		return ext2_refuse(fs, "block count beyond the device", fs->blocks_count);
	fs->groups = (fs->blocks_count - fs->first_data_block + fs->bpg - 1) / fs->bpg;
	if ((uint64_t)fs->groups * fs->ipg != fs->inodes_count)
		return ext2_refuse(fs, "inode count differs from the groups'", fs->inodes_count);
	if (fs->first_ino <= EXT2_ROOT_INO || fs->first_ino > fs->inodes_count)
		return ext2_refuse(fs, "bad first inode", fs->first_ino);
	fs->gd_blocks = (fs->groups * GD_SIZE + fs->bs - 1) / fs->bs;
	return 0;
}

/* Reads the group descriptors and checks that each group's bitmaps and inode table lie
 * inside the group, as Linux's ext2_check_descriptors does. */
static int ext2_read_groups(struct ext2_fs *fs)
{
	struct buffer *b;

	fs->gd = kmalloc((size_t)fs->gd_blocks * fs->bs);
	if (!fs->gd)
		return -ENOMEM;
	for (uint32_t i = 0; i < fs->gd_blocks; i++) {
		int err = bcache_read(fs->bdev, fs->first_data_block + 1 + i, &b);
		if (err)
			return err;
		memcpy(fs->gd + (size_t)i * fs->bs, b->data, fs->bs);
		bcache_release(b);
	}
	uint32_t table_blocks = (uint32_t)((uint64_t)fs->ipg * fs->isize / fs->bs);
	for (uint32_t g = 0; g < fs->groups; g++) {
		const uint8_t *gd = fs->gd + (size_t)g * GD_SIZE;
		uint32_t first = fs->first_data_block + g * fs->bpg;
		uint32_t last = g == fs->groups - 1 ? fs->blocks_count - 1 : first + fs->bpg - 1;
		uint32_t bb = ext2_le32(gd + GD_BLOCK_BITMAP), ib = ext2_le32(gd + GD_INODE_BITMAP);
		uint32_t it = ext2_le32(gd + GD_INODE_TABLE);
		if (bb < first || bb > last)
			return ext2_refuse(fs, "block bitmap outside its group", g);
		if (ib < first || ib > last)
			return ext2_refuse(fs, "inode bitmap outside its group", g);
		if (it < first || it > last || table_blocks > last - it + 1)
			return ext2_refuse(fs, "inode table outside its group", g);
	}
	return 0;
}

/* --- the directory tree --- */

struct ext2_queue {
	struct inode **dirs;
	size_t n, cap;
};

/* ext2_dir_load's found callback: queues a directory to read (taking its reference). */
static int ext2_queue_add(void *ctx, struct inode *dir)
{
	struct ext2_queue *q = ctx;

	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct inode **dirs = kmalloc(cap * sizeof(*dirs));
		if (!dirs) {
			inode_put(dir);
			return -ENOMEM;
		}
		if (q->n)
			memcpy(dirs, q->dirs, q->n * sizeof(*dirs));
		kfree(q->dirs);
		q->dirs = dirs;
		q->cap = cap;
	}
	q->dirs[q->n++] = dir;
	return 0;
}

/* Reads the whole tree from the root, breadth first. */
static int ext2_load_tree(struct ext2_fs *fs, struct inode *root)
{
	struct ext2_queue q = {0};
	int err = 0;

	inode_get(root);
	ext2_queue_add(&q, root);
	for (size_t i = 0; i < q.n; i++) {
		if (!err)
			err = ext2_dir_load(fs, q.dirs[i], ext2_queue_add, &q);
		inode_put(q.dirs[i]);
	}
	kfree(q.dirs);
	return err;
}

/* --- the file system type --- */

static const struct fs_type ext2_type;

/* Writes the group descriptors and the super block's counters and write time. */
static int ext2_write_super(struct ext2_fs *fs)
{
	struct buffer *b;
	int err = 0;

	for (uint32_t i = 0; i < fs->gd_blocks && !err; i++) {
		err = bcache_read(fs->bdev, fs->first_data_block + 1 + i, &b);
		if (!err) {
			size_t n = MIN((size_t)fs->bs, (size_t)fs->groups * GD_SIZE - (size_t)i * fs->bs);
			if (memcmp(b->data, fs->gd + (size_t)i * fs->bs, n)) {
				memcpy(b->data, fs->gd + (size_t)i * fs->bs, n);
				bcache_mark_dirty(b);
			}
			bcache_release(b);
		}
	}
	if (!err)
		err = bcache_read(fs->bdev, 1024 / fs->bs, &b);
	if (!err) {
		ext2_put32(fs->super + SB_WTIME, (uint32_t)vfs_now().sec);
		memcpy(b->data + 1024 % fs->bs, fs->super, sizeof(fs->super));
		bcache_mark_dirty(b);
		bcache_release(b);
	}
	return err;
}

/* Records a write-back error in the super block's state (EXT2_ERROR_FS, as Linux's
 * ext2_error does), so that e2fsck checks the file system even when the write of the
 * metadata that follows succeeds. fs->lock held. */
static void ext2_mark_error(struct ext2_fs *fs)
{
	uint16_t state = ext2_le16(fs->super + SB_STATE);

	if (!(state & EXT2_ERROR_FS))
		kprintf("amphi: ext2: %s: write error: file system marked with errors\n",
			fs->bdev->name);
	ext2_put16(fs->super + SB_STATE, state | EXT2_ERROR_FS);
}

/* fs_type.sync: every in-memory change to the disk, then the device flushed. File
 * contents are written and flushed first, then the metadata (block maps, inodes,
 * directories, bitmaps, descriptors, super block): metadata never reaches the disk ahead
 * of the contents it points at, and after a failed write the super block says so. */
static int ext2_sync(struct super_block *sb)
{
	struct ext2_fs *fs = sb->priv;

	if (fs->rdonly)
		return 0;
	mutex_lock(&fs->lock);
	int err = ext2_write_all(fs);
	mutex_unlock(&fs->lock);
	int derr = bcache_sync_data(fs->bdev);
	mutex_lock(&fs->lock);
	if (derr)
		ext2_mark_error(fs);
	int serr = ext2_write_super(fs);
	mutex_unlock(&fs->lock);
	int berr = bcache_sync(fs->bdev);
	if (berr && !derr) { /* metadata lost: the next super block written says so */
		mutex_lock(&fs->lock);
		ext2_mark_error(fs);
		mutex_unlock(&fs->lock);
	}
	return err ? err : derr ? derr : serr ? serr : berr;
}

/* Frees fs and releases its device. */
static void ext2_fs_free(struct ext2_fs *fs)
{
	block_claim(fs->bdev, false);
	block_put(fs->bdev);
	kfree(fs->gd);
	kfree(fs);
}

/* fs_type.kill: the tree is gone; the device is released. */
static void ext2_kill(struct super_block *sb)
{
	ext2_fs_free(sb->priv);
}

static void ext2_statfs(struct super_block *sb, struct vfs_statfs *st)
{
	struct ext2_fs *fs = sb->priv;
	uint32_t free = ext2_le32(fs->super + SB_FREE_BLOCKS);
	uint32_t reserved = ext2_le32(fs->super + SB_R_BLOCKS_COUNT);

	st->bsize = fs->bs;
	st->blocks = fs->blocks_count;
	st->bfree = free;
	st->bavail = free > reserved ? free - reserved : 0;
	st->files = fs->inodes_count;
	st->ffree = ext2_le32(fs->super + SB_FREE_INODES);
}

/* Reads and checks everything the mount needs, then the tree into sb. */
static int ext2_fill(struct ext2_fs *fs, unsigned long flags)
{
	struct inode *root;
	int err = ext2_read_super(fs);

	if (!err)
		err = ext2_check_super(fs);
	if (!err)
		err = ext2_check_features(fs, flags);
	if (!err)
		err = bcache_set_block_size(fs->bdev, fs->bs);
	if (!err)
		err = ext2_read_groups(fs);
	if (err)
		return err;
	fs->sb = vfs_super_create(&ext2_type, EXT2_MAGIC, &ext2_inode_ops, S_IFDIR | 0755);
	if (!fs->sb)
		return -ENOMEM;
	fs->sb->priv = fs;
	fs->sb->dev = fs->bdev->rdev;
	fs->sb->root->ops = NULL;
	inode_put(fs->sb->root); /* the VFS's stand-in: the root is inode 2 */
	fs->sb->root = NULL;
	mutex_lock(&fs->lock);
	err = ext2_iget(fs, EXT2_ROOT_INO, &root);
	if (!err && !S_ISDIR(root->mode)) {
		err = ext2_corrupt(fs, "root is not a directory, mode", root->mode);
		ext2_iput_locked(fs, root); /* after the message reads its mode */
	}
	if (!err) {
		root->parent = root;
		fs->sb->root = root;
		err = ext2_load_tree(fs, root);
	}
	mutex_unlock(&fs->lock);
	return err;
}

/* fs_type.mount_dev. */
static int ext2_mount(uint64_t rdev, const char *source, unsigned long flags, const char *data,
		      struct super_block **out)
{
	struct block_device *bdev = block_get_by_rdev(rdev);
	struct ext2_fs *fs = bdev ? kzalloc(sizeof(*fs)) : NULL;

	(void)data, (void)source;
	if (!bdev)
		return -ENXIO;
	if (!fs || block_claim(bdev, true)) {
		block_put(bdev);
		kfree(fs);
		return fs ? -EBUSY : -ENOMEM;
	}
	fs->bdev = bdev;
	fs->rdonly = flags & MS_RDONLY;
	mutex_init(&fs->lock, "ext2");
	list_init(&fs->inodes);
	int err = !fs->rdonly && (bdev->read_only || bdev->disk->read_only) ? -EROFS : 0;
	if (!err)
		err = ext2_fill(fs, flags);
	if (err) {
		fs->dying = true;
		if (fs->sb) {
			if (fs->sb->root)
				inode_put(fs->sb->root);
			kfree(fs->sb);
		}
		bcache_set_block_size(bdev, bdev->logical_block_size);
		ext2_fs_free(fs);
		return err;
	}
	*out = fs->sb;
	return 0;
}

static const struct fs_type ext2_type = {
    .name = "ext2",
    .mount_dev = ext2_mount,
    .sync = ext2_sync,
    .kill = ext2_kill,
    .statfs = ext2_statfs,
};

void ext2_register(void)
{
	vfs_register_fs(&ext2_type);
}
