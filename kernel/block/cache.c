/*
 * The buffer cache: per device, blocks of one size in a hash table and an LRU list. One
 * mutex per cache covers its lists and the buffers' states and is held across the device
 * I/O a lookup or write-back does, so two users never read the same block twice. Past
 * BCACHE_MAX_BUFFERS, unused buffers are freed from the LRU end, dirty ones written back
 * first.
 */
#include <amphi/atomic.h>
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#include "block_internal.h"

#define BCACHE_HASH 256
#define BCACHE_MAX_BUFFERS 2048
#define BCACHE_RUN_MAX (128u * 1024) /* bytes of consecutive blocks written in one request */

struct block_cache {
	struct mutex lock;
	uint32_t size;		/* block size in bytes */
	unsigned count;		/* buffers */
	struct list_node lru;	/* least recently used first */
	struct buffer *hash[BCACHE_HASH];
};

/* bdev's cache, made at first use; NULL when out of memory. */
static struct block_cache *bcache_of(struct block_device *bdev)
{
	block_lock();
	if (!bdev->cache) {
		struct block_cache *c = kzalloc(sizeof(*c));
		if (c) {
			mutex_init(&c->lock, "bcache");
			c->size = bdev->logical_block_size;
			list_init(&c->lru);
			bdev->cache = c;
		}
	}
	block_unlock();
	return bdev->cache;
}

static struct buffer **bcache_slot(struct block_cache *c, uint64_t block)
{
	return &c->hash[(block * 0x9e3779b97f4a7c15ull) >> 56];
}

uint32_t block_wb_errors(struct block_device *bdev)
{
	return atomic_load(&bdev->wb_errors);
}

int block_wb_error_check(struct block_device *bdev, uint32_t *seen)
{
	uint32_t now = block_wb_errors(bdev);

	if (now == *seen)
		return 0;
	*seen = now;
	return -EIO;
}

/* Writes the k buffers of v (consecutive blocks of one device, in order) in one request,
 * through bounce (room for k blocks) when k > 1: 0 or -EIO; they are clean afterwards
 * either way (the error is counted on the device, for every file's next fsync). Cache
 * lock held. */
static int bcache_write_run(struct buffer **v, size_t k, uint8_t *bounce)
{
	struct buffer *b = v[0];
	uint32_t sectors = b->size >> BLOCK_SECTOR_SHIFT;
	uint8_t *data = k == 1 ? b->data : bounce;

	for (size_t i = 0; k > 1 && i < k; i++)
		memcpy(bounce + i * b->size, v[i]->data, b->size);
	int err = block_rw(b->bdev, BLOCK_WRITE, b->block * sectors, (uint32_t)(k * sectors), data);
	for (size_t i = 0; i < k; i++)
		v[i]->dirty = false;
	if (err) {
		atomic_fetch_add(&b->bdev->wb_errors, 1u);
		kprintf("amphi: block: %s: write error %d at block %llu (%zu of size %u)\n",
			b->bdev->name, err, (unsigned long long)b->block, k, b->size);
	}
	return err;
}

/* Writes b to its device: bcache_write_run of one buffer. Cache lock held. */
static int bcache_write_buffer(struct buffer *b)
{
	return bcache_write_run(&b, 1, NULL);
}

/* Flushes bdev's disk (nothing for a read-only or empty one, such as an unbound loop
 * device): 0 or the error, counted. */
static int bcache_flush(struct block_device *bdev)
{
	if (bdev->read_only || bdev->disk->read_only || bdev->sectors == 0)
		return 0;
	int err = block_rw(bdev, BLOCK_FLUSH, 0, 0, NULL);
	if (err) {
		atomic_fetch_add(&bdev->wb_errors, 1u);
		kprintf("amphi: block: %s: flush error %d\n", bdev->name, err);
	}
	return err;
}

/* Unhooks and frees unused buffer b. Cache lock held. */
static void bcache_free_buffer(struct block_cache *c, struct buffer *b)
{
	struct buffer **pp = bcache_slot(c, b->block);

	while (*pp != b)
		pp = &(*pp)->hash_next;
	*pp = b->hash_next;
	list_del(&b->lru);
	c->count--;
	kfree(b->data);
	kfree(b);
}

static int bcache_write_all(struct block_cache *c, bool data_only);

/* Frees unused buffers from the LRU end until the cache is under its limit, writing dirty
 * ones back first: at the first dirty file-contents block, every dirty contents block in
 * runs (contents may go early: no metadata on the disk points at them yet), a dirty
 * metadata block alone. Cache lock held. */
static void bcache_shrink(struct block_cache *c)
{
	struct list_node *n = c->lru.next;

	while (c->count >= BCACHE_MAX_BUFFERS && n != &c->lru) {
		struct buffer *b = list_entry(n, struct buffer, lru);
		n = n->next;
		if (b->refs)
			continue;
		if (b->dirty && b->contents)
			bcache_write_all(c, true);
		if (b->dirty)
			bcache_write_buffer(b);
		bcache_free_buffer(c, b);
	}
}

