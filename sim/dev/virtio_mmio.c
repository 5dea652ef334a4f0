/*
 * The virtio-mmio transport model, the device side of virtio 1.2 section 4.2 (version 2),
 * laid out as on QEMU's virt board: windows of 0x200 bytes from 0x0a000000, slot n on
 * SPI 16 + n. A notification is served at once, on the notifying CPU, under the machine
 * lock: every available chain is checked, handed to the device type and put in the used
 * ring, then the interrupt line rises (level: until the driver acknowledges). So a run is
 * as deterministic as the kernel's own accesses.
 *
 * Guest input is never trusted: rings and buffers outside RAM, descriptor loops, chains
 * longer than the queue, bad sizes mark the device broken (DEVICE_NEEDS_RESET and a
 * config interrupt, with a console line); the host process carries on.
 */
#include <string.h>

#include <amphi/virtio_mmio.h>
#include <amphi/virtio_ring.h>

#include "sim.h"

#define VIRTIO_F_VERSION_1 32
#define SIM_VIRTIO_QUEUES 2
#define SIM_VIRTIO_QUEUE_MAX 256
#define SIM_VIRTIO_VENDOR 0x48504d41u /* "AMPH" */
#define GIC_FIRST_SPI 32

/* One queue as the driver configured it. */
struct sim_vq {
	uint32_t num;
	bool ready;
	uint64_t desc, driver, device;	/* bus (guest physical) addresses */
	struct virtq_desc *desc_host;	/* checked at QueueReady */
	struct virtq_avail *avail_host;
	struct virtq_used *used_host;
	uint16_t last_avail;
};

struct sim_virtio {
	const struct sim_virtio_type *type;
	void *model;
	unsigned slot;
	uint32_t status, int_status, config_generation;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	struct sim_vq q[SIM_VIRTIO_QUEUES];
};

static struct {
	unsigned count;
	struct sim_virtio dev[SIM_VIRTIO_SLOTS];
} sim_virtio;

struct sim_virtio *sim_virtio_add(const struct sim_virtio_type *t, void *model)
{
	if (sim_virtio.count == SIM_VIRTIO_SLOTS)
		return NULL;
	unsigned slot = sim_virtio.count++;
	sim_virtio.dev[slot] = (struct sim_virtio){.type = t, .model = model, .slot = slot};
	return &sim_virtio.dev[slot];
}

unsigned sim_virtio_count(void)
{
	return sim_virtio.count;
}

void *sim_virtio_model(const struct sim_virtio *v)
{
	return v->model;
}

uint64_t sim_virtio_features(const struct sim_virtio *v)
{
	return v->driver_features;
}

/* Drives the device's interrupt line from its interrupt status. */
static void virtio_update_line(struct sim_virtio *v)
{
	sim_gic_set_spi_level(GIC_FIRST_SPI + SIM_VIRTIO_FIRST_SPI + v->slot, v->int_status != 0);
}

