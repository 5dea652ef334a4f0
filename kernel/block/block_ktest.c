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

#include "block_internal.h"
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
	/* A partial write keeps the bytes around it: its whole blocks go to the device at
	 * once (one direct request), its partial last block stays cached until fsync. */
	memset(buf, 'w', 5000);
	uint8_t before = ram->data[4095];
	off = 4096;
	KTEST_EXPECT_EQ(t, vfs_write(f, &io, 5000, &off), 5000);
	KTEST_EXPECT_EQ(t, ram->data[4096], 'w');
	KTEST_EXPECT_EQ(t, ram->data[9095], (uint8_t)(9095 * 7 + 9095 / 251)); /* cached */
	unsigned flushes = ram->flushes;
	KTEST_EXPECT_EQ(t, f->ops->fsync(f, false), 0);
	KTEST_EXPECT_EQ(t, ram->flushes, flushes + 1);
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


static void bcache_reads_writes_back_and_shrinks(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktram3", 203, 8192, 512, 1);
	struct buffer *b, *c;

	KTEST_EXPECT(t, ram != NULL);
	if (!ram)
		return;
	for (size_t i = 0; i < 8192 * 512; i++)
		ram->data[i] = (uint8_t)(i / 1024);
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, bcache_set_block_size(&ram->bdev, 768), -EINVAL);
	KTEST_EXPECT_EQ(t, bcache_set_block_size(&ram->bdev, 1024), 0);
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 4096, &b), -EINVAL); /* past the end */
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 7, &b), 0);
	KTEST_EXPECT(t, b->data[0] == 7 && b->data[1023] == 7);
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 7, &c), 0);
	KTEST_EXPECT(t, b == c);
	bcache_release(c);
	/* A change stays in the cache until a sync, which also flushes. */
	memset(b->data, 0xee, 1024);
	bcache_mark_dirty(b);
	KTEST_EXPECT_EQ(t, bcache_set_block_size(&ram->bdev, 4096), -EBUSY);
	bcache_release(b);
	KTEST_EXPECT_EQ(t, ram->data[7 * 1024], 7);
	unsigned writes = ram->writes, flushes = ram->flushes;
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->data[7 * 1024], 0xee);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 1);
	KTEST_EXPECT_EQ(t, ram->flushes, flushes + 1);
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 1); /* nothing dirty any more */
	/* More dirty blocks than the cache keeps: the oldest are written back to make room. */
	for (uint64_t blk = 0; blk < 4096; blk++) {
		if (bcache_get(&ram->bdev, blk, &b))
			break;
		memset(b->data, (int)(blk & 0xff) ^ 0x5a, 1024);
		bcache_mark_dirty(b);
		bcache_release(b);
	}
	KTEST_EXPECT_EQ(t, ram->data[0], 0x5a);
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->data[4095 * 1024], (4095 & 0xff) ^ 0x5a);
	/* A write error is reported by the sync that meets it, once. */
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 9, &b), 0);
	bcache_mark_dirty(b);
	bcache_release(b);
	ram->fail = true;
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), -EIO);
	ram->fail = false;
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	kt_ram_free(ram);
}

/* Write-back errors as Linux's errseq: an error met by anyone's sync reaches the next
 * fsync of every file open before it, once each; a file opened after it does not see it.
 * File contents go out before metadata. */
