/*
 * Loop devices as Linux has them: loop0-loop7 exist from boot, /dev/loop-control (char
 * 10:237) makes more
 * (LOOP_CTL_GET_FREE, LOOP_CTL_ADD, LOOP_CTL_REMOVE), and /dev/loopN (block 7:N) is bound
 * to an open file with LOOP_SET_FD or LOOP_CONFIGURE, described by LOOP_GET_STATUS64 /
 * LOOP_SET_STATUS64 (offset, size limit, file name, read-only, autoclear, partition scan)
 * and unbound with LOOP_CLR_FD, or by its last close when autoclear is set (what
 * busybox's mount -o loop asks for).
 *
 * A request is served at once in submit, through the backing file's own read and write
 * without vfs_lock: a loop device may be read under vfs_lock (a mount reading its super
 * block), and the file's data (a memory object) has its own lock.
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

#define LOOP_MAX 64
#define LOOP_MIN_COUNT 8 /* made at boot, as Linux's CONFIG_BLK_DEV_LOOP_MIN_COUNT */
#define LOOP_CONTROL_MAJOR 10
#define LOOP_CONTROL_MINOR 237

/* Linux's ioctls (include/uapi/linux/loop.h). */
#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_SET_STATUS64 0x4C04
#define LOOP_GET_STATUS64 0x4C05
#define LOOP_SET_CAPACITY 0x4C07
#define LOOP_CONFIGURE 0x4C0A
#define LOOP_CTL_ADD 0x4C80
#define LOOP_CTL_REMOVE 0x4C81
#define LOOP_CTL_GET_FREE 0x4C82

#define LO_FLAGS_READ_ONLY 1u
#define LO_FLAGS_AUTOCLEAR 4u
#define LO_FLAGS_PARTSCAN 8u
#define LO_FLAGS_SETTABLE (LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN)
#define LO_NAME_SIZE 64

struct loop_info64 {
	uint64_t lo_device, lo_inode, lo_rdevice, lo_offset, lo_sizelimit;
	uint32_t lo_number, lo_encrypt_type, lo_encrypt_key_size, lo_flags;
	uint8_t lo_file_name[LO_NAME_SIZE];
	uint8_t lo_crypt_name[LO_NAME_SIZE];
	uint8_t lo_encrypt_key[32];
	uint64_t lo_init[2];
};

struct loop_config {
	uint32_t fd, block_size;
	struct loop_info64 info;
	uint64_t reserved[8];
};

struct loop {
	struct block_device bdev;
	struct mutex lock;    /* binding and status */
	struct file *backing; /* NULL: unbound */
	struct loop_info64 info;
};

static struct loop *loops[LOOP_MAX];
static struct spinlock loops_lock = SPINLOCK_INIT("loops");

/* --- requests --- */

/* block_device_ops.submit: the backing file's bytes at the request's offset; reads past
 * the file's end give zeros, as Linux's loop does. */
static void loop_submit(struct block_device *bdev, struct block_request *req)
{
	struct loop *lo = bdev->priv;
	struct file *f = lo->backing;
	size_t len = (size_t)req->count << BLOCK_SECTOR_SHIFT;
	uint64_t off = lo->info.lo_offset + (req->sector << BLOCK_SECTOR_SHIFT);
	struct vfs_io io = {NULL, (uintptr_t)req->buf};
	long n = 0;

	if (!f) {
		block_request_complete(req, -ENXIO);
		return;
	}
	if (req->op == BLOCK_FLUSH) {
		n = f->ops->fsync ? f->ops->fsync(f, true) : 0;
	} else if (req->op == BLOCK_READ) {
		n = f->ops->read(f, &io, len, &off);
		if (n >= 0 && (size_t)n < len)
			memset((uint8_t *)req->buf + n, 0, len - (size_t)n);
	} else {
		n = f->ops->write(f, &io, len, &off);
		if (n >= 0 && (size_t)n < len)
			n = -EIO;
	}
	block_request_complete(req, n < 0 ? -EIO : 0);
}

/* --- binding --- */

/* The capacity lo's file and status give, in 512-byte sectors. */
static uint64_t loop_capacity(struct loop *lo)
{
	struct file *f = lo->backing;
	uint64_t size = f->ops->size ? f->ops->size(f) : inode_size(f->path.inode);
	uint32_t unit = lo->bdev.logical_block_size;

	size = size > lo->info.lo_offset ? size - lo->info.lo_offset : 0;
	if (lo->info.lo_sizelimit && lo->info.lo_sizelimit < size)
		size = lo->info.lo_sizelimit;
	return size / unit * unit >> BLOCK_SECTOR_SHIFT;
}

/* Applies status info to bound lo (offset, size limit, name, settable flags). lo->lock
 * held. */
