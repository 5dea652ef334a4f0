/*
 * block.h: the block layer. Disks (struct block_device) registered by their drivers, an
 * asynchronous request interface between the kernel and a driver, a synchronous helper
 * for callers that sleep, partitions, and /dev/<name> block nodes (S_IFBLK).
 *
 * Units: as in Linux, a "sector" is always 512 bytes: capacities and request positions
 * count 512-byte sectors whatever the device's logical block size (virtio-blk counts the
 * same way). The logical block size (512 or a power of two up to the page size) is the
 * device's smallest addressable unit: every request's position and length are multiples
 * of it, which block_submit checks.
 *
 * Device numbers follow Linux's (Documentation/admin-guide/devices.txt):
 *   1 RAM disks (ram0...), 7 loop devices (loop0...), 254 virtio-blk (Linux gives
 *   virtio-blk a dynamic major; 254 is what it gets on a typical system), 259 the extended
 *   partitions (blkext) of disks whose own minors run out.
 * A disk of a driver with partitions owns BLOCK_PART_MINORS minors from its first_minor
 * (vda 254:0, vda1 254:1 ... vda15 254:15, vdb 254:16); partitions beyond that get blkext
 * minors, as on Linux.
 *
 * Results are 0 (or a count) or a negative errno.
 */
#pragma once

#include <amphi/list.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#define BLOCK_SECTOR_SIZE 512u
#define BLOCK_SECTOR_SHIFT 9

#define BLOCK_MAJOR_RAM 1
#define BLOCK_MAJOR_LOOP 7
#define BLOCK_MAJOR_VIRTIO 254
#define BLOCK_MAJOR_BLKEXT 259
#define BLOCK_PART_MINORS 16 /* minors a partitioned disk owns: itself and 15 partitions */

#define BLOCK_NAME_MAX 32

struct block_device;
struct block_request;

enum block_op {
	BLOCK_READ,  /* device -> buf */
	BLOCK_WRITE, /* buf -> device */
	BLOCK_FLUSH, /* every completed write reaches stable storage (no data: count 0) */
};

/* Called once when a request completes, from any context (an interrupt handler too): it
 * must not sleep. req->status holds the result. */
typedef void (*block_done_fn)(struct block_request *req);

/* One I/O. The submitter fills op, sector, count, buf, done and priv; the block layer sets
 * bdev (the disk that serves it, after a partition's offset is added to sector) and the
 * driver sets status through block_request_complete. The request and its buffer belong to
 * the driver from block_submit until done is called. */
struct block_request {
	enum block_op op;
	uint64_t sector; /* first 512-byte sector */
	uint32_t count;	 /* 512-byte sectors (0 for BLOCK_FLUSH) */
	void *buf;	 /* count * 512 bytes of kernel heap memory (kmalloc or pages: in RAM
			  * and physically contiguous, so plat_virt_to_phys gives its address) */
	block_done_fn done;
	void *priv; /* the submitter's */
	int status; /* 0, or -EIO (device error), -EROFS, -EINVAL, -ENODEV (device gone) */
	struct block_device *bdev;
	struct list_node node; /* free for the driver's queues while it owns the request */
};

/* What a driver provides. */
struct block_device_ops {
	/* Starts req (already checked: in range, aligned, not a write to a read-only device)
	 * on the driver's device. The driver calls block_request_complete(req, status)
	 * exactly once, before or after returning, from any context. Called from thread
	 * context; may sleep (waiting for queue room), never for the request itself. */
	void (*submit)(struct block_device *bdev, struct block_request *req);
	/* Optional: an ioctl on the device's node the block layer does not know (cmd, user
	 * argument arg): a result, or -ENOTTY. Thread context. */
	long (*ioctl)(struct block_device *bdev, unsigned cmd, uintptr_t arg);
	/* Optional: the last opener (open file or mount) went. Thread context. */
	void (*last_close)(struct block_device *bdev);
};

