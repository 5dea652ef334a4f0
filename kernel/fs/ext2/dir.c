/*
 * ext2 directories: linear lists of entries (inode, record length, name length, file
 * type, name) filling each block. At mount each directory's entries become the VFS's
 * in-memory entries, every record checked (a record length of 0, one crossing its block,
 * a name longer than its record, an inode out of range: -EUCLEAN); an htree directory's
 * index blocks read as empty records, as Linux's ext2 reads them. Write-back lays the
 * in-memory entries out again from the first block: ".", "..", then the entries in order,
 * the last record of a block covering its rest; blocks left over hold one empty record,
 * so a directory never shrinks (as on Linux) and loses an htree index it had.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>

#include "ext2.h"

#define EXT2_DIRENT_HEAD 8

/* The record length an entry with a name of len bytes takes. */
static uint32_t ext2_rec_len(size_t len)
{
	return (uint32_t)((EXT2_DIRENT_HEAD + len + 3) & ~(size_t)3);
}

/* The directory entry file type of mode. */
static uint8_t ext2_file_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return 1;
	case S_IFDIR:
		return 2;
	case S_IFCHR:
		return 3;
	case S_IFBLK:
		return 4;
	case S_IFIFO:
		return 5;
	case S_IFSOCK:
		return 6;
	default:
		return 7;
	}
}

/* Adds the entry name -> child to in-memory directory dir as read from disk: dir's link
 * count and times stay what the disk says. */
static int ext2_dir_add_loaded(struct inode *dir, const char *name, size_t len,
			       struct inode *child)
{
	uint32_t nlink = dir->nlink;
	struct vfs_time mtime = dir->mtime, ctime = dir->ctime;
	int err = vfs_dir_add(dir, name, len, child);

	dir->nlink = nlink;
	dir->mtime = mtime;
	dir->ctime = ctime;
	return err;
}

/* Takes in the entry of inode ino named name (len bytes) found in dir. */
static int ext2_dir_entry(struct ext2_fs *fs, struct inode *dir, uint32_t ino, const char *name,
			  size_t len, int (*found)(void *ctx, struct inode *child), void *ctx)
{
	struct inode *child;

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return ext2_corrupt(fs, "directory entry name with '/' or NUL in directory", dir->ino);
	if (vfs_dir_find(dir, name, len))
		return ext2_corrupt(fs, "two entries of one name in directory", dir->ino);
	int err = ext2_iget(fs, ino, &child);
	if (err)
		return err;
	if (S_ISDIR(child->mode) && child->parent)
		err = ext2_corrupt(fs, "directory linked twice (a loop?)", ino);
	if (!err)
		err = ext2_dir_add_loaded(dir, name, len, child);
	if (!err && S_ISDIR(child->mode))
		return found(ctx, child);
	ext2_iput_locked(fs, child);
	return err;
}

/* Reads the entries of one directory block. */
static int ext2_dir_block(struct ext2_fs *fs, struct inode *dir, const uint8_t *data,
			  int (*found)(void *ctx, struct inode *child), void *ctx)
{
	char name[VFS_NAME_MAX + 1];

	for (uint32_t off = 0; off < fs->bs;) {
		const uint8_t *e = data + off;
		if (off + EXT2_DIRENT_HEAD > fs->bs)
			return ext2_corrupt(fs, "directory record crosses its block, directory", dir->ino);
		uint32_t ino = ext2_le32(e), rec_len = ext2_le16(e + 4);
		size_t len = fs->filetype ? e[6] : ext2_le16(e + 6);
		if (rec_len < EXT2_DIRENT_HEAD || rec_len % 4 || off + rec_len > fs->bs ||
		    EXT2_DIRENT_HEAD + len > rec_len || len > VFS_NAME_MAX)
			return ext2_corrupt(fs, "bad directory record length in directory", dir->ino);
		if (ino && len == 0)
			return ext2_corrupt(fs, "empty name in directory", dir->ino);
		if (ino) {
			memcpy(name, e + EXT2_DIRENT_HEAD, len);
			int err = ext2_dir_entry(fs, dir, ino, name, len, found, ctx);
			if (err)
				return err;
		}
		off += rec_len;
	}
	return 0;
}

