/*
 * The block layer's core: the list of registered disks and partitions, request checks and
 * partition remapping on the way to a driver, completion, and the synchronous helper.
 *
 * One mutex (block_lock) covers the list and the opener counts. It may be taken under
 * vfs_lock (a mount looks its device up), never the other way round: /dev nodes are made
 * and removed after block_lock is released.
 */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#include "block_internal.h"

static struct mutex block_lock_m;
static bool block_lock_ready;
static struct list_node block_devices = LIST_INIT(block_devices);

/* Takes the block layer's lock, making it at first use (drivers may register before any
 * init call of the block layer runs). */
void block_lock(void)
{
	if (!__atomic_load_n(&block_lock_ready, __ATOMIC_ACQUIRE)) {
		static struct spinlock once = SPINLOCK_INIT("block_once");
		spin_lock(&once);
		if (!block_lock_ready) {
			mutex_init(&block_lock_m, "block");
			__atomic_store_n(&block_lock_ready, true, __ATOMIC_RELEASE);
		}
		spin_unlock(&once);
	}
	mutex_lock(&block_lock_m);
}

void block_unlock(void)
{
	mutex_unlock(&block_lock_m);
}

/* The registered device named name or numbered rdev (rdev used when name is NULL), or NULL.
 * block_lock held. */
static struct block_device *block_find_locked(const char *name, uint64_t rdev)
{
	struct list_node *n;

	list_for_each(n, &block_devices)
	{
		struct block_device *b = list_entry(n, struct block_device, node);
		if (name ? strcmp(b->name, name) == 0 : b->rdev == rdev)
			return b;
	}
	return NULL;
}

void block_for_each(void (*fn)(struct block_device *bdev, void *ctx), void *ctx)
{
	struct list_node *n;

	block_lock();
	list_for_each(n, &block_devices)
		fn(list_entry(n, struct block_device, node), ctx);
	block_unlock();
}

/* block_for_each callback of block_print_devices: one line per device with a medium. */
static void block_print_one(struct block_device *bdev, void *ctx)
{
	(void)ctx;
	if (bdev->sectors == 0)
		return; /* an unbound loop device */
	kprintf("amphi: %u:%u %llu sectors %s%s\n", VFS_MAJOR(bdev->rdev), VFS_MINOR(bdev->rdev),
		(unsigned long long)bdev->sectors, bdev->name, bdev->read_only ? " (read-only)" : "");
}

void block_print_devices(void)
{
	block_for_each(block_print_one, NULL);
}

/* True when size is a power of two from 512 to 4096. */
static bool block_size_valid(uint32_t size)
{
	return size >= BLOCK_SECTOR_SIZE && size <= 4096 && (size & (size - 1)) == 0;
}

int block_add(struct block_device *bdev)
{
	if (!bdev->name[0] || !block_size_valid(bdev->logical_block_size) || !bdev->ops ||
	    !bdev->ops->submit || bdev->sectors % (bdev->logical_block_size >> BLOCK_SECTOR_SHIFT))
		return -EINVAL;
	if (!bdev->disk)
		bdev->disk = bdev;
	if (!bdev->rdev)
		bdev->rdev = VFS_DEV(bdev->major, bdev->first_minor);
	block_lock();
	int err = block_find_locked(bdev->name, 0) || block_find_locked(NULL, bdev->rdev)
		      ? -EEXIST
		      : 0;
	if (!err) {
		bdev->openers = 0;
		bdev->claimed = false;
		list_add_tail(&block_devices, &bdev->node);
	}
	block_unlock();
	if (!err)
		block_node_create(bdev);
	return err;
}

int block_device_register(struct block_device *bdev)
{
	bdev->disk = bdev;
	bdev->start = 0;
	bdev->partno = 0;
	bdev->rdev = 0;
	bdev->cache = NULL;
	int err = block_add(bdev);
	if (err)
		return err;
	if (bdev->sectors) /* not the empty loop devices of every boot */
		kprintf("amphi: block: %s (%u:%u), %llu sectors of 512 bytes, block size %u%s\n",
			bdev->name, bdev->major, bdev->first_minor,
			(unsigned long long)bdev->sectors, bdev->logical_block_size,
			bdev->read_only ? ", read-only" : "");
	if (bdev->minors > 1)
		block_partitions_scan(bdev);
	return 0;
}

/* True when bdev or (a disk) any of its partitions is open or mounted. block_lock held. */
static bool block_busy_locked(struct block_device *bdev)
{
	struct list_node *n;

	list_for_each(n, &block_devices)
	{
		struct block_device *b = list_entry(n, struct block_device, node);
		if ((b == bdev || b->disk == bdev) && (b->openers || b->claimed))
			return true;
	}
	return false;
}