/* A disk or a partition. A driver fills the fields above the line and registers it; the
 * structure must stay valid until block_device_unregister succeeds. */
struct block_device {
	char name[BLOCK_NAME_MAX];	    /* "vda", "loop0": the /dev node's name */
	uint32_t logical_block_size;	    /* bytes: 512, 1024, 2048 or 4096 */
	uint64_t sectors;		    /* capacity in 512-byte sectors */
	bool read_only;			    /* writes fail with -EROFS */
	unsigned major, first_minor;	    /* the disk's device number */
	unsigned minors;		    /* 1: no partitions; BLOCK_PART_MINORS: scanned */
	const struct block_device_ops *ops; /* the driver's (partitions: the disk's) */
	void *priv;			    /* the driver's */
	/* ---- the block layer's own ---- */
	uint64_t rdev;			    /* VFS_DEV(major, minor) */
	struct block_device *disk;	    /* a partition's disk; a disk: itself */
	uint64_t start;			    /* a partition's first sector on its disk */
	unsigned partno;		    /* 0 for a disk */
	unsigned openers;		    /* open files and mounts using it (block_lock) */
	bool claimed;			    /* mounted: opening for writing is refused */
	struct list_node node;		    /* in the device list */
	struct block_cache *cache;	    /* its buffer cache, made at first use */
	uint32_t wb_errors;		    /* write-back and flush errors so far (atomic) */
};

/* --- for drivers --- */

/* Registers a disk (its name, sizes, numbers, ops filled in) and creates /dev/<name>;
 * a disk with minors > 1 gets its partitions scanned and registered too. Thread context.
 * Returns 0, -EEXIST (name or number taken), -EINVAL (bad sizes), -ENOMEM. */
int block_device_register(struct block_device *bdev);

/* Removes a disk, its partitions and their /dev nodes: 0, or -EBUSY while it or one of
 * its partitions is open or mounted (then nothing changes). Requests already submitted
 * must have completed. Thread context. */
int block_device_unregister(struct block_device *bdev);

/* Ends req with status (0 or a negative errno): calls its done callback. Any context. */
void block_request_complete(struct block_request *req, int status);

/* Writes a Linux disk name: prefix with index in letters, as Linux's virtio-blk names
 * them: vda ... vdz, vdaa ... ("vd", 0) -> "vda". Returns 0 or -ENAMETOOLONG. */
int block_disk_name(char *buf, size_t size, const char *prefix, unsigned index);

/* --- for the kernel --- */

/* Submits req to bdev: 0 when the request was passed on (done will be called once), or
 * -EINVAL (misaligned, beyond the end, no buffer), -EROFS (write to a read-only device),
 * -ENODEV, when done will not be called. Thread context. */
int block_submit(struct block_device *bdev, struct block_request *req);

/* Reads or writes count 512-byte sectors at sector with buf (heap memory, as in struct
 * block_request) and sleeps until done; BLOCK_FLUSH with count 0 and buf NULL. Returns
 * the request's status or block_submit's error. May block. */
int block_rw(struct block_device *bdev, enum block_op op, uint64_t sector, uint32_t count,
	     void *buf);

/* The registered device (disk or partition) named name, or with device number rdev, with
 * an opener counted (block_put releases it); NULL when there is none. */
struct block_device *block_get_by_name(const char *name);
struct block_device *block_get_by_rdev(uint64_t rdev);

/* Prints a console line per registered device with a medium (number, size, name), as
 * Linux lists the partitions when the root device is missing. */
void block_print_devices(void);

/* Claims bdev for a mount (with claim) or releases the claim: 0, or -EBUSY when it is
 * claimed already (a second mount of one device). */
int block_claim(struct block_device *bdev, bool claim);

/* Counts an opener of bdev (it may not be unregistered meanwhile) and releases one. */
void block_get(struct block_device *bdev);
void block_put(struct block_device *bdev);

/* Registers the block drivers that live in the kernel itself: the loop devices'
 * /dev/loop-control (before devtmpfs is mounted). */
