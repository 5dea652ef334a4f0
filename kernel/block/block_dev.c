/*
 * Block device nodes: /dev/<name> in devtmpfs (S_IFBLK with the device's number), made
 * when a device registers and removed when it goes, and what opening one gives: reads and
 * writes at any offset and length through the device's buffer cache (written back by
 * fsync and the last close of a writer), lseek from the end of the device, and Linux's
 * BLK* ioctls.
 */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "block_internal.h"

/* Linux's ioctl numbers (include/uapi/linux/fs.h), the same on x86_64 and aarch64. */
#define BLKROGET 0x125e
#define BLKRRPART 0x125f
#define BLKGETSIZE 0x1260
#define BLKFLSBUF 0x1261
#define BLKSSZGET 0x1268
#define BLKBSZGET 0x80081270
#define BLKGETSIZE64 0x80081272
#define BLKPBSZGET 0x127b

static struct inode *block_dev_dir; /* devtmpfs's root once mounted (a reference) */

/* Makes bdev's node in dir. vfs_lock held. */
static void block_node_make(struct inode *dir, struct block_device *bdev, void *ctx)
{
	struct inode *node;

	(void)ctx;
	int err = vfs_create(dir, bdev->name, strlen(bdev->name), S_IFBLK | 0660, bdev->rdev,
			     &node);
	if (!err)
		inode_put(node);
	else if (err != -EEXIST)
		kprintf("amphi: devtmpfs: cannot create /dev/%s: error %d\n", bdev->name, err);
}

/* block_for_each callback of blockdev_populate. */
static void block_node_populate(struct block_device *bdev, void *ctx)
{
	block_node_make(ctx, bdev, NULL);
}

void blockdev_populate(struct inode *dir)
{
	if (!block_dev_dir) {
		inode_get(dir);
		block_dev_dir = dir;
	}
	block_for_each(block_node_populate, dir);
}

void block_node_create(struct block_device *bdev)
{
	if (!block_dev_dir)
		return;
	vfs_lock();
	block_node_make(block_dev_dir, bdev, NULL);
	vfs_unlock();
}

void block_node_remove(struct block_device *bdev)
{
	if (!block_dev_dir)
		return;
	vfs_lock();
	struct vfs_dirent *d = vfs_dir_find(block_dev_dir, bdev->name, strlen(bdev->name));
	if (d && S_ISBLK(d->inode->mode) && d->inode->rdev == bdev->rdev)
		vfs_dir_remove(block_dev_dir, d);
	vfs_unlock();
}

/* --- the node as a file --- */

/* file_ops.open: counts the opener; a read-only device refuses writing (-EACCES, as
 * Linux's bdev_open). */
static int block_file_open(struct inode *inode, struct file *f)
{
	struct block_device *bdev = block_get_by_rdev(inode->rdev);

	if (!bdev)
		return -ENXIO;
	if ((f->flags & O_ACCMODE) != O_RDONLY && (bdev->read_only || bdev->disk->read_only)) {
		block_put(bdev);
		return -EACCES;
	}
	f->priv = bdev;
	f->wb_err = block_wb_errors(bdev);
	return 0;
}

/* file_ops.release: what was written reaches the device, as on Linux's last close. */
static void block_file_release(struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		bcache_sync(f->priv);
	block_put(f->priv);
}

/* file_ops.fsync: writes back the device's cache and flushes it; -EIO once for the
 * write-back errors since the file last reported (even those another's sync met). */
static int block_file_fsync(struct file *f, bool datasync)
{
	(void)datasync;
	int err = bcache_sync(f->priv);
	int seen = block_wb_error_check(f->priv, &f->wb_err);
	return seen ? seen : err;
}

static uint64_t block_file_size(struct file *f)
{
	return block_size_bytes(f->priv);
}

/* Moves n bytes at device offset pos between io (at done) and the device through the
 * buffer cache block that [pos, pos + n) lies in: 0 or an errno. */
static int block_file_chunk(struct block_device *bdev, struct vfs_io *io, size_t done,
			    uint64_t pos, size_t n, bool write)
{
	uint32_t size = bcache_block_size(bdev);
	uint64_t block = pos / size;
	size_t at = (size_t)(pos % size);
	struct buffer *b;
	int err = write && at == 0 && n == size ? bcache_get(bdev, block, &b)
						 : bcache_read(bdev, block, &b);

	if (err)
		return err;
	if (write) {
		err = vfs_io_in(io, done, b->data + at, n);
		if (!err)
			bcache_mark_dirty(b);
	} else {
		err = vfs_io_out(io, done, b->data + at, n);
	}
	bcache_release(b);
	return err;
}

