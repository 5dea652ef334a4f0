/*
 * virtio-blk (virtio 1.2, section 5.2): a disk of the block layer (block.h) named vda,
 * vdb... in probe order. Each request is a chain of three buffers: a header (type,
 * sector), the data, and a status byte the device writes. Up to a third of the queue's
 * descriptors' worth of requests are in flight at once; submit sleeps for a free slot
 * beyond that, and the interrupt completes them in whatever order the device used them.
 *
 * Read-only devices (VIRTIO_BLK_F_RO) refuse writes with -EROFS. A capacity change is
 * refused with a console line: the disk keeps the size it was registered with. A device
 * that needs a reset fails its outstanding and later requests with -EIO.
 */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/sync.h>
#include <amphi/virtio.h>

#include "virtio_internal.h"

#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_CONFIG_CAPACITY 0 /* le64, 512-byte sectors */
#define VBLK_QUEUE_MAX 128
#define VBLK_DESCS_PER_REQ 3

/* The part of a request the device reads and writes besides the data. */
struct vblk_slot {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} header;
	uint8_t status;
	struct block_request *req; /* NULL while the slot is free */
	struct vblk_slot *next_free;
};

struct vblk {
	struct block_device bdev;
	struct virtio_dev *dev;
	struct virtq *q;
	struct semaphore room; /* free slots */
	struct spinlock lock;  /* free list, dead */
	struct vblk_slot *free;
	struct vblk_slot *slots;
	unsigned nslots;
	bool dead; /* the device needs a reset: every request fails */
};

static unsigned vblk_count; /* disks probed so far: the next name's index */

/* Takes a free slot for req (room was reserved); NULL when the device is dead. */
static struct vblk_slot *vblk_slot_take(struct vblk *vb, struct block_request *req)
{
	irqflags_t flags = spin_lock_irqsave(&vb->lock);
	struct vblk_slot *s = vb->dead ? NULL : vb->free;

	if (s) {
		vb->free = s->next_free;
		s->req = req;
	}
	spin_unlock_irqrestore(&vb->lock, flags);
	return s;
}

/* Returns slot s to the free list and its room to submitters; its request, or NULL when
 * it was already free. */
static struct block_request *vblk_slot_put(struct vblk *vb, struct vblk_slot *s)
{
	irqflags_t flags = spin_lock_irqsave(&vb->lock);
	struct block_request *req = s->req;

	if (req) {
		s->req = NULL;
		s->next_free = vb->free;
		vb->free = s;
	}
	spin_unlock_irqrestore(&vb->lock, flags);
	if (req)
		sem_up(&vb->room);
	return req;
}

/* The device's header type for a block operation. */
static uint32_t vblk_type(enum block_op op)
{
	return op == BLOCK_READ ? VIRTIO_BLK_T_IN
	       : op == BLOCK_WRITE ? VIRTIO_BLK_T_OUT
				   : VIRTIO_BLK_T_FLUSH;
}

/* Makes req's chain available in slot s; 0 or virtq_add's error. */
static int vblk_queue(struct vblk *vb, struct vblk_slot *s, struct block_request *req)
{
	struct virtq_buf bufs[VBLK_DESCS_PER_REQ];
	unsigned n = 0;

	s->header.type = vblk_type(req->op);
	s->header.reserved = 0;
	s->header.sector = req->op == BLOCK_FLUSH ? 0 : req->sector;
	s->status = 0xff;
	bufs[n++] = (struct virtq_buf){&s->header, sizeof(s->header), false};
	if (req->count)
		bufs[n++] = (struct virtq_buf){req->buf, req->count * BLOCK_SECTOR_SIZE,
					       req->op == BLOCK_READ};
	bufs[n++] = (struct virtq_buf){&s->status, 1, true};
	return virtq_add(vb->q, bufs, n, s);
}

/* Errors a request gets before it reaches the device, or 0. */
static int vblk_refuse(struct vblk *vb, const struct block_request *req)
{
	if (req->op == BLOCK_WRITE && vb->bdev.read_only)
		return -EROFS;
	if (req->count > UINT32_MAX / BLOCK_SECTOR_SIZE)
		return -EINVAL; /* one descriptor's length */
	return 0;
}

/* block_device_ops.submit: queues req, sleeping for room when the queue is full. */
static void vblk_submit(struct block_device *bdev, struct block_request *req)
{
	struct vblk *vb = bdev->priv;
	int err = vblk_refuse(vb, req);

	if (!err && req->op == BLOCK_FLUSH && !virtio_has_feature(vb->dev, VIRTIO_BLK_F_FLUSH)) {
		block_request_complete(req, 0); /* no volatile cache: writes are stable */
		return;
	}
	if (err) {
		block_request_complete(req, err);
		return;
	}
	sem_down(&vb->room);
	struct vblk_slot *s = vblk_slot_take(vb, req);
	err = s ? vblk_queue(vb, s, req) : -EIO;
	if (err) {
		if (s)
			vblk_slot_put(vb, s);
		else
			sem_up(&vb->room);
		block_request_complete(req, -EIO);
		return;
	}
	virtq_kick(vb->q);
}