static void bcache_errors_reach_every_fsync_once(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktram4", 204, 64, 512, 1);
	struct fs_context *fs = fs_context_create();
	struct file *f1 = NULL, *f2 = NULL, *f3 = NULL;
	struct buffer *b, *meta;

	KTEST_EXPECT(t, ram && fs);
	if (!ram || !fs)
		goto out;
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram4", O_RDWR, &f1), 0);
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram4", O_RDONLY, &f2), 0);
	if (ktest_failed(t))
		goto out;
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 3, &b), 0);
	bcache_mark_dirty(b);
	bcache_release(b);
	ram->fail = true;
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), -EIO); /* sync(2)'s, whose result is lost */
	ram->fail = false;
	KTEST_EXPECT_EQ(t, kt_open(fs, "/dev/ktram4", O_RDONLY, &f3), 0);
	if (ktest_failed(t))
		goto out;
	KTEST_EXPECT_EQ(t, f1->ops->fsync(f1, false), -EIO);
	KTEST_EXPECT_EQ(t, f1->ops->fsync(f1, false), 0);
	KTEST_EXPECT_EQ(t, f2->ops->fsync(f2, false), -EIO);
	KTEST_EXPECT_EQ(t, f3->ops->fsync(f3, false), 0);
	/* A failed flush counts too. */
	ram->fail = true;
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), -EIO);
	ram->fail = false;
	KTEST_EXPECT_EQ(t, f3->ops->fsync(f3, false), -EIO);
	/* Contents first: bcache_sync_data leaves metadata dirty. */
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 5, &b), 0);
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 6, &meta), 0);
	if (ktest_failed(t))
		goto out;
	memset(b->data, 0xd1, 512);
	memset(meta->data, 0xe2, 512);
	bcache_mark_dirty_data(b);
	bcache_mark_dirty(meta);
	bcache_release(b);
	bcache_release(meta);
	unsigned writes = ram->writes;
	KTEST_EXPECT_EQ(t, bcache_sync_data(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 1);
	KTEST_EXPECT(t, ram->data[5 * 512] == 0xd1 && ram->data[6 * 512] != 0xe2);
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->data[6 * 512], 0xe2);
out:
	if (f1)
		file_put(f1);
	if (f2)
		file_put(f2);
	if (f3)
		file_put(f3);
	if (ram)
		KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	if (fs)
		fs_context_put(fs);
	if (ram)
		kt_ram_free(ram);
}

/* Direct transfers past the cache stay coherent with it: a read returns a dirty cached
 * block's newer bytes, a write updates (and cleans) the cached copy. Write-back clusters
 * consecutive blocks. */
static void bcache_direct_is_coherent(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktram5", 205, 64, 512, 1);
	uint8_t *buf = kmalloc(4 * 512);
	struct buffer *b;

	KTEST_EXPECT(t, ram && buf);
	if (!ram || !buf)
		goto out;
	memset(ram->data, 0x11, 64 * 512);
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, bcache_read(&ram->bdev, 9, &b), 0);
	if (ktest_failed(t))
		goto out;
	memset(b->data, 0x22, 512);
	bcache_mark_dirty(b);
	unsigned writes = ram->writes;
	KTEST_EXPECT_EQ(t, bcache_rw_direct(&ram->bdev, 8, 4, buf, false), 0);
	KTEST_EXPECT(t, buf[0] == 0x11 && buf[512] == 0x22 && buf[1023] == 0x22 && buf[1024] == 0x11);
	memset(buf, 0x33, 4 * 512);
	KTEST_EXPECT_EQ(t, bcache_rw_direct(&ram->bdev, 8, 4, buf, true), 0);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 1); /* one request for four blocks */
	KTEST_EXPECT(t, b->data[0] == 0x33 && !b->dirty);
	KTEST_EXPECT_EQ(t, ram->data[9 * 512], 0x33);
	KTEST_EXPECT_EQ(t, bcache_rw_direct(&ram->bdev, 62, 4, buf, false), -EINVAL);
	bcache_release(b);
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 1); /* nothing left dirty */
	/* Write-back goes in block order, consecutive blocks in one request. */
	for (uint64_t blk = 33; blk >= 30; blk -= (blk == 33 ? 2 : 1)) {
		KTEST_EXPECT_EQ(t, bcache_get(&ram->bdev, blk, &b), 0);
		if (ktest_failed(t))
			goto out;
		memset(b->data, (int)blk, 512);
		bcache_mark_dirty(b);
		bcache_release(b);
	}
	KTEST_EXPECT_EQ(t, bcache_sync(&ram->bdev), 0);
	KTEST_EXPECT_EQ(t, ram->writes, writes + 3); /* 30-31, then 33 */
	KTEST_EXPECT(t, ram->data[30 * 512] == 30 && ram->data[31 * 512 + 511] == 31 &&
			    ram->data[33 * 512] == 33 && ram->data[32 * 512] == 0x11);
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
out:
	kfree(buf);
	if (ram)
		kt_ram_free(ram);
}