/* The buffer of block in c, found or made (not up to date), with a reference; moved to
 * the LRU's recent end. NULL when out of memory. Cache lock held. */
static struct buffer *bcache_lookup(struct block_device *bdev, struct block_cache *c,
				    uint64_t block)
{
	struct buffer **slot = bcache_slot(c, block), *b;

	for (b = *slot; b; b = b->hash_next) {
		if (b->block == block)
			break;
	}
	if (!b) {
		bcache_shrink(c);
		b = kzalloc(sizeof(*b));
		uint8_t *data = b ? kmalloc(c->size) : NULL;
		if (!data) {
			kfree(b);
			return NULL;
		}
		*b = (struct buffer){.bdev = bdev, .block = block, .size = c->size, .data = data};
		b->hash_next = *slot;
		*slot = b;
		list_init(&b->lru);
		c->count++;
	}
	list_del(&b->lru);
	list_add_tail(&c->lru, &b->lru);
	b->refs++;
	return b;
}

/* bcache_read and bcache_get: read tells whether to read a block not up to date. */
static int bcache_find(struct block_device *bdev, uint64_t block, bool read,
		       struct buffer **out)
{
	struct block_cache *c = bcache_of(bdev);

	if (!c)
		return -ENOMEM;
	uint64_t per = c->size >> BLOCK_SECTOR_SHIFT;
	if (block >= bdev->sectors / per)
		return -EINVAL;
	mutex_lock(&c->lock);
	struct buffer *b = bcache_lookup(bdev, c, block);
	int err = b ? 0 : -ENOMEM;
	if (b && read && !b->uptodate) {
		err = block_rw(bdev, BLOCK_READ, block * per, (uint32_t)per, b->data);
		b->uptodate = err == 0;
		if (err)
			b->refs--;
	}
	mutex_unlock(&c->lock);
	if (!err)
		*out = b;
	return err;
}

int bcache_read(struct block_device *bdev, uint64_t block, struct buffer **out)
{
	return bcache_find(bdev, block, true, out);
}

int bcache_get(struct block_device *bdev, uint64_t block, struct buffer **out)
{
	return bcache_find(bdev, block, false, out);
}

/* Marks b dirty, as file contents (data) or metadata. */
static void bcache_dirty(struct buffer *b, bool contents)
{
	struct block_cache *c = b->bdev->cache;

	mutex_lock(&c->lock);
	b->dirty = true;
	b->uptodate = true;
	b->contents = contents;
	mutex_unlock(&c->lock);
}

void bcache_mark_dirty(struct buffer *b)
{
	bcache_dirty(b, false);
}

void bcache_mark_dirty_data(struct buffer *b)
{
	bcache_dirty(b, true);
}

void bcache_release(struct buffer *b)
{
	struct block_cache *c = b->bdev->cache;

	mutex_lock(&c->lock);
	if (b->refs == 0)
		panic("bcache_release: block %llu of %s has no references",
		      (unsigned long long)b->block, b->bdev->name);
	b->refs--;
	mutex_unlock(&c->lock);
}

/* The buffer of block in c when it is cached, else NULL. Cache lock held. */
static struct buffer *bcache_cached(struct block_cache *c, uint64_t block)
{
	struct buffer *b = *bcache_slot(c, block);

	while (b && b->block != block)
		b = b->hash_next;
	return b;
}

/* After a direct transfer of count blocks at block with buf: a write updates the cached
 * copies (clean now), a read takes the up-to-date cached ones over the device's bytes.
 * Cache lock held. */
static void bcache_direct_sync(struct block_cache *c, uint64_t block, uint32_t count,
			       uint8_t *buf, bool write)
{
	for (uint32_t i = 0; i < count; i++) {
		struct buffer *b = bcache_cached(c, block + i);
		if (!b)
			continue;
		if (write) {
			memcpy(b->data, buf + (size_t)i * c->size, c->size);
			b->uptodate = true;
			b->dirty = false;
		} else if (b->uptodate) {
			memcpy(buf + (size_t)i * c->size, b->data, c->size);
		}
	}
}

int bcache_rw_direct(struct block_device *bdev, uint64_t block, uint32_t count, void *buf,
		     bool write)
{
	struct block_cache *c = bcache_of(bdev);

	if (!c)
		return -ENOMEM;
	uint64_t per = c->size >> BLOCK_SECTOR_SHIFT;
	if (block > bdev->sectors / per || count > bdev->sectors / per - block ||
	    count > UINT32_MAX / per)
		return -EINVAL;
	mutex_lock(&c->lock);
	int err = block_rw(bdev, write ? BLOCK_WRITE : BLOCK_READ, block * per,
			   (uint32_t)(count * per), buf);
	if (!err)
		bcache_direct_sync(c, block, count, buf, write);
	mutex_unlock(&c->lock);
	return err;
}

/* True when b is to be written back (only file contents when data_only). */
static bool bcache_wants_write(const struct buffer *b, bool data_only)
{
	return b->dirty && (b->contents || !data_only);
}

