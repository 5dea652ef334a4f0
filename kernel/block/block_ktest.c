/* ktest: the block layer over a RAM disk whose requests complete later, from a timer's
 * interrupt handler, as a real driver's do: checks, the synchronous helper, /dev nodes and
 * their reads, writes and ioctls, unregistering (every target). */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

#include "block_ktest.h"

#define KT_COMPLETE_DELAY_NS 100000ull

/* The RAM disk's requests wait here until the timer completes them. */
static void kt_ram_timer(struct ktimer *t)
{
	struct kt_ram *ram = container_of(t, struct kt_ram, timer);
	struct list_node done;
	irqflags_t irq = spin_lock_irqsave(&ram->lock);

	list_init(&done);
	while (!list_empty(&ram->pending)) {
		struct list_node *n = list_first(&ram->pending);
		list_del(n);
		list_add_tail(&done, n);
	}
	spin_unlock_irqrestore(&ram->lock, irq);
	while (!list_empty(&done)) {
		struct list_node *n = list_first(&done);
		list_del(n);
		struct block_request *req = list_entry(n, struct block_request, node);
		block_request_complete(req, ram->fail ? -EIO : 0);
	}
}

/* block_device_ops.submit: moves the data now, completes from the timer. */
static void kt_ram_submit(struct block_device *bdev, struct block_request *req)
{
	struct kt_ram *ram = bdev->priv;
	size_t off = (size_t)req->sector * BLOCK_SECTOR_SIZE;
	size_t n = (size_t)req->count * BLOCK_SECTOR_SIZE;

	if (req->op == BLOCK_READ)
		memcpy(req->buf, ram->data + off, n);
	else if (req->op == BLOCK_WRITE && !ram->fail)
		memcpy(ram->data + off, req->buf, n);
	if (req->op == BLOCK_WRITE)
		ram->writes++;
	if (req->op == BLOCK_FLUSH)
		ram->flushes++;
	irqflags_t irq = spin_lock_irqsave(&ram->lock);
	list_add_tail(&ram->pending, &req->node);
	ktimer_start(&ram->timer, plat_time_ns() + KT_COMPLETE_DELAY_NS);
	spin_unlock_irqrestore(&ram->lock, irq);
}

static const struct block_device_ops kt_ram_ops = {.submit = kt_ram_submit};

struct kt_ram *kt_ram_create(const char *name, unsigned minor, uint64_t sectors, uint32_t lbs,
			     unsigned minors)
{
	struct kt_ram *ram = kzalloc(sizeof(*ram));

	if (!ram)
		return NULL;
	ram->data = kzalloc((size_t)sectors * BLOCK_SECTOR_SIZE);
	if (!ram->data) {
		kfree(ram);
		return NULL;
	}
	spin_lock_init(&ram->lock, "kt_ram");
	list_init(&ram->pending);
	ktimer_init(&ram->timer, kt_ram_timer);
	kstrlcpy(ram->bdev.name, name, sizeof(ram->bdev.name));
	ram->bdev.logical_block_size = lbs;
	ram->bdev.sectors = sectors;
	ram->bdev.major = BLOCK_MAJOR_RAM;
	ram->bdev.first_minor = minor;
	ram->bdev.minors = minors;
	ram->bdev.ops = &kt_ram_ops;
	ram->bdev.priv = ram;
	return ram;
}

void kt_ram_free(struct kt_ram *ram)
{
	ktimer_cancel(&ram->timer);
	kfree(ram->data);
	kfree(ram);
}

static void block_disk_names(struct ktest *t)
{
	char buf[16];
	static const struct {
		unsigned index;
		const char *name;
	} names[] = {{0, "vda"}, {25, "vdz"}, {26, "vdaa"}, {51, "vdaz"}, {701, "vdzz"},
		     {702, "vdaaa"}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		KTEST_EXPECT_EQ(t, block_disk_name(buf, sizeof(buf), "vd", names[i].index), 0);
		KTEST_EXPECT(t, strcmp(buf, names[i].name) == 0);
	}
	KTEST_EXPECT_EQ(t, block_disk_name(buf, 4, "vd", 26), -ENAMETOOLONG);
}