void block_init(void);

/* Capacity in bytes. */
static inline uint64_t block_size_bytes(const struct block_device *bdev)
{
	return bdev->sectors << BLOCK_SECTOR_SHIFT;
}

/* --- the buffer cache (kernel/block/cache.c) ---
 *
 * Each device has a cache of blocks of one size (its block size, set with
 * bcache_set_block_size; the logical block size until then). A buffer is counted: get and
 * read take a reference, release drops it. A dirty buffer is written back by bcache_sync,
 * when the cache is over its limit, or when its device goes. Thread context only. */

struct buffer {
	struct block_device *bdev;
	bool contents;	   /* file contents: bcache_sync_data writes it before metadata */
	uint64_t block;	   /* in units of size */
	uint32_t size;	   /* bytes */
	uint8_t *data;	   /* size bytes of heap memory */
	unsigned refs;	   /* users (block_cache lock) */
	bool uptodate;	   /* data holds the device's (or newer) bytes */
	bool dirty;	   /* data is newer than the device's */
	struct list_node lru; /* in the cache, least recently used first */
	struct buffer *hash_next;
};

/* Sets bdev's cache block size (a power of two from the logical block size to 4096):
 * writes back and drops every buffer first. 0, -EINVAL, -EBUSY (a buffer is in use), or
 * the write-back's error. */
int bcache_set_block_size(struct block_device *bdev, uint32_t size);

/* The cache block size of bdev. */
uint32_t bcache_block_size(struct block_device *bdev);

/* Block number block of bdev in the cache, read from the device when not up to date:
 * 0 with a reference in *out, -EIO, -EINVAL (past the end), -ENOMEM. May block. */
int bcache_read(struct block_device *bdev, uint64_t block, struct buffer **out);

/* Like bcache_read without reading: for a caller about to overwrite the whole block
 * (it sets uptodate). */
int bcache_get(struct block_device *bdev, uint64_t block, struct buffer **out);

/* Moves count cache blocks at block between buf (heap memory, as in struct block_request)
 * and bdev in one request, for large sequential transfers, keeping the cache coherent: a
 * write updates the cached copies of those blocks, a read returns the cached copies that
 * are up to date (a dirty one is newer than the device's). 0, -EIO, -EINVAL (past the
 * end), -ENOMEM. May block. */
int bcache_rw_direct(struct block_device *bdev, uint64_t block, uint32_t count, void *buf,
		     bool write);

/* Marks b's data newer than the device's (and up to date). */
void bcache_mark_dirty(struct buffer *b);

/* bcache_mark_dirty for a block of file contents (b->contents set), which bcache_sync_data
 * writes before the metadata that points at it. */
void bcache_mark_dirty_data(struct buffer *b);

/* Drops the reference bcache_read or bcache_get gave. */
void bcache_release(struct buffer *b);

/* Writes back bdev's dirty buffers (a partition and its disk have separate caches, as on
 * Linux) and flushes the disk's write cache: 0 or the first error (-EIO; the buffers that
 * failed are no longer dirty, so each error is reported once, as Linux's fsync does). */
int bcache_sync(struct block_device *bdev);

/* Writes back bdev's dirty file-content buffers only and flushes the disk: 0 or the first
 * error. A file system calls it before bcache_sync so that no metadata reaches the disk
 * ahead of the contents it points at. */
int bcache_sync_data(struct block_device *bdev);

/* bcache_sync of every registered device (sync(2)): the first error. */
int bcache_sync_all(void);

/* --- write-back errors, as Linux's errseq: each failed write-back or flush of a device
 * counts once; a file samples the count at open, and its fsync reports -EIO once for the
 * errors that came since (whoever's write-back met them). */

/* bdev's write-back error count now (the sample a file takes at open). */
uint32_t block_wb_errors(struct block_device *bdev);

/* -EIO when bdev had a write-back error since *seen (which then catches up), else 0. */
int block_wb_error_check(struct block_device *bdev, uint32_t *seen);