void sim_virtio_break(struct sim_virtio *v, const char *why)
{
	if (v->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	sim_console_printf("amphi: %s@%llx: %s; the device needs a reset\n", v->type->name,
			   (unsigned long long)(SIM_VIRTIO_BASE + v->slot * SIM_VIRTIO_SIZE), why);
	v->status |= VIRTIO_STATUS_NEEDS_RESET;
	v->int_status |= VIRTIO_MMIO_INT_CONFIG;
	virtio_update_line(v);
}

void sim_virtio_config_changed(struct sim_virtio *v)
{
	v->config_generation++;
	v->int_status |= VIRTIO_MMIO_INT_CONFIG;
	virtio_update_line(v);
}

/* Writing 0 to the status: the device forgets its queues and features. */
static void virtio_reset(struct sim_virtio *v)
{
	v->status = v->int_status = 0;
	v->device_features_sel = v->driver_features_sel = v->queue_sel = 0;
	v->driver_features = 0;
	memset(v->q, 0, sizeof(v->q));
	virtio_update_line(v);
}

/* A status write: reset, or new bits; FEATURES_OK only sticks for features the device
 * offered, VERSION_1 among them. */
static void virtio_write_status(struct sim_virtio *v, uint32_t status)
{
	if (!status) {
		virtio_reset(v);
		return;
	}
	bool acceptable = !(v->driver_features & ~v->type->features) &&
			  (v->driver_features >> VIRTIO_F_VERSION_1 & 1);
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(v->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !acceptable)
		status &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	v->status = status | (v->status & VIRTIO_STATUS_NEEDS_RESET);
}

/* The selected queue, or NULL when the selector names none. */
static struct sim_vq *virtio_selected(struct sim_virtio *v)
{
	return v->queue_sel < v->type->queues ? &v->q[v->queue_sel] : NULL;
}

/* QueueReady = 1: checks that the three parts of the queue lie in RAM. */
static void virtio_queue_ready(struct sim_virtio *v, struct sim_vq *q)
{
	uint32_t n = q->num;

	if (!n || n > SIM_VIRTIO_QUEUE_MAX || (n & (n - 1))) {
		sim_virtio_break(v, "queue size is not a power of two up to 256");
		return;
	}
	q->desc_host = sim_ram_ptr(q->desc, 16ULL * n);
	q->avail_host = sim_ram_ptr(q->driver, 6ULL + 2 * n);
	q->used_host = sim_ram_ptr(q->device, 6ULL + 8 * n);
	if (!q->desc_host || !q->avail_host || !q->used_host || q->desc % 16 || q->driver % 2 ||
	    q->device % 4) {
		sim_virtio_break(v, "a queue lies outside RAM or is misaligned");
		return;
	}
	q->ready = true;
	q->last_avail = 0;
}

/* Adds one descriptor's buffer to c; false (after breaking v) when it is unusable. */
static bool virtio_chain_add(struct sim_virtio *v, struct sim_vq_chain *c,
			     const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *host = sim_ram_ptr(d->addr, d->len);

	if (d->flags & VIRTQ_DESC_F_INDIRECT)
		sim_virtio_break(v, "an indirect descriptor (not offered)");
	else if (!host)
		sim_virtio_break(v, "a buffer lies outside RAM");
	else if (c->writable && !writable)
		sim_virtio_break(v, "a device-readable buffer follows a writable one");
	else if (c->n == SIM_VQ_MAX_SEGS)
		sim_virtio_break(v, "a chain of more than 64 buffers");
	else {
		c->seg[c->n++] = (struct sim_vq_seg){host, d->len, writable};
		*(writable ? &c->writable : &c->readable) += d->len;
		return true;
	}
	return false;
}

/* Walks the chain at head into c; false (after breaking v) for a bad index or a loop. */
static bool virtio_chain_walk(struct sim_virtio *v, struct sim_vq *q, uint16_t head,
			      struct sim_vq_chain *c)
{
	struct virtq_desc d;
	uint32_t at = head;

	memset(c, 0, offsetof(struct sim_vq_chain, seg));
	for (unsigned steps = 0;; steps++) {
		if (at >= q->num || steps == q->num) {
			sim_virtio_break(v, at >= q->num ? "a descriptor index past the queue"
							  : "a descriptor chain loops");
			return false;
		}
		memcpy(&d, &q->desc_host[at], sizeof(d)); /* one snapshot: the guest may change it */
		if (!virtio_chain_add(v, c, &d))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		at = d.next;
	}
}

/* Serves every chain the driver made available on queue qi; true when any was used. */
static bool virtio_serve_queue(struct sim_virtio *v, unsigned qi)
{
	struct sim_vq *q = &v->q[qi];
	static struct sim_vq_chain c; /* under the machine lock */
	bool used = false;

	while (!(v->status & VIRTIO_STATUS_NEEDS_RESET)) {
		uint16_t avail = __atomic_load_n(&q->avail_host->idx, __ATOMIC_ACQUIRE);
		if (avail == q->last_avail)
			break;
		if ((uint16_t)(avail - q->last_avail) > q->num) {
			sim_virtio_break(v, "the available index ran more than a queue ahead");
			break;
		}
		uint16_t head = __atomic_load_n(&q->avail_host->ring[q->last_avail % q->num],
						__ATOMIC_RELAXED);
		if (!virtio_chain_walk(v, q, head, &c))
			break;
		long written = v->type->serve(v, qi, &c);
		if (written < 0) /* broken, or SIM_VQ_HOLD: the chain waits for the device */
			break;
		uint16_t idx = q->used_host->idx;
		q->used_host->ring[idx % q->num] = (struct virtq_used_elem){head, (uint32_t)written};
		__atomic_store_n(&q->used_host->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
		q->last_avail++;
		used = true;
	}
	return used;
}

void sim_virtio_serve(struct sim_virtio *v, unsigned qi)
{
	if (!(v->status & VIRTIO_STATUS_DRIVER_OK) || (v->status & VIRTIO_STATUS_NEEDS_RESET) ||
	    qi >= v->type->queues || !v->q[qi].ready)
		return;
	if (virtio_serve_queue(v, qi)) {
		v->int_status |= VIRTIO_MMIO_INT_VRING;
		virtio_update_line(v);
	}
}

/* QueueNotify: serves queue qi if the device is live. */
static void virtio_notify(struct sim_virtio *v, uint32_t qi)
{
	if (!(v->status & VIRTIO_STATUS_DRIVER_OK) || (v->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	if (qi >= v->type->queues || !v->q[qi].ready) {
		sim_virtio_break(v, "a notification for a queue that is not live");
		return;
	}
	sim_virtio_serve(v, qi);
}

/* Reads a register of the selected queue. */
static uint32_t virtio_read_queue(struct sim_virtio *v, uint64_t off)
{
	struct sim_vq *q = virtio_selected(v);

	if (!q)
		return 0;
	return off == VIRTIO_MMIO_QUEUE_NUM_MAX ? SIM_VIRTIO_QUEUE_MAX : q->ready;
}

/* Reads the register at off of device v. */
static uint32_t virtio_read_reg(struct sim_virtio *v, uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return v->type->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return SIM_VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return v->device_features_sel < 2
			   ? (uint32_t)(v->type->features >> (32 * v->device_features_sel))
			   : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_READY:
		return virtio_read_queue(v, off);
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return v->int_status;
	case VIRTIO_MMIO_STATUS:
		return v->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return v->config_generation;
	default:
		return 0;
	}
}

/* Sets the low or high half of a 64-bit queue address. */
static void virtio_set_half(uint64_t *addr, bool high, uint32_t val)
{
	*addr = high ? (*addr & 0xffffffffULL) | (uint64_t)val << 32
		     : (*addr & ~0xffffffffULL) | val;
}

/* Writes a register of the selected queue; a live queue's layout cannot change. */
static void virtio_write_queue(struct sim_virtio *v, uint64_t off, uint32_t val)
{
	struct sim_vq *q = virtio_selected(v);

	if (!q)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (val && !q->ready)
			virtio_queue_ready(v, q);
		else if (!val)
			q->ready = false;
		return;
	}
	if (q->ready)
		return;
	if (off == VIRTIO_MMIO_QUEUE_NUM)
		q->num = val;
	else if (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_DESC_HIGH)
		virtio_set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
	else if (off >= VIRTIO_MMIO_QUEUE_DRIVER_LOW && off <= VIRTIO_MMIO_QUEUE_DRIVER_HIGH)
		virtio_set_half(&q->driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
	else if (off >= VIRTIO_MMIO_QUEUE_DEVICE_LOW && off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH)
		virtio_set_half(&q->device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
}

/* Writes the register at off of device v. */
static void virtio_write_reg(struct sim_virtio *v, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		v->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (v->driver_features_sel < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK))
			virtio_set_half(&v->driver_features, v->driver_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		v->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		v->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_notify(v, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		v->int_status &= ~val;
		virtio_update_line(v);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_write_status(v, val);
		break;
	default:
		virtio_write_queue(v, off, val);
	}
}

/* The device of the window holding off, or NULL for an empty slot. */
static struct sim_virtio *virtio_at(uint64_t off)
{
	uint64_t slot = off / SIM_VIRTIO_SIZE;

	return slot < sim_virtio.count ? &sim_virtio.dev[slot] : NULL;
}

uint32_t sim_virtio_read(unsigned cpu, uint64_t off, unsigned size)
{
	struct sim_virtio *v = virtio_at(off);
	uint64_t reg = off % SIM_VIRTIO_SIZE;

	(void)cpu;
	if (!v)
		return reg == VIRTIO_MMIO_MAGIC_VALUE ? VIRTIO_MMIO_MAGIC
		       : reg == VIRTIO_MMIO_VERSION   ? 2
						      : 0; /* device ID 0: an empty slot */
	if (reg >= VIRTIO_MMIO_CONFIG)
		return v->type->config_read ? v->type->config_read(v, reg - VIRTIO_MMIO_CONFIG, size)
					    : 0;
	return size == 4 ? virtio_read_reg(v, reg) : 0;
}

void sim_virtio_write(unsigned cpu, uint64_t off, unsigned size, uint32_t val)
{
	struct sim_virtio *v = virtio_at(off);

	(void)cpu;
	if (v && size == 4 && off % SIM_VIRTIO_SIZE < VIRTIO_MMIO_CONFIG)
		virtio_write_reg(v, off % SIM_VIRTIO_SIZE, val);
}

bool sim_vq_each(const struct sim_vq_chain *c, bool writable, uint64_t off, uint64_t len,
		 bool (*fn)(uint8_t *host, uint32_t n, uint64_t at, void *arg), void *arg)
{
	uint64_t at = 0;

	for (unsigned i = 0; i < c->n && len; i++) {
		const struct sim_vq_seg *s = &c->seg[i];
		if (s->writable != writable)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t n = (uint32_t)(s->len - off < len ? s->len - off : len);
		if (!fn(s->host + off, n, at, arg))
			return false;
		at += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

/* Copy state for sim_vq_copy. */
struct vq_copy {
	uint8_t *buf;
	bool into_chain;
};

/* One piece of a copy. */
static bool vq_copy_piece(uint8_t *host, uint32_t n, uint64_t at, void *arg)
{
	struct vq_copy *cp = arg;

	if (cp->into_chain)
		memcpy(host, cp->buf + at, n);
	else
		memcpy(cp->buf + at, host, n);
	return true;
}

bool sim_vq_copy(const struct sim_vq_chain *c, bool writable, uint64_t off, void *buf,
		 uint64_t len, bool into_chain)
{
	struct vq_copy cp = {buf, into_chain};

	return sim_vq_each(c, writable, off, len, vq_copy_piece, &cp);
}
