/* virtio_ring.h: the split virtqueue layout in memory (virtio 1.2, section 2.7), shared
 * by the driver (devices/virtio) and the hosted machine's device models (sim/dev). Plain
 * fixed-width types only, so both sides may include it. */
#pragma once

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT 1	/* the chain continues in next */
#define VIRTQ_DESC_F_WRITE 2	/* the device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT 4 /* the buffer is a table of descriptors (not offered) */
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_ALIGN 4

struct virtq_desc {
	uint64_t addr; /* bus address */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event, unused without VIRTIO_F_EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id; /* head of the used chain */
	uint32_t len; /* bytes written into its device-writable buffers */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};
