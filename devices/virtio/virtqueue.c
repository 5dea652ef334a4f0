/*
 * Split virtqueues, the driver's side (virtio 1.2, section 2.7): a descriptor table, the
 * available ring the driver fills and the used ring the device fills, all in one page of
 * DMA-able memory. Free descriptors form a list through their next fields. Every target
 * is little-endian, as the rings are, so fields are plain integers.
 *
 * Ordering: a chain's descriptors and its ring slot are written before the available
 * index that publishes them (a barrier between), and the index before the notification
 * (mmio_write32 orders it); the used index is read before the entries it covers.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/sync.h>
#include <amphi/virtio.h>

#include <amphi/virtio_ring.h>

struct virtq {
	struct spinlock lock;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	void *mem; /* the page holding the three */
	uint16_t size, free_head, free_count;
	uint16_t last_used;   /* used entries consumed so far (wraps at 2^16) */
	uint16_t added;	      /* chains made available since the last kick */
	bool broken;	      /* the device named a chain that was not outstanding */
	unsigned index;	      /* at the device */
	virtq_notify_t notify;
	void *transport;
	virtq_done_t done;
	void *arg;
	void *cookie[VIRTQ_MAX_SIZE]; /* per chain head; NULL when the head is free */
};

/* Offsets of the rings inside the queue's page for size entries. */
static size_t virtq_avail_off(unsigned size)
{
	return sizeof(struct virtq_desc) * size;
}

static size_t virtq_used_off(unsigned size)
{
	return ALIGN_UP(virtq_avail_off(size) + sizeof(struct virtq_avail) + 2u * size,
			VIRTQ_USED_ALIGN);
}

struct virtq *virtq_create(unsigned size, virtq_notify_t notify, void *transport,
			   virtq_done_t done, void *arg)
{
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return NULL;
	struct virtq *q = kzalloc(sizeof(*q));
	void *mem = page_alloc(0);
	if (!q || !mem) {
		kfree(q);
		if (mem)
			page_free(mem, 0);
		return NULL;
	}
	memset(mem, 0, PAGE_SIZE);
	spin_lock_init(&q->lock, "virtq");
	q->mem = mem;
	q->desc = mem;
	q->avail = (void *)((uint8_t *)mem + virtq_avail_off(size));
	q->used = (void *)((uint8_t *)mem + virtq_used_off(size));
	q->size = (uint16_t)size;
	q->free_count = (uint16_t)size;
	for (unsigned i = 0; i + 1 < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->notify = notify;
	q->transport = transport;
	q->done = done;
	q->arg = arg;
	return q;
}

void virtq_destroy(struct virtq *q)
{
	if (!q)
		return;
	page_free(q->mem, 0);
	kfree(q);
}

/* Bus address of a part of the queue's page (page_alloc memory always maps). */
static paddr_t virtq_bus(const void *p)
{
	paddr_t bus = 0;

	plat_dma_map(p, 1, &bus);
	return bus;
}

void virtq_bus_addrs(const struct virtq *q, paddr_t *desc, paddr_t *avail, paddr_t *used)
{
	*desc = virtq_bus(q->desc);
	*avail = virtq_bus(q->avail);
	*used = virtq_bus(q->used);
}

unsigned virtq_size(const struct virtq *q)
{
	return q->size;
}

unsigned virtq_index(const struct virtq *q)
{
	return q->index;
}

void virtq_set_index(struct virtq *q, unsigned index)
{
	q->index = index;
}

void *virtq_arg(const struct virtq *q)
{
	return q->arg;
}

void *virtq_transport(const struct virtq *q)
{
	return q->transport;
}

void virtq_run_done(struct virtq *q)
{
	if (q->done)
		q->done(q);
}

bool virtq_broken(const struct virtq *q)
{
	return __atomic_load_n(&q->broken, __ATOMIC_RELAXED);
}

unsigned virtq_free_count(const struct virtq *q)
{
	return __atomic_load_n(&q->free_count, __ATOMIC_RELAXED);
}

/* Checks bufs[0..n) for virtq_add and fills bus[] with their bus addresses. */
static int virtq_check_bufs(const struct virtq_buf *bufs, unsigned n, paddr_t *bus)
{
	bool seen_writable = false;

	for (unsigned i = 0; i < n; i++) {
		if (seen_writable && !bufs[i].device_writes)
			return -EINVAL;
		seen_writable |= bufs[i].device_writes;
		if (plat_dma_map(bufs[i].addr, bufs[i].len, &bus[i]))
			return -EFAULT;
	}
	return 0;
}

/* Lock held: takes n free descriptors, fills them from bufs and returns the chain's head. */
static uint16_t virtq_fill_chain(struct virtq *q, const struct virtq_buf *bufs,
				 const paddr_t *bus, unsigned n)
{
	uint16_t head = q->free_head, at = head;

	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *d = &q->desc[at];
		d->addr = bus[i];
		d->len = bufs[i].len;
		d->flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (i + 1 < n)
			at = d->next;
		else
			q->free_head = d->next;
	}
	q->free_count = (uint16_t)(q->free_count - n);
	return head;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *cookie)
{
	paddr_t bus[VIRTQ_MAX_SIZE];

	if (!n || n > q->size || !cookie)
		return -EINVAL;
	int err = virtq_check_bufs(bufs, n, bus);
	if (err)
		return err;
	irqflags_t flags = spin_lock_irqsave(&q->lock);
	if (q->broken || q->free_count < n) {
		spin_unlock_irqrestore(&q->lock, flags);
		return q->broken ? -EIO : -ENOSPC;
	}
	uint16_t head = virtq_fill_chain(q, bufs, bus, n);
	q->cookie[head] = cookie;
	uint16_t idx = q->avail->idx;
	q->avail->ring[idx & (q->size - 1)] = head;
	arch_barrier(); /* the chain and its slot before the index that publishes them */
	__atomic_store_n(&q->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	q->added++;
	spin_unlock_irqrestore(&q->lock, flags);
	return 0;
}

void virtq_kick(struct virtq *q)
{
	irqflags_t flags = spin_lock_irqsave(&q->lock);
	bool added = q->added != 0;

	q->added = 0;
	arch_barrier(); /* the published index before reading the device's flags */
	bool suppressed = __atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) &
			  VIRTQ_USED_F_NO_NOTIFY;
	spin_unlock_irqrestore(&q->lock, flags);
	if (added && !suppressed)
		q->notify(q);
}