/* Interrupt context: completes every request the device used. */
static void vblk_done(struct virtq *q)
{
	struct vblk *vb = virtq_arg(q);
	struct vblk_slot *s;
	uint32_t written;

	while ((s = virtq_get_used(q, &written)) != NULL) {
		int status = s->status == VIRTIO_BLK_S_OK && written >= 1 ? 0 : -EIO;
		struct block_request *req = vblk_slot_put(vb, s);
		if (req)
			block_request_complete(req, status);
	}
}

/* Interrupt context: the device died; fails every outstanding request. */
static void vblk_fail_all(struct vblk *vb)
{
	irqflags_t flags = spin_lock_irqsave(&vb->lock);

	vb->dead = true;
	spin_unlock_irqrestore(&vb->lock, flags);
	for (unsigned i = 0; i < vb->nslots; i++) {
		struct block_request *req = vblk_slot_put(vb, &vb->slots[i]);
		if (req)
			block_request_complete(req, -EIO);
	}
}

/* Interrupt context: a config change. Only the capacity can change on virtio-blk with
 * the features taken; a new size is refused, since file systems on the disk sized
 * themselves to the old one. */
static void vblk_config_changed(struct virtio_dev *dev)
{
	struct vblk *vb = virtio_priv(dev);
	uint64_t sectors = virtio_config_read64(dev, VIRTIO_BLK_CONFIG_CAPACITY);

	if (virtio_broken(dev)) {
		kprintf("%s: %s: failing its requests with EIO\n", virtio_name(dev), vb->bdev.name);
		vblk_fail_all(vb);
	} else if (sectors != vb->bdev.sectors) {
		kprintf("%s: %s: capacity change to %llu sectors refused; it stays %llu sectors\n",
			virtio_name(dev), vb->bdev.name, (unsigned long long)sectors,
			(unsigned long long)vb->bdev.sectors);
	}
}

static const struct block_device_ops vblk_ops = {.submit = vblk_submit};

/* Allocates vb's slots for a queue of qsize entries; 0 or -ENOMEM. */
static int vblk_slots_init(struct vblk *vb, unsigned qsize)
{
	vb->nslots = qsize / VBLK_DESCS_PER_REQ;
	vb->slots = kzalloc(vb->nslots * sizeof(*vb->slots));
	if (!vb->slots)
		return -ENOMEM;
	for (unsigned i = 0; i < vb->nslots; i++) {
		vb->slots[i].next_free = vb->free;
		vb->free = &vb->slots[i];
	}
	sem_init(&vb->room, "virtio-blk room", vb->nslots);
	return 0;
}

/* Fills vb's block device from the device's config and features. */
static int vblk_bdev_init(struct vblk *vb)
{
	struct block_device *b = &vb->bdev;
	int err = block_disk_name(b->name, sizeof(b->name), "vd", vblk_count);

	b->logical_block_size = BLOCK_SECTOR_SIZE;
	b->sectors = virtio_config_read64(vb->dev, VIRTIO_BLK_CONFIG_CAPACITY);
	b->read_only = virtio_has_feature(vb->dev, VIRTIO_BLK_F_RO);
	b->major = BLOCK_MAJOR_VIRTIO;
	b->first_minor = vblk_count * BLOCK_PART_MINORS;
	b->minors = BLOCK_PART_MINORS;
	b->ops = &vblk_ops;
	b->priv = vb;
	return err;
}

int virtio_blk_probe(struct virtio_dev *dev)
{
	struct vblk *vb = kzalloc(sizeof(*vb));

	if (!vb)
		return -ENOMEM;
	vb->dev = dev;
	spin_lock_init(&vb->lock, "virtio-blk");
	virtio_set_priv(dev, vb);
	vb->q = virtio_queue_setup(dev, 0, VBLK_QUEUE_MAX, vblk_done, vb);
	int err = vb->q ? vblk_slots_init(vb, virtq_size(vb->q)) : -ENODEV;
	if (!err && !vb->nslots)
		err = -ENODEV; /* a queue too small for one request */
	if (!err)
		err = vblk_bdev_init(vb);
	if (!err)
		err = virtio_ready(dev, vblk_config_changed);
	if (!err)
		err = block_device_register(&vb->bdev);
	if (err) {
		kfree(vb->slots);
		kfree(vb);
		return err;
	}
	kprintf("%s: virtio-blk %s, %llu sectors%s\n", virtio_name(dev), vb->bdev.name,
		(unsigned long long)vb->bdev.sectors, vb->bdev.read_only ? ", read-only" : "");
	vblk_count++;
	return 0;
}
