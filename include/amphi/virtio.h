/*
 * virtio.h: virtio devices over the MMIO transport (virtio 1.2, section 4.2, version 2
 * only) with split virtqueues (section 2.7). One transport and one set of drivers serve
 * every target: devices are found in the device tree (compatible "virtio,mmio") or in the
 * command line's virtio_mmio.device=<size>@<base>:<irq> entries, as Linux accepts them.
 *
 * A driver (virtio_rng, virtio_blk) gets a device whose features are negotiated, sets up
 * its queues, and calls virtio_ready. Its queues' callbacks run in interrupt context.
 */
#pragma once

#include <amphi/plat.h>
#include <amphi/types.h>

/* Device IDs (section 5). */
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_GPU 16
#define VIRTIO_ID_INPUT 18

/* Feature bits every device type shares (section 6). */
#define VIRTIO_F_VERSION_1 32

/* A virtio-mmio device. */
struct virtio_dev;

/* A split virtqueue. */
struct virtq;

/* Called in interrupt context when the device used buffers of q. */
typedef void (*virtq_done_t)(struct virtq *q);

/* One buffer of a request: len bytes of kernel memory at addr (DMA-able, plat/dma.h),
 * which the device reads, or writes when device_writes. */
struct virtq_buf {
	void *addr;
	uint32_t len;
	bool device_writes;
};

/* --- discovery (discover.c) --- */

/* Finds the virtio-mmio devices in info's device tree and command line and binds the
 * known ones to their drivers; a device that fails is reported on the console and left
 * alone. Call once, after interrupts and the VFS are up. */
void virtio_discover(const struct boot_info *info);

/* --- the transport (virtio_mmio.c), for drivers --- */

/* A name for console lines, e.g. "virtio-mmio@a003e00". */
const char *virtio_name(const struct virtio_dev *dev);

/* The device type (VIRTIO_ID_*). */
uint32_t virtio_device_id(const struct virtio_dev *dev);

/* True when the device offered feature bit and the driver accepted it. */
bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit);

/* Reads the config space at off: 1 or 4 bytes, or 8 (two 4-byte reads, retried until
 * the config generation is stable, as section 4.2.2.2 asks). */
uint8_t virtio_config_read8(struct virtio_dev *dev, size_t off);
uint32_t virtio_config_read32(struct virtio_dev *dev, size_t off);
uint64_t virtio_config_read64(struct virtio_dev *dev, size_t off);

/* Sets up queue index with at most max entries (a power of two) and done as its callback.
 * Returns the queue, or NULL (after a console line) when the device has no such queue or
 * memory runs out. Before virtio_ready only. */
struct virtq *virtio_queue_setup(struct virtio_dev *dev, unsigned index, unsigned max,
				 virtq_done_t done, void *arg);

/* Registers config_changed (interrupt context, also when the device set NEEDS_RESET;
 * NULL: the change is only reported) and
 * sets DRIVER_OK: the device goes live. Returns 0 or the irq core's error. */
int virtio_ready(struct virtio_dev *dev, void (*config_changed)(struct virtio_dev *dev));

/* True when the device set DEVICE_NEEDS_RESET: it accepts no more requests. */
bool virtio_broken(struct virtio_dev *dev);

/* The driver's private pointer (set by the driver). */
void virtio_set_priv(struct virtio_dev *dev, void *priv);
void *virtio_priv(const struct virtio_dev *dev);

/* --- split virtqueues (virtqueue.c) --- */

/* Queue sizes this driver supports: powers of two up to VIRTQ_MAX_SIZE. */
#define VIRTQ_MAX_SIZE 128

/* Notifies the device that a queue has new available buffers. */
typedef void (*virtq_notify_t)(struct virtq *q);

/* Allocates a queue of size entries (a power of two, 1..VIRTQ_MAX_SIZE) in DMA-able memory,
 * zeroed, every descriptor free. notify kicks the device (transport is the transport's own
 * pointer), done is the driver's completion callback and arg its pointer. Returns NULL
 * for a bad size or when out of memory. */
struct virtq *virtq_create(unsigned size, virtq_notify_t notify, void *transport,
			   virtq_done_t done, void *arg);

/* Frees a queue the device no longer uses (after a reset). */
void virtq_destroy(struct virtq *q);

/* Bus addresses of the descriptor table, available (driver) and used (device) rings. */
void virtq_bus_addrs(const struct virtq *q, paddr_t *desc, paddr_t *avail, paddr_t *used);

/* Entries of the queue. */
unsigned virtq_size(const struct virtq *q);

/* The queue's index at its device, the transport's and the driver's pointers. */
unsigned virtq_index(const struct virtq *q);
void virtq_set_index(struct virtq *q, unsigned index);
void *virtq_transport(const struct virtq *q);
void *virtq_arg(const struct virtq *q);

/* Runs the driver's done callback (the transport's interrupt handler calls it). */
void virtq_run_done(struct virtq *q);

/* Chains the n buffers (device-readable ones first) into descriptors and makes the chain
 * available, with cookie handed back when the device has used it. Does not notify.
 * Returns 0, -EINVAL for n == 0, n > size, a NULL cookie or a device-readable buffer
 * after a writable one, -ENOSPC when fewer than n descriptors are free, -EFAULT for memory devices cannot
 * reach, -EIO on a broken queue. Any context. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *cookie);

/* Notifies the device of buffers added since the last kick, unless it asked not to be
 * (VIRTQ_USED_F_NO_NOTIFY). Any context. */
void virtq_kick(struct virtq *q);

/* The cookie of the next chain the device used, with the bytes it wrote in *written; NULL
 * when there is none. Frees the chain's descriptors. A device that names a chain that is
 * not outstanding breaks the queue (a console line; virtq_add then fails with -EIO and
 * nothing more is returned). Any context. */
void *virtq_get_used(struct virtq *q, uint32_t *written);

/* True once the device broke the queue (see virtq_get_used). */
bool virtq_broken(const struct virtq *q);

/* Descriptors free for virtq_add. */
unsigned virtq_free_count(const struct virtq *q);