/* Lock held: returns the chain at head to the free list; false when head is no
 * outstanding chain or its links leave the table. */
static bool virtq_free_chain(struct virtq *q, uint16_t head)
{
	uint16_t at = head;
	unsigned n = 1;

	while (q->desc[at].flags & VIRTQ_DESC_F_NEXT) {
		at = q->desc[at].next;
		if (at >= q->size || ++n > q->size)
			return false;
	}
	q->desc[at].next = q->free_head;
	q->free_head = head;
	q->free_count = (uint16_t)(q->free_count + n);
	q->cookie[head] = NULL;
	return true;
}

/* Lock held: marks the queue broken with a console line naming why. */
static void virtq_break(struct virtq *q, const char *why, unsigned value)
{
	kprintf("virtio: queue %u broken: the device %s (%u)\n", q->index, why, value);
	__atomic_store_n(&q->broken, true, __ATOMIC_RELAXED);
}

void *virtq_get_used(struct virtq *q, uint32_t *written)
{
	void *cookie = NULL;
	irqflags_t flags = spin_lock_irqsave(&q->lock);
	uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

	if (!q->broken && used_idx != q->last_used) {
		if ((uint16_t)(used_idx - q->last_used) > q->size) {
			virtq_break(q, "published more used entries than the queue holds",
				    (uint16_t)(used_idx - q->last_used));
			goto out;
		}
		arch_barrier(); /* the index before the entry it covers */
		struct virtq_used_elem e = q->used->ring[q->last_used & (q->size - 1)];
		void *done = e.id < q->size ? q->cookie[e.id] : NULL;
		if (!done || !virtq_free_chain(q, (uint16_t)e.id)) {
			virtq_break(q, "used a chain that is not outstanding", e.id);
			goto out;
		}
		cookie = done;
		q->last_used++;
		*written = e.len;
	}
out:
	spin_unlock_irqrestore(&q->lock, flags);
	return cookie;
}