bool block_in_use(struct block_device *disk, unsigned own)
{
	struct list_node *n;
	bool busy = disk->openers > own || disk->claimed;

	block_lock();
	list_for_each(n, &block_devices)
	{
		struct block_device *b = list_entry(n, struct block_device, node);
		if (b->disk == disk && b != disk && (b->openers || b->claimed))
			busy = true;
	}
	block_unlock();
	return busy;
}

int block_device_unregister(struct block_device *bdev)
{
	block_lock();
	if (block_busy_locked(bdev)) {
		block_unlock();
		return -EBUSY;
	}
	block_unlock();
	block_partitions_remove(bdev);
	block_remove(bdev);
	return 0;
}

void block_remove(struct block_device *bdev)
{
	block_lock();
	list_del(&bdev->node);
	block_unlock();
	block_node_remove(bdev);
	block_cache_destroy(bdev);
}

/* Collects the partitions of disk into parts (at most max): how many. Takes block_lock. */
unsigned block_partitions_of(struct block_device *disk, struct block_device **parts,
			     unsigned max)
{
	struct list_node *n;
	unsigned count = 0;

	block_lock();
	list_for_each(n, &block_devices)
	{
		struct block_device *b = list_entry(n, struct block_device, node);
		if (b->disk == disk && b != disk && count < max)
			parts[count++] = b;
	}
	block_unlock();
	return count;
}

void block_request_complete(struct block_request *req, int status)
{
	req->status = status;
	req->done(req);
}

/* Checks req against bdev: 0 or the errno block_submit gives. */
static int block_check(struct block_device *bdev, const struct block_request *req)
{
	uint32_t per_block = bdev->logical_block_size >> BLOCK_SECTOR_SHIFT;

	if (req->op == BLOCK_FLUSH)
		return req->count == 0 ? 0 : -EINVAL;
	if (req->op != BLOCK_READ && req->op != BLOCK_WRITE)
		return -EINVAL;
	if (!req->buf || req->count == 0 || req->sector % per_block || req->count % per_block)
		return -EINVAL;
	if (req->sector > bdev->sectors || req->count > bdev->sectors - req->sector)
		return -EINVAL;
	if (req->op == BLOCK_WRITE && (bdev->read_only || bdev->disk->read_only))
		return -EROFS;
	return 0;
}

int block_submit(struct block_device *bdev, struct block_request *req)
{
	int err = block_check(bdev, req);

	if (err)
		return err;
	if (req->op != BLOCK_FLUSH)
		req->sector += bdev->start;
	req->bdev = bdev->disk;
	req->status = 0;
	bdev->disk->ops->submit(bdev->disk, req);
	return 0;
}

/* done callback of block_rw: wakes the sleeper. */
static void block_rw_done(struct block_request *req)
{
	complete(req->priv);
}

int block_rw(struct block_device *bdev, enum block_op op, uint64_t sector, uint32_t count,
	     void *buf)
{
	struct completion done;
	struct block_request req = {
	    .op = op, .sector = sector, .count = count, .buf = buf,
	    .done = block_rw_done, .priv = &done,
	};

	completion_init(&done, "block_rw");
	int err = block_submit(bdev, &req);
	if (err)
		return err;
	wait_for_completion(&done);
	return req.status;
}

struct block_device *block_get_by_name(const char *name)
{
	block_lock();
	struct block_device *b = block_find_locked(name, 0);
	if (b)
		b->openers++;
	block_unlock();
	return b;
}

struct block_device *block_get_by_rdev(uint64_t rdev)
{
	block_lock();
	struct block_device *b = block_find_locked(NULL, rdev);
	if (b)
		b->openers++;
	block_unlock();
	return b;
}

int block_claim(struct block_device *bdev, bool claim)
{
	block_lock();
	int err = claim && bdev->claimed ? -EBUSY : 0;
	if (!err)
		bdev->claimed = claim;
	block_unlock();
	return err;
}

void block_get(struct block_device *bdev)
{
	block_lock();
	bdev->openers++;
	block_unlock();
}

void block_put(struct block_device *bdev)
{
	block_lock();
	if (bdev->openers == 0)
		panic("block_put: %s has no openers", bdev->name);
	bool last = --bdev->openers == 0 && !bdev->claimed;
	block_unlock();
	if (last && bdev->disk == bdev && bdev->ops->last_close)
		bdev->ops->last_close(bdev);
}

int block_disk_name(char *buf, size_t size, const char *prefix, unsigned index)
{
	char letters[8];
	unsigned n = 0;

	/* Linux's sd/vd naming: a..z, then aa..zz, aaa..: bijective base 26. */
	for (unsigned long i = (unsigned long)index + 1; i && n < sizeof(letters); n++) {
		i--;
		letters[n] = (char)('a' + i % 26);
		i /= 26;
	}
	size_t plen = strlen(prefix);
	if (plen + n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, prefix, plen);
	for (unsigned k = 0; k < n; k++)
		buf[plen + k] = letters[n - 1 - k];
	buf[plen + n] = '\0';
	return 0;
}