static void loop_set_info(struct loop *lo, const struct loop_info64 *info)
{
	uint32_t ro = lo->info.lo_flags & LO_FLAGS_READ_ONLY;

	lo->info.lo_offset = info->lo_offset;
	lo->info.lo_sizelimit = info->lo_sizelimit;
	memcpy(lo->info.lo_file_name, info->lo_file_name, LO_NAME_SIZE);
	lo->info.lo_file_name[LO_NAME_SIZE - 1] = 0;
	memcpy(lo->info.lo_crypt_name, info->lo_crypt_name, LO_NAME_SIZE);
	lo->info.lo_crypt_name[LO_NAME_SIZE - 1] = 0;
	lo->info.lo_flags = ro | (info->lo_flags & LO_FLAGS_SETTABLE);
	lo->bdev.sectors = loop_capacity(lo);
}

/* Binds lo to the caller's open file fd (LOOP_SET_FD, LOOP_CONFIGURE with info). */
static long loop_bind(struct loop *lo, unsigned long fd, const struct loop_info64 *info)
{
	struct process *p = process_current();
	struct file *f = p && fd <= INT32_MAX ? fd_get(p->fds, (int)fd) : NULL;

	if (!f)
		return -EBADF;
	struct inode *inode = f->path.inode;
	if (!inode || !(S_ISREG(inode->mode) || S_ISBLK(inode->mode)) || !f->ops ||
	    !f->ops->read || (f->ops->size == NULL && !S_ISREG(inode->mode))) {
		file_put(f);
		return -EINVAL;
	}
	mutex_lock(&lo->lock);
	long err = lo->backing ? -EBUSY : 0;
	if (!err) {
		bool ro = (f->flags & O_ACCMODE) == O_RDONLY || !f->ops->write ||
			  (info && (info->lo_flags & LO_FLAGS_READ_ONLY));
		memset(&lo->info, 0, sizeof(lo->info));
		lo->info.lo_number = lo->bdev.first_minor;
		lo->info.lo_device = inode->sb ? inode->sb->dev : 0;
		lo->info.lo_inode = inode->ino;
		lo->info.lo_flags = ro ? LO_FLAGS_READ_ONLY : 0;
		lo->backing = f;
		lo->bdev.read_only = ro;
		if (info)
			loop_set_info(lo, info);
		else
			lo->bdev.sectors = loop_capacity(lo);
	}
	bool scan = !err && (lo->info.lo_flags & LO_FLAGS_PARTSCAN);
	mutex_unlock(&lo->lock);
	if (err)
		file_put(f);
	else if (scan)
		block_partitions_scan(&lo->bdev);
	return err;
}

/* Unbinds lo: its partitions go, its cache is dropped, the file is closed. */
static void loop_unbind(struct loop *lo)
{
	block_partitions_remove(&lo->bdev);
	mutex_lock(&lo->lock);
	struct file *f = lo->backing;
	if (f)
		block_flush_cache(&lo->bdev);
	lo->backing = NULL;
	lo->bdev.sectors = 0;
	lo->bdev.read_only = false;
	memset(&lo->info, 0, sizeof(lo->info));
	mutex_unlock(&lo->lock);
	if (f)
		file_put(f);
}

/* LOOP_CLR_FD: unbinds now when the caller is the only opener, else at the last close
 * (Linux sets autoclear the same way). */
static long loop_clear(struct loop *lo)
{
	if (!lo->backing)
		return -ENXIO;
	if (block_in_use(&lo->bdev, 1)) {
		mutex_lock(&lo->lock);
		lo->info.lo_flags |= LO_FLAGS_AUTOCLEAR;
		mutex_unlock(&lo->lock);
		return 0;
	}
	loop_unbind(lo);
	return 0;
}

/* block_device_ops.last_close: an autoclear device unbinds. One with partitions waits
 * for LOOP_CLR_FD: removing their nodes takes vfs_lock, which the last close may hold (an
 * unmount releasing its device). */
static void loop_last_close(struct block_device *bdev)
{
	struct loop *lo = bdev->priv;
	struct block_device *part;

	if (lo->backing && (lo->info.lo_flags & LO_FLAGS_AUTOCLEAR) &&
	    block_partitions_of(bdev, &part, 1) == 0)
		loop_unbind(lo);
}

/* Copies n bytes from or to the caller's memory at uva. */
static long loop_copy(void *kbuf, uintptr_t uva, size_t n, bool out)
{
	struct process *p = process_current();

	if (!p)
		return -EFAULT;
	int err = out ? vm_copy_to_user(p->vm, uva, kbuf, n) : vm_copy_from_user(p->vm, kbuf, uva, n);
	return err < 0 ? -EFAULT : 0;
}

