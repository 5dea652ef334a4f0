/* What the parts of kernel/block tell each other. */
#pragma once

#include <amphi/block.h>

/* Takes and releases the block layer's mutex (the device list, opener counts). */
void block_lock(void);
void block_unlock(void);

/* Adds bdev (disk or partition, fields filled) to the list and makes its /dev node:
 * 0, -EEXIST, -EINVAL. */
int block_add(struct block_device *bdev);

/* Takes bdev off the list, removes its node and drops its cache. */
void block_remove(struct block_device *bdev);

/* Calls fn for each registered device, block_lock held. */
void block_for_each(void (*fn)(struct block_device *bdev, void *ctx), void *ctx);

/* The partitions of disk, at most max of them into parts: how many. Takes block_lock. */
unsigned block_partitions_of(struct block_device *disk, struct block_device **parts,
			     unsigned max);

/* Reads disk's partition table and registers a device per partition (kernel/block/
 * partition.c); a disk without a table, or a damaged one, gets none. */
void block_partitions_scan(struct block_device *disk);

/* Unregisters and frees the partitions of disk. */
void block_partitions_remove(struct block_device *disk);

/* Makes and removes bdev's node in devtmpfs (when it is mounted). Take vfs_lock. */
void block_node_create(struct block_device *bdev);
void block_node_remove(struct block_device *bdev);

/* Writes back and frees bdev's buffer cache, if it has one. */
void block_cache_destroy(struct block_device *bdev);

/* Writes back bdev's dirty buffers, flushes the device and drops clean buffers
 * (BLKFLSBUF): 0 or an errno. */
int block_flush_cache(struct block_device *bdev);

/* Scans a disk's partition table again (BLKRRPART): 0, -EINVAL (a partition or a disk
 * without partitions), -EBUSY (a partition is in use). */
int block_rescan(struct block_device *bdev);

/* CRC-32 as GPT uses it (IEEE 802.3, reflected, initial and final inversion). */
uint32_t block_crc32(const uint8_t *p, size_t n);

/* True when disk has more than own openers, is mounted, or a partition of it is open or
 * mounted. Takes block_lock. */
bool block_in_use(struct block_device *disk, unsigned own);