int ext2_dir_load(struct ext2_fs *fs, struct inode *dir,
		  int (*found)(void *ctx, struct inode *child), void *ctx)
{
	struct ext2_inode_info *info = ext2_info(dir);
	uint64_t nblocks = info->disk_size / fs->bs;
	struct buffer *b;
	uint32_t blk;

	if (nblocks == 0)
		return ext2_corrupt(fs, "directory without blocks", dir->ino);
	for (uint64_t idx = 0; idx < nblocks; idx++) {
		int err = ext2_bmap(fs, info, idx, false, 0, &blk);
		if (!err && !blk)
			err = ext2_corrupt(fs, "hole in directory", dir->ino);
		if (!err)
			err = bcache_read(fs->bdev, blk, &b);
		if (err)
			return err;
		err = ext2_dir_block(fs, dir, b->data, found, ctx);
		bcache_release(b);
		if (err)
			return err;
	}
	return 0;
}

/* --- write-back --- */

/* A directory being laid out: the block image being filled and where. */
struct dir_out {
	struct ext2_fs *fs;
	struct ext2_inode_info *info;
	uint8_t *image;	 /* one block */
	uint32_t off;	 /* bytes used in image */
	uint32_t last;	 /* offset of the last record in image */
	uint64_t idx;	 /* file block of image */
	uint32_t goal;
	int err;
};

/* Writes the image as file block idx (an existing block only when it changed), then
 * starts an empty one. */
static void dir_out_emit(struct dir_out *o)
{
	struct ext2_fs *fs = o->fs;
	uint32_t blk;
	struct buffer *b;

	if (o->err)
		return;
	if (o->off) /* the last record covers the rest of the block */
		ext2_put16(o->image + o->last + 4, fs->bs - o->last);
	else
		ext2_put16(o->image + 4, fs->bs); /* an empty block: one empty record */
	o->err = ext2_bmap(fs, o->info, o->idx, true, o->goal, &blk);
	if (!o->err)
		o->err = bcache_read(fs->bdev, blk, &b);
	if (!o->err) {
		if (memcmp(b->data, o->image, fs->bs) != 0) {
			memcpy(b->data, o->image, fs->bs);
			bcache_mark_dirty(b);
		}
		bcache_release(b);
		o->goal = blk + 1;
	}
	o->idx++;
	o->off = o->last = 0;
	memset(o->image, 0, fs->bs);
}

/* Appends the entry name -> ino (type from mode) to the layout. */
static void dir_out_add(struct dir_out *o, uint32_t ino, const char *name, size_t len,
			uint32_t mode)
{
	uint32_t need = ext2_rec_len(len);

	if (o->off + need > o->fs->bs)
		dir_out_emit(o);
	uint8_t *e = o->image + o->off;
	ext2_put32(e, ino);
	ext2_put16(e + 4, need);
	if (o->fs->filetype) {
		e[6] = (uint8_t)len;
		e[7] = ext2_file_type(mode);
	} else {
		ext2_put16(e + 6, (uint32_t)len);
	}
	memcpy(e + EXT2_DIRENT_HEAD, name, len);
	o->last = o->off;
	o->off += need;
}

int ext2_dir_write(struct ext2_fs *fs, struct inode *dir)
{
	struct ext2_inode_info *info = ext2_info(dir);
	struct inode *up = dir->parent ? dir->parent : dir;
	struct dir_out o = {.fs = fs, .info = info, .image = kzalloc(fs->bs)};
	struct list_node *n;

	if (!o.image)
		return -ENOMEM;
	o.goal = info->block[0];
	dir_out_add(&o, info->ino, ".", 1, S_IFDIR);
	dir_out_add(&o, (uint32_t)up->ino, "..", 2, S_IFDIR);
	list_for_each(n, &dir->entries)
	{
		struct vfs_dirent *d = list_entry(n, struct vfs_dirent, node);
		dir_out_add(&o, (uint32_t)d->inode->ino, d->name, d->len, d->inode->mode);
	}
	dir_out_emit(&o);
	while (!o.err && o.idx < info->disk_size / fs->bs)
		dir_out_emit(&o);
	kfree(o.image);
	if (!o.err) {
		info->disk_size = MAX(info->disk_size, o.idx * fs->bs);
		info->flags &= ~(uint32_t)EXT2_INDEX_FL;
	}
	return o.err;
}