/* LOOP_GET_STATUS64 and LOOP_SET_STATUS64. */
static long loop_status(struct loop *lo, uintptr_t arg, bool set)
{
	struct loop_info64 info;

	if (set && loop_copy(&info, arg, sizeof(info), false))
		return -EFAULT;
	mutex_lock(&lo->lock);
	long err = lo->backing ? 0 : -ENXIO;
	bool scan = false;
	if (!err && set) {
		scan = (info.lo_flags & LO_FLAGS_PARTSCAN) && !(lo->info.lo_flags & LO_FLAGS_PARTSCAN);
		loop_set_info(lo, &info);
	} else if (!err) {
		info = lo->info;
	}
	mutex_unlock(&lo->lock);
	if (!err && !set)
		err = loop_copy(&info, arg, sizeof(info), true);
	if (scan)
		block_partitions_scan(&lo->bdev);
	return err;
}

/* block_device_ops.ioctl: the loop ioctls on /dev/loopN. */
static long loop_ioctl(struct block_device *bdev, unsigned cmd, uintptr_t arg)
{
	struct loop *lo = bdev->disk->priv;
	struct loop_config cfg;

	if (bdev != bdev->disk)
		return -ENOTTY; /* a partition of a loop device */
	switch (cmd) {
	case LOOP_SET_FD:
		return loop_bind(lo, arg, NULL);
	case LOOP_CONFIGURE:
		if (loop_copy(&cfg, arg, sizeof(cfg), false))
			return -EFAULT;
		if (cfg.block_size && cfg.block_size != BLOCK_SECTOR_SIZE)
			return -EINVAL; /* 512-byte blocks only */
		return loop_bind(lo, cfg.fd, &cfg.info);
	case LOOP_CLR_FD:
		return loop_clear(lo);
	case LOOP_GET_STATUS64:
		return loop_status(lo, arg, false);
	case LOOP_SET_STATUS64:
		return loop_status(lo, arg, true);
	case LOOP_SET_CAPACITY:
		if (!lo->backing)
			return -ENXIO;
		lo->bdev.sectors = loop_capacity(lo);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct block_device_ops loop_ops = {
    .submit = loop_submit,
    .ioctl = loop_ioctl,
    .last_close = loop_last_close,
};

/* --- /dev/loop-control --- */

/* Makes loop device n (unbound): 0, -EEXIST, -ENOMEM. */
static int loop_add(unsigned n)
{
	struct loop *lo = kzalloc(sizeof(*lo));

	if (!lo)
		return -ENOMEM;
	spin_lock(&loops_lock);
	bool taken = loops[n] != NULL;
	if (!taken)
		loops[n] = lo;
	spin_unlock(&loops_lock);
	if (taken) {
		kfree(lo);
		return -EEXIST;
	}
	mutex_init(&lo->lock, "loop");
	ksnprintf(lo->bdev.name, sizeof(lo->bdev.name), "loop%u", n);
	lo->bdev.logical_block_size = BLOCK_SECTOR_SIZE;
	lo->bdev.major = BLOCK_MAJOR_LOOP;
	lo->bdev.first_minor = n;
	lo->bdev.minors = 1;
	lo->bdev.ops = &loop_ops;
	lo->bdev.priv = lo;
	int err = block_device_register(&lo->bdev);
	if (err) {
		spin_lock(&loops_lock);
		loops[n] = NULL;
		spin_unlock(&loops_lock);
		kfree(lo);
	}
	return err;
}

/* LOOP_CTL_REMOVE of device n: -ENODEV, -EBUSY while bound or open. */
static int loop_remove(unsigned n)
{
	spin_lock(&loops_lock);
	struct loop *lo = loops[n];
	spin_unlock(&loops_lock);
	if (!lo)
		return -ENODEV;
	if (lo->backing)
		return -EBUSY;
	int err = block_device_unregister(&lo->bdev);
	if (err)
		return err;
	spin_lock(&loops_lock);
	loops[n] = NULL;
	spin_unlock(&loops_lock);
	kfree(lo);
	return 0;
}

/* LOOP_CTL_GET_FREE: the first unbound device, made when there is none. */
static long loop_get_free(void)
{
	for (unsigned n = 0; n < LOOP_MAX; n++) {
		spin_lock(&loops_lock);
		struct loop *lo = loops[n];
		spin_unlock(&loops_lock);
		if (lo && !lo->backing)
			return n;
		if (!lo) {
			int err = loop_add(n);
			if (err != -EEXIST)
				return err ? err : (long)n;
		}
	}
	return -ENOSPC;
}

static long loop_control_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	int err;

	(void)f;
	switch (cmd) {
	case LOOP_CTL_GET_FREE:
		return loop_get_free();
	case LOOP_CTL_ADD:
		if (arg >= LOOP_MAX)
			return -EINVAL;
		err = loop_add((unsigned)arg);
		return err ? err : (long)arg;
	case LOOP_CTL_REMOVE:
		return arg >= LOOP_MAX ? -ENODEV : loop_remove((unsigned)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_ops loop_control_ops = {.ioctl = loop_control_ioctl};

void block_init(void)
{
	chrdev_register(LOOP_CONTROL_MAJOR, LOOP_CONTROL_MINOR, "loop-control",
			&loop_control_ops);
	for (unsigned n = 0; n < LOOP_MIN_COUNT; n++)
		loop_add(n);
}
