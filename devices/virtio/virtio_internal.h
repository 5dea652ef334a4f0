/* virtio_internal.h: between the files of devices/virtio: the driver table and the
 * transport's probe. */
#pragma once

#include <amphi/virtio.h>

/* A driver of one device type. */
struct virtio_driver {
	const char *name;
	uint32_t device_id;
	uint64_t features; /* feature bits it accepts besides VIRTIO_F_VERSION_1 */
	/* sets up the device's queues and calls virtio_ready; 0 or a negative errno */
	int (*probe)(struct virtio_dev *dev);
};

/* The driver of device type id, or NULL. */
const struct virtio_driver *virtio_driver_for(uint32_t id);

/* Probes the virtio-mmio window of size bytes at base, interrupting on irq, and binds its
 * device to its driver. Returns 0 (also for an empty slot or a type without a driver),
 * -ENODEV for no usable version 2 window, or the driver's error. */
int virtio_mmio_probe(paddr_t base, uint64_t size, unsigned irq);

/* Drivers' probe functions. */
int virtio_rng_probe(struct virtio_dev *dev);
int virtio_blk_probe(struct virtio_dev *dev);
int virtio_gpu_probe(struct virtio_dev *dev);
int virtio_input_probe(struct virtio_dev *dev);