/* Little-endian stores for the hand-made tables. */
static void kt_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void kt_le64(uint8_t *p, uint64_t v)
{
	kt_le32(p, (uint32_t)v);
	kt_le32(p + 4, (uint32_t)(v >> 32));
}

/* Writes MBR entry slot at sector base of ram: type, first sector (relative), count. */
static void kt_mbr_entry(struct kt_ram *ram, uint64_t base, int slot, uint8_t type,
			 uint32_t start, uint32_t count)
{
	uint8_t *s = ram->data + base * 512;
	uint8_t *e = s + 446 + 16 * slot;

	e[4] = type;
	kt_le32(e + 8, start);
	kt_le32(e + 12, count);
	s[510] = 0x55;
	s[511] = 0xaa;
}

/* Whether partition name exists with that start and size; drops the reference. */
static bool kt_part_is(const char *name, uint64_t start, uint64_t sectors)
{
	struct block_device *p = block_get_by_name(name);

	if (!p)
		return false;
	bool ok = p->start == start && p->sectors == sectors;
	block_put(p);
	return ok;
}

/* The MBR layout of a disk partitioned by "sfdisk" with a primary, an extended partition
 * holding two logicals, and one entry past the disk's end (cut there), per the layout the
 * MBR format defines (EBR links relative to the extended partition's start). */
static void part_mbr_with_logicals(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktvd", 16, 4096, 512, BLOCK_PART_MINORS);

	KTEST_EXPECT(t, ram != NULL);
	if (!ram)
		return;
	kt_mbr_entry(ram, 0, 0, 0x83, 64, 1000);
	kt_mbr_entry(ram, 0, 1, 0x05, 2048, 1024);
	kt_mbr_entry(ram, 0, 3, 0x83, 4000, 500);
	kt_mbr_entry(ram, 2048, 0, 0x83, 16, 100);	  /* logical 5 at 2064 */
	kt_mbr_entry(ram, 2048, 1, 0x05, 512, 300);	  /* next EBR at 2048 + 512 */
	kt_mbr_entry(ram, 2560, 0, 0x83, 8, 200);	  /* logical 6 at 2568 */
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT(t, kt_part_is("ktvd1", 64, 1000));
	KTEST_EXPECT(t, kt_part_is("ktvd2", 2048, 2));
	KTEST_EXPECT(t, block_get_by_name("ktvd3") == NULL);
	KTEST_EXPECT(t, kt_part_is("ktvd4", 4000, 96));
	KTEST_EXPECT(t, kt_part_is("ktvd5", 2064, 100));
	KTEST_EXPECT(t, kt_part_is("ktvd6", 2568, 200));
	struct block_device *p1 = block_get_by_name("ktvd1");
	if (p1) {
		KTEST_EXPECT_EQ(t, p1->rdev, VFS_DEV(1, 17));
		/* A partition's sector 0 is the disk's sector 64; its end is its own. */
		uint8_t *buf = kmalloc(1024);
		ram->data[64 * 512] = 0x42;
		KTEST_EXPECT_EQ(t, block_rw(p1, BLOCK_READ, 0, 1, buf), 0);
		KTEST_EXPECT_EQ(t, buf[0], 0x42);
		KTEST_EXPECT_EQ(t, block_rw(p1, BLOCK_READ, 999, 2, buf), -EINVAL);
		kfree(buf);
		KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), -EBUSY);
		block_put(p1);
	}
	/* A chain that loops back on itself ends. */
	kt_mbr_entry(ram, 2560, 1, 0x05, 0, 300);
	KTEST_EXPECT_EQ(t, block_rescan(&ram->bdev), 0);
	KTEST_EXPECT(t, kt_part_is("ktvd6", 2568, 200));
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	KTEST_EXPECT(t, block_get_by_name("ktvd1") == NULL);
	kt_ram_free(ram);
}

/* Writes a GPT header at lba of ram (512-byte LBAs, disk of total LBAs) with entries at
 * entries_lba, 128 entries of 128 bytes. */