/* Sorts the n buffers of v by block number (Shell sort: no recursion, no memory). */
static void bcache_sort(struct buffer **v, size_t n)
{
	for (size_t gap = n / 2; gap; gap /= 2) {
		for (size_t i = gap; i < n; i++) {
			for (size_t j = i; j >= gap && v[j - gap]->block > v[j]->block; j -= gap) {
				struct buffer *t = v[j];
				v[j] = v[j - gap];
				v[j - gap] = t;
			}
		}
	}
}

/* Writes back every dirty buffer of c (only file contents when data_only) in block order,
 * runs of consecutive blocks in one request of up to BCACHE_RUN_MAX bytes: 0 or the
 * first error. Block order makes a disk that fails part-way keep a prefix: a directory
 * laid out again loses no entry that moved to an earlier block. Cache lock held. */
static int bcache_write_all(struct block_cache *c, bool data_only)
{
	struct buffer **v = c->count ? kmalloc(c->count * sizeof(*v)) : NULL;
	uint8_t *bounce = v ? kmalloc(BCACHE_RUN_MAX) : NULL;
	size_t n = 0, max_run = bounce ? BCACHE_RUN_MAX / c->size : 1;
	struct list_node *pos;
	int first = 0;

	list_for_each(pos, &c->lru)
	{
		struct buffer *b = list_entry(pos, struct buffer, lru);
		if (!bcache_wants_write(b, data_only))
			continue;
		if (!v) { /* out of memory: one by one, in LRU order */
			int err = bcache_write_buffer(b);
			first = first ? first : err;
			continue;
		}
		v[n++] = b;
	}
	bcache_sort(v, n);
	for (size_t i = 0, end; i < n; i = end) {
		for (end = i + 1; end < n && end - i < max_run && v[end]->block == v[end - 1]->block + 1;)
			end++;
		int err = bcache_write_run(v + i, end - i, bounce);
		first = first ? first : err;
	}
	kfree(bounce);
	kfree(v);
	return first;
}

/* bcache_sync and bcache_sync_data. */
static int bcache_sync_some(struct block_device *bdev, bool data_only)
{
	struct block_cache *c = bdev->cache;
	int err = 0;

	if (c) {
		mutex_lock(&c->lock);
		err = bcache_write_all(c, data_only);
		mutex_unlock(&c->lock);
	}
	int flush = bcache_flush(bdev);
	return err ? err : flush;
}

int bcache_sync(struct block_device *bdev)
{
	return bcache_sync_some(bdev, false);
}

int bcache_sync_data(struct block_device *bdev)
{
	return bcache_sync_some(bdev, true);
}

/* block_for_each callback of bcache_sync_all: bcache_sync, the first error kept. */
static void bcache_sync_one(struct block_device *bdev, void *ctx)
{
	int *first = ctx;
	int err = bcache_sync(bdev);

	if (err && !*first)
		*first = err;
}

int bcache_sync_all(void)
{
	int first = 0;

	block_for_each(bcache_sync_one, &first);
	return first;
}

/* Writes back and frees every unused buffer of c: 0, the write-back's error, or -EBUSY
 * when a buffer is in use. Cache lock held. */
static int bcache_drop_all(struct block_cache *c)
{
	struct list_node *n;

	list_for_each(n, &c->lru)
	{
		if (list_entry(n, struct buffer, lru)->refs)
			return -EBUSY;
	}
	int err = bcache_write_all(c, false);
	while (!list_empty(&c->lru))
		bcache_free_buffer(c, list_entry(list_first(&c->lru), struct buffer, lru));
	return err;
}

int bcache_set_block_size(struct block_device *bdev, uint32_t size)
{
	struct block_cache *c = bcache_of(bdev);

	if (size < bdev->logical_block_size || size > 4096 || (size & (size - 1)))
		return -EINVAL;
	if (!c)
		return -ENOMEM;
	mutex_lock(&c->lock);
	int err = bcache_drop_all(c);
	if (!err)
		c->size = size;
	mutex_unlock(&c->lock);
	return err;
}

uint32_t bcache_block_size(struct block_device *bdev)
{
	struct block_cache *c = bcache_of(bdev);

	return c ? c->size : bdev->logical_block_size;
}

int block_flush_cache(struct block_device *bdev)
{
	struct block_cache *c = bcache_of(bdev);
	int err = c ? 0 : -ENOMEM;

	if (c) {
		mutex_lock(&c->lock);
		err = bcache_drop_all(c);
		mutex_unlock(&c->lock);
	}
	int flush = err ? 0 : bcache_flush(bdev);
	return err ? err : flush;
}

void block_cache_destroy(struct block_device *bdev)
{
	struct block_cache *c = bdev->cache;

	if (!c)
		return;
	mutex_lock(&c->lock);
	if (bcache_drop_all(c) == -EBUSY)
		panic("block_cache_destroy: %s goes with a buffer in use", bdev->name);
	mutex_unlock(&c->lock);
	kfree(c);
	bdev->cache = NULL;
}