#define BLOCK_DIRECT_MAX (128u * 1024) /* bytes per direct request of a large transfer */

/* Moves the whole cache blocks of [pos, pos + n) (n a multiple of the block size, at most
 * BLOCK_DIRECT_MAX) between io (at done) and the device in one request through bounce: 0
 * or an errno. */
static int block_file_direct(struct block_device *bdev, struct vfs_io *io, size_t done,
			     uint64_t pos, size_t n, bool write, uint8_t *bounce)
{
	uint32_t size = bcache_block_size(bdev);
	int err = write ? vfs_io_in(io, done, bounce, n) : 0;

	if (!err)
		err = bcache_rw_direct(bdev, pos / size, (uint32_t)(n / size), bounce, write);
	if (!err && !write)
		err = vfs_io_out(io, done, bounce, n);
	return err;
}

/* read and write of a block device node at *off: whole aligned blocks go in large direct
 * requests (one request per 128 KiB instead of one per block), the rest through the
 * buffer cache. */
static long block_file_rw(struct file *f, struct vfs_io *io, size_t len, uint64_t *off,
			  bool write)
{
	struct block_device *bdev = f->priv;
	uint64_t size = block_size_bytes(bdev);
	size_t done = 0;
	int err = 0;

	if (*off >= size)
		return write && len ? -ENOSPC : 0;
	len = (size_t)MIN((uint64_t)len, size - *off);
	uint32_t bsize = bcache_block_size(bdev);
	uint8_t *bounce = len >= 2 * bsize ? kmalloc(BLOCK_DIRECT_MAX) : NULL;
	while (done < len && !err) {
		uint64_t pos = *off + done;
		size_t n = (size_t)MIN((uint64_t)(len - done), bsize - pos % bsize);
		size_t whole = MIN((len - done) / bsize * bsize, (size_t)BLOCK_DIRECT_MAX);
		if (bounce && pos % bsize == 0 && whole > bsize) {
			n = whole;
			err = block_file_direct(bdev, io, done, pos, n, write, bounce);
		} else {
			err = block_file_chunk(bdev, io, done, pos, n, write);
		}
		if (!err)
			done += n;
	}
	kfree(bounce);
	*off += done;
	return done ? (long)done : err;
}

static long block_file_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	return block_file_rw(f, io, len, off, false);
}

static long block_file_write(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	return block_file_rw(f, io, len, off, true);
}

/* Copies an ioctl result of n bytes to the caller's memory at arg. */
static long block_ioctl_out(uintptr_t arg, const void *val, size_t n)
{
	struct process *p = process_current();

	if (!p || vm_copy_to_user(p->vm, arg, val, n) < 0)
		return -EFAULT;
	return 0;
}

static long block_file_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct block_device *bdev = f->priv;
	uint64_t bytes = block_size_bytes(bdev), sectors = bdev->sectors;
	int ro = bdev->read_only || bdev->disk->read_only;
	int lbs = (int)bdev->logical_block_size;
	uint64_t bsz = bcache_block_size(bdev);

	switch (cmd) {
	case BLKGETSIZE64:
		return block_ioctl_out(arg, &bytes, sizeof(bytes));
	case BLKGETSIZE:
		return block_ioctl_out(arg, &sectors, sizeof(sectors));
	case BLKSSZGET:
	case BLKPBSZGET:
		return block_ioctl_out(arg, &lbs, sizeof(lbs));
	case BLKBSZGET:
		return block_ioctl_out(arg, &bsz, sizeof(bsz));
	case BLKROGET:
		return block_ioctl_out(arg, &ro, sizeof(ro));
	case BLKFLSBUF:
		return block_flush_cache(bdev);
	case BLKRRPART:
		return block_rescan(bdev);
	default:
		return bdev->disk->ops->ioctl ? bdev->disk->ops->ioctl(bdev, cmd, arg) : -ENOTTY;
	}
}

static const struct file_ops block_file_ops = {
    .open = block_file_open,
    .release = block_file_release,
    .read = block_file_read,
    .write = block_file_write,
    .ioctl = block_file_ioctl,
    .size = block_file_size,
    .fsync = block_file_fsync,
};

const struct file_ops *blockdev_ops(uint64_t rdev)
{
	struct block_device *bdev = block_get_by_rdev(rdev);

	if (!bdev)
		return NULL;
	block_put(bdev);
	return &block_file_ops;
}