static void kt_gpt_header(struct kt_ram *ram, uint64_t lba, uint64_t alt, uint64_t entries_lba,
			  uint64_t total)
{
	uint8_t *h = ram->data + lba * 512;

	memset(h, 0, 512);
	memcpy(h, "EFI PART", 8);
	kt_le32(h + 8, 0x00010000);
	kt_le32(h + 12, 92);
	kt_le64(h + 24, lba);
	kt_le64(h + 32, alt);
	kt_le64(h + 40, 34);
	kt_le64(h + 48, total - 34);
	kt_le64(h + 72, entries_lba);
	kt_le32(h + 80, 128);
	kt_le32(h + 84, 128);
	kt_le32(h + 88, block_crc32(ram->data + entries_lba * 512, 128 * 128));
	kt_le32(h + 16, block_crc32(h, 92));
}

static void part_gpt_primary_and_backup(struct ktest *t)
{
	struct kt_ram *ram = kt_ram_create("ktvdb", 32, 4096, 512, BLOCK_PART_MINORS);
	static const uint8_t linux_fs[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
					     0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};

	KTEST_EXPECT_EQ(t, block_crc32((const uint8_t *)"123456789", 9), 0xcbf43926);
	KTEST_EXPECT(t, ram != NULL);
	if (!ram)
		return;
	kt_mbr_entry(ram, 0, 0, 0xee, 1, 4095);
	/* Entries 1 and 3 used (partitions 1 and 3), entry 4 outside the usable range. */
	uint8_t *e = ram->data + 2 * 512;
	memcpy(e, linux_fs, 16);
	kt_le64(e + 32, 34);
	kt_le64(e + 40, 1033);
	memcpy(e + 2 * 128, linux_fs, 16);
	kt_le64(e + 2 * 128 + 32, 2048);
	kt_le64(e + 2 * 128 + 40, 3071);
	memcpy(e + 3 * 128, linux_fs, 16);
	kt_le64(e + 3 * 128 + 32, 4000);
	kt_le64(e + 3 * 128 + 40, 4090);
	memcpy(ram->data + 4063 * 512, e, 32 * 512); /* the backup array before the backup */
	kt_gpt_header(ram, 1, 4095, 2, 4096);
	kt_gpt_header(ram, 4095, 1, 4063, 4096);
	KTEST_EXPECT_EQ(t, block_device_register(&ram->bdev), 0);
	KTEST_EXPECT(t, kt_part_is("ktvdb1", 34, 1000));
	KTEST_EXPECT(t, block_get_by_name("ktvdb2") == NULL);
	KTEST_EXPECT(t, kt_part_is("ktvdb3", 2048, 1024));
	KTEST_EXPECT(t, block_get_by_name("ktvdb4") == NULL);
	/* A damaged primary header: the backup serves. */
	ram->data[512 + 40] ^= 1;
	KTEST_EXPECT_EQ(t, block_rescan(&ram->bdev), 0);
	KTEST_EXPECT(t, kt_part_is("ktvdb3", 2048, 1024));
	/* Damaged entries under both: no partitions. */
	ram->data[2 * 512 + 40] ^= 1;
	ram->data[4063 * 512 + 40] ^= 1;
	KTEST_EXPECT_EQ(t, block_rescan(&ram->bdev), 0);
	KTEST_EXPECT(t, block_get_by_name("ktvdb1") == NULL);
	KTEST_EXPECT_EQ(t, block_device_unregister(&ram->bdev), 0);
	kt_ram_free(ram);
}

static const struct ktest_case block_cases[] = {
    KTEST_CASE(block_disk_names),
    KTEST_CASE(block_requests_checked_and_completed),
    KTEST_CASE(block_nodes_read_write),
    KTEST_CASE(bcache_reads_writes_back_and_shrinks),
    KTEST_CASE(bcache_errors_reach_every_fsync_once),
    KTEST_CASE(bcache_direct_is_coherent),
    KTEST_CASE(part_mbr_with_logicals),
    KTEST_CASE(part_gpt_primary_and_backup),
    {0},
};
KTEST_SUITE(block, "block", block_cases);