static void block_requests_checked_and_completed(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktram0", 200, 64, 1024, 1);
	uint8_t *buf = kmalloc(4096);

	KTEST_EXPECT(t, ram && buf);
	if (!ram || !buf)
		goto out;
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	memset(buf, 0xa5, 2048);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_WRITE, 4, 4, buf), 0);
	KTEST_EXPECT_EQ(t, ram->data[4 * 512], 0xa5);
	KTEST_EXPECT_EQ(t, ram->data[8 * 512], 0);
	memset(buf, 0, 4096);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 2, 8, buf), 0);
	KTEST_EXPECT(t, buf[0] == 0 && buf[1023] == 0 && buf[1024] == 0xa5 && buf[3071] == 0xa5);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_FLUSH, 0, 0, NULL), 0);
	KTEST_EXPECT_EQ(t, ram->flushes, 1);
	/* Misaligned for 1024-byte blocks, past the end, empty, flush with data. */
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 1, 2, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 2, 1, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 62, 4, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 64, 2, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, ~0ull - 1, 2, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 0, 0, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_FLUSH, 0, 2, buf), -EINVAL);
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_READ, 62, 2, buf), 0);
	/* A device error reaches the caller. */
	ram->fail = true;
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_WRITE, 0, 2, buf), -EIO);
	ram->fail = false;
	ram->bdev.read_only = true;
	KTEST_EXPECT_EQ(t, block_rw(&ram->bdev, BLOCK_WRITE, 0, 2, buf), -EROFS);
	ram->bdev.read_only = false;
	/* Names and numbers are unique. */
	struct kt_ram *twin = kt_ram_create("ktram0", 201, 8, 512, 1);
	if (twin) {
		KTEST_EXPECT_EQ(t, block_device_register(&twin->bdev), -EEXIST);
		kstrlcpy(twin->bdev.name, "ktram1", sizeof(twin->bdev.name));
		twin->bdev.first_minor = 200;
		KTEST_EXPECT_EQ(t, block_device_register(&twin->bdev), -EEXIST);
		twin->bdev.logical_block_size = 768;
		twin->bdev.first_minor = 201;
		KTEST_EXPECT_EQ(t, block_device_register(&twin->bdev), -EINVAL);
		kt_ram_free(twin);
	}
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	KTEST_EXPECT(t, block_get_by_name("ktram0") == NULL);
out:
	kfree(buf);
	if (ram)
		kt_ram_free(ram);
}

/* Opens path from the root with flags: 0 with the file in *f, or an errno. */
static int kt_open(struct fs_context *fs, const char *path, unsigned flags, struct file **f)
{
	return vfs_open(fs, &fs->root, path, flags, 0, f);
}

static void block_nodes_read_write(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktram2", 202, 32, 512, 1);
	struct fs_context *fs = fs_context_create();
	char *buf = kmalloc(8192);
	struct file *f;

	KTEST_EXPECT(t, ram && fs && buf);
	if (!ram || !fs || !buf)
		goto out;
	for (size_t i = 0; i < 32 * 512; i++)
		ram->data[i] = (uint8_t)(i * 7 + i / 251);
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram2", O_RDONLY, &f), -ENOENT);
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram2", O_RDWR, &f), 0);
	if (ktest_failed(t))
		goto out;
	KTEST_EXPECT_EQ(t, f->path.inode->mode, S_IFBLK | 0660);
	KTEST_EXPECT_EQ(t, f->path.inode->rdev, VFS_DEV(1, 202));
	KTEST_EXPECT_EQ(t, f->ops->size(f), 32 * 512);
	/* A read across chunk boundaries at an odd offset, then one past the end. */
	struct vfs_io io = {NULL, (uintptr_t)buf};
	uint64_t off = 1000;
	KTEST_EXPECT_EQ(t, vfs_read(f, &io, 7000, &off), 7000);
	KTEST_EXPECT(t, memcmp(buf, ram->data + 1000, 7000) == 0);
	off = 32 * 512 - 10;
	KTEST_EXPECT_EQ(t, vfs_read(f, &io, 100, &off), 10);
	off = 32 * 512;
	KTEST_EXPECT_EQ(t, vfs_read(f, &io, 100, &off), 0);
	KTEST_EXPECT_EQ(t, vfs_write(f, &io, 100, &off), -ENOSPC);
	/* A partial write keeps the bytes around it. */
	memset(buf, 'w', 5000);
	uint8_t before = ram->data[4095];
	off = 4096;
	KTEST_EXPECT_EQ(t, vfs_write(f, &io, 5000, &off), 5000);
	KTEST_EXPECT_EQ(t, ram->data[4095], before);
	KTEST_EXPECT(t, ram->data[4096] == 'w' && ram->data[9095] == 'w');
	KTEST_EXPECT_EQ(t, ram->data[9096], (uint8_t)(9096 * 7 + 9096 / 251));
	/* Open devices stay. */
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), -EBUSY);
	file_put(f);
	/* A read-only device refuses opening for writing. */
	ram->bdev.read_only = true;
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram2", O_WRONLY, &f), -EACCES);
	ram->bdev.read_only = false;
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram2", O_RDONLY, &f), -ENOENT);
out:
	kfree(buf);
	if (fs)
		fs_context_put(fs);
	if (ram)
		kt_ram_free(ram);
}

static const struct ktest_case block_cases[] = {
    KTEST_CASE(block_disk_names),
    KTEST_CASE(block_requests_checked_and_completed),
    KTEST_CASE(block_nodes_read_write),
    {0},
};
KTEST_SUITE(block, "block", block_cases);
