/*
 * The block devices' buffer cache.
 */
#include <amphi/block.h>
#include <amphi/errno.h>

#include "block_internal.h"

int block_read_cached(struct block_device *bdev, uint64_t sector, uint32_t count, void *buf)
{
	return block_rw(bdev, BLOCK_READ, sector, count, buf);
}

int block_write_cached(struct block_device *bdev, uint64_t sector, uint32_t count,
		       const void *buf)
{
	return block_rw(bdev, BLOCK_WRITE, sector, count, (void *)buf);
}

int block_flush_cache(struct block_device *bdev)
{
	return block_rw(bdev, BLOCK_FLUSH, 0, 0, NULL);
}

void block_cache_destroy(struct block_device *bdev)
{
	(void)bdev;
}
