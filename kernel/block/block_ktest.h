/* The block tests' RAM disk: requests complete from a timer interrupt, as a real
 * driver's do (kernel/block/block_ktest.c). */
#pragma once

#include <amphi/block.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

struct kt_ram {
	struct block_device bdev;
	uint8_t *data;
	struct spinlock lock;
	struct list_node pending; /* submitted, not yet completed */
	struct ktimer timer;
	bool fail; /* complete every request with -EIO (writes change nothing) */
	unsigned writes, flushes;
};

/* A zeroed RAM disk of sectors 512-byte sectors, not yet registered; NULL when out of
 * memory. */
struct kt_ram *kt_ram_create(const char *name, unsigned minor, uint64_t sectors, uint32_t lbs,
			     unsigned minors);

/* Frees an unregistered RAM disk. */
void kt_ram_free(struct kt_ram *ram);
