/*
 * virtio-rng (virtio 1.2, section 5.4): one queue of device-writable buffers the device
 * fills with random bytes. At probe the driver asks for a pool's worth and waits for it;
 * the bytes seed the kernel's generator behind getrandom and /dev/urandom (random.h).
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/random.h>
#include <amphi/sync.h>
#include <amphi/virtio.h>

#include "virtio_internal.h"

#define RNG_SEED_BYTES 64
#define RNG_WAIT_NS 1000000000ULL /* a device that gives nothing in 1 s is left alone */

struct virtio_rng {
	struct completion filled;
	uint8_t buf[RNG_SEED_BYTES];
	uint32_t got;
};

/* Interrupt context: the device filled the buffer. */
static void rng_done(struct virtq *q)
{
	struct virtio_rng *rng = virtq_arg(q);
	uint32_t written;

	while (virtq_get_used(q, &written)) {
		rng->got = MIN(written, (uint32_t)sizeof(rng->buf));
		complete(&rng->filled);
	}
}

/* Asks the device for one buffer of bytes and feeds what it gave to the pool. */
static int rng_seed(struct virtio_dev *dev, struct virtq *q, struct virtio_rng *rng)
{
	struct virtq_buf buf = {rng->buf, sizeof(rng->buf), true};
	int err = virtq_add(q, &buf, 1, rng);

	if (err)
		return err;
	virtq_kick(q);
	if (wait_for_completion_until(&rng->filled, plat_time_ns() + RNG_WAIT_NS)) {
		kprintf("%s: no random bytes within 1 s\n", virtio_name(dev));
		return -ETIMEDOUT;
	}
	random_add_entropy(rng->buf, rng->got);
	kprintf("%s: virtio-rng, %u bytes seeded the random pool\n", virtio_name(dev), rng->got);
	return 0;
}

int virtio_rng_probe(struct virtio_dev *dev)
{
	struct virtio_rng *rng = kzalloc(sizeof(*rng));

	if (!rng)
		return -ENOMEM;
	completion_init(&rng->filled, "virtio-rng");
	struct virtq *q = virtio_queue_setup(dev, 0, 8, rng_done, rng);
	int err = q ? virtio_ready(dev, NULL) : -ENODEV;
	if (!err)
		err = rng_seed(dev, q, rng);
	if (err)
		kfree(rng); /* the transport resets the device first: it forgets the buffer */
	else
		virtio_set_priv(dev, rng);
	return err;
}
