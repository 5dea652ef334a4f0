/*
 * The virtio-mmio transport, version 2 (virtio 1.2, section 4.2): probing a register
 * window, the initialization sequence of section 3.1.1 (reset, ACKNOWLEDGE, DRIVER,
 * feature negotiation with VIRTIO_F_VERSION_1 required, FEATURES_OK, queues, DRIVER_OK),
 * queue setup, notifications, the interrupt and the config space. Legacy (version 1)
 * devices are refused: their queues use a page-number layout this driver does not speak.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/mmio.h>
#include <amphi/string.h>
#include <amphi/virtio.h>
#include <amphi/virtio_mmio.h>

#include "virtio_internal.h"

#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_CONFIG_RETRIES 16
#define VIRTIO_IRQ_ROUNDS 64 /* a status that never clears is a device bug: stop there */

struct virtio_dev {
	volatile void *regs;
	paddr_t base;
	unsigned irq;
	uint32_t device_id;
	uint64_t features; /* negotiated */
	char name[32];
	struct virtq *queues[VIRTIO_MAX_QUEUES];
	void (*config_changed)(struct virtio_dev *dev);
	bool reported_broken;
	bool irq_registered;
	void *priv;
};

/* The register at off. */
static volatile void *virtio_reg(const struct virtio_dev *dev, size_t off)
{
	return mmio_reg((volatile void *)dev->regs, off);
}

static uint32_t virtio_read(const struct virtio_dev *dev, size_t off)
{
	return mmio_read32(virtio_reg(dev, off));
}

static void virtio_write(const struct virtio_dev *dev, size_t off, uint32_t v)
{
	mmio_write32(virtio_reg(dev, off), v);
}

const char *virtio_name(const struct virtio_dev *dev)
{
	return dev->name;
}

uint32_t virtio_device_id(const struct virtio_dev *dev)
{
	return dev->device_id;
}

bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
	return bit < 64 && (dev->features >> bit & 1);
}

void virtio_set_priv(struct virtio_dev *dev, void *priv)
{
	dev->priv = priv;
}

void *virtio_priv(const struct virtio_dev *dev)
{
	return dev->priv;
}

uint8_t virtio_config_read8(struct virtio_dev *dev, size_t off)
{
	return mmio_read8(virtio_reg(dev, VIRTIO_MMIO_CONFIG + off));
}

uint32_t virtio_config_read32(struct virtio_dev *dev, size_t off)
{
	return virtio_read(dev, VIRTIO_MMIO_CONFIG + off);
}

uint64_t virtio_config_read64(struct virtio_dev *dev, size_t off)
{
	uint32_t lo, hi, gen;
	unsigned tries = 0;

	do {
		gen = virtio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = virtio_config_read32(dev, off);
		hi = virtio_config_read32(dev, off + 4);
	} while (gen != virtio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION) &&
		 ++tries < VIRTIO_CONFIG_RETRIES);
	return (uint64_t)hi << 32 | lo;
}

/* Adds bits to the device status. */
static void virtio_add_status(struct virtio_dev *dev, uint32_t bits)
{
	virtio_write(dev, VIRTIO_MMIO_STATUS, virtio_read(dev, VIRTIO_MMIO_STATUS) | bits);
}

bool virtio_broken(struct virtio_dev *dev)
{
	return virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

/* Resets the device: writing 0 stops it; it has reset once the status reads 0. */
static void virtio_reset(struct virtio_dev *dev)
{
	virtio_write(dev, VIRTIO_MMIO_STATUS, 0);
	while (virtio_read(dev, VIRTIO_MMIO_STATUS))
		arch_cpu_relax();
}

/* The 64 feature bits the device offers. */
static uint64_t virtio_device_features(struct virtio_dev *dev)
{
	virtio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = virtio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	virtio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return hi << 32 | virtio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
}

/* Accepts the offered features the driver knows (wanted), VERSION_1 required, and checks
 * that the device agrees (FEATURES_OK stays set). Returns 0 or -ENOTSUP. */
static int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
	uint64_t offered = virtio_device_features(dev);

	if (!(offered >> VIRTIO_F_VERSION_1 & 1)) {
		kprintf("%s: the device does not offer VIRTIO_F_VERSION_1; not supported\n",
			dev->name);
		return -ENOTSUP;
	}
	dev->features = offered & (wanted | 1ULL << VIRTIO_F_VERSION_1);
	virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev->features >> 32));
	virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)dev->features);
	virtio_add_status(dev, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		kprintf("%s: the device refused features %#llx\n", dev->name,
			(unsigned long long)dev->features);
		return -ENOTSUP;
	}
	return 0;
}

/* Notifies the device of queue q's new buffers. */
static void virtio_notify(struct virtq *q)
{
	struct virtio_dev *dev = virtq_transport(q);

	virtio_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, virtq_index(q));
}

/* Rounds n down to a power of two (n > 0). */
static unsigned virtio_pow2_floor(unsigned n)
{
	return 1u << (31 - __builtin_clz(n));
}

/* Writes a 64-bit bus address into a low/high register pair. */
static void virtio_write_addr(struct virtio_dev *dev, size_t low, paddr_t addr)
{
	virtio_write(dev, low, (uint32_t)addr);
	virtio_write(dev, low + 4, (uint32_t)(addr >> 32));
}

struct virtq *virtio_queue_setup(struct virtio_dev *dev, unsigned index, unsigned max,
				 virtq_done_t done, void *arg)
{
	if (index >= VIRTIO_MAX_QUEUES || dev->queues[index])
		return NULL;
	virtio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	uint32_t dev_max = virtio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (!dev_max || virtio_read(dev, VIRTIO_MMIO_QUEUE_READY)) {
		kprintf("%s: queue %u is missing or already live\n", dev->name, index);
		return NULL;
	}
	unsigned size = virtio_pow2_floor(MIN(MIN(max, dev_max), VIRTQ_MAX_SIZE));
	struct virtq *q = virtq_create(size, virtio_notify, dev, done, arg);
	if (!q) {
		kprintf("%s: no memory for queue %u\n", dev->name, index);
		return NULL;
	}
	virtq_set_index(q, index);
	paddr_t desc, avail, used;
	virtq_bus_addrs(q, &desc, &avail, &used);
	virtio_write(dev, VIRTIO_MMIO_QUEUE_NUM, size);
	virtio_write_addr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	virtio_write_addr(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, avail);
	virtio_write_addr(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, used);
	virtio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	dev->queues[index] = q;
	return q;
}

/* Reports a device that set DEVICE_NEEDS_RESET, once. */
static void virtio_report_broken(struct virtio_dev *dev)
{
	if (dev->reported_broken)
		return;
	dev->reported_broken = true;
	kprintf("%s: the device needs a reset; it is out of service\n", dev->name);
}

/* Acts on the interrupt causes in status: runs the callbacks of the device's queues and
 * reports config changes. */
static void virtio_handle_status(struct virtio_dev *dev, uint32_t status)
{
	if (status & VIRTIO_MMIO_INT_VRING)
		for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
			if (dev->queues[i])
				virtq_run_done(dev->queues[i]);
	if (!(status & VIRTIO_MMIO_INT_CONFIG))
		return;
	if (virtio_broken(dev))
		virtio_report_broken(dev);
	if (dev->config_changed)
		dev->config_changed(dev); /* it checks virtio_broken too */
	else if (!virtio_broken(dev))
		kprintf("%s: config change ignored\n", dev->name);
}

/* The device's interrupt: acknowledges and handles causes until none is left (an
 * edge-triggered line, as x86 GSIs are, would not fire again for causes set between the
 * read and the acknowledgement). */
static void virtio_interrupt(unsigned irq, void *arg)
{
	struct virtio_dev *dev = arg;
	uint32_t status;
	unsigned rounds = 0;

	(void)irq;
	while ((status = virtio_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS)) != 0 &&
	       rounds++ < VIRTIO_IRQ_ROUNDS) {
		virtio_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, status);
		virtio_handle_status(dev, status);
	}
}

int virtio_ready(struct virtio_dev *dev, void (*config_changed)(struct virtio_dev *dev))
{
	dev->config_changed = config_changed;
	int err = irq_register(dev->irq, dev->name, virtio_interrupt, dev);
	if (err) {
		kprintf("%s: cannot take interrupt %u (%d)\n", dev->name, dev->irq, err);
		return err;
	}
	dev->irq_registered = true;
	virtio_add_status(dev, VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

/* Undoes a failed probe: the device is reset (it forgets its queues and buffers) and
 * marked FAILED. */
static void virtio_abandon(struct virtio_dev *dev)
{
	if (dev->irq_registered)
		irq_unregister(dev->irq);
	virtio_reset(dev);
	virtio_add_status(dev, VIRTIO_STATUS_FAILED);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_destroy(dev->queues[i]);
	kfree(dev);
}

/* Checks the window's magic, device and version: 0 for a version 2 device, -ENOENT for an
 * empty slot (device ID 0: QEMU lays out 32 windows, most of them empty), -ENODEV with a
 * console line otherwise. */
static int virtio_check_window(volatile void *regs, paddr_t base)
{
	uint32_t magic = mmio_read32(mmio_reg(regs, VIRTIO_MMIO_MAGIC_VALUE));
	uint32_t version = mmio_read32(mmio_reg(regs, VIRTIO_MMIO_VERSION));

	if (magic != VIRTIO_MMIO_MAGIC) {
		kprintf("virtio-mmio@%llx: bad magic %#x\n", (unsigned long long)base, magic);
		return -ENODEV;
	}
	if (!mmio_read32(mmio_reg(regs, VIRTIO_MMIO_DEVICE_ID)))
		return -ENOENT;
	if (version != 2) {
		kprintf("virtio-mmio@%llx: %s version %u: not supported (version 2 only)\n",
			(unsigned long long)base, version == 1 ? "legacy device," : "device",
			version);
		return -ENODEV;
	}
	return 0;
}

/* A device record for the window at base, or NULL when out of memory. */
static struct virtio_dev *virtio_dev_new(volatile void *regs, paddr_t base, unsigned irq)
{
	struct virtio_dev *dev = kzalloc(sizeof(*dev));

	if (!dev)
		return NULL;
	dev->regs = regs;
	dev->base = base;
	dev->irq = irq;
	dev->device_id = mmio_read32(mmio_reg(regs, VIRTIO_MMIO_DEVICE_ID));
	ksnprintf(dev->name, sizeof(dev->name), "virtio-mmio@%llx", (unsigned long long)base);
	return dev;
}

int virtio_mmio_probe(paddr_t base, uint64_t size, unsigned irq)
{
	volatile void *regs = size >= VIRTIO_MMIO_CONFIG ? plat_mmio_map(base, size) : NULL;

	if (!regs) {
		kprintf("virtio-mmio@%llx: cannot map %#llx bytes of registers\n",
			(unsigned long long)base, (unsigned long long)size);
		return -EINVAL;
	}
	int err = virtio_check_window(regs, base);
	if (err)
		return err == -ENOENT ? 0 : err;
	struct virtio_dev *dev = virtio_dev_new(regs, base, irq);
	if (!dev)
		return -ENOMEM;
	const struct virtio_driver *drv = virtio_driver_for(dev->device_id);
	if (!drv) {
		kprintf("%s: no driver for device type %u\n", dev->name, dev->device_id);
		kfree(dev);
		return 0;
	}
	virtio_reset(dev);
	virtio_add_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	err = virtio_negotiate(dev, drv->features);
	if (!err)
		err = drv->probe(dev);
	if (err) {
		kprintf("%s: %s driver failed (%d)\n", dev->name, drv->name, err);
		virtio_abandon(dev);
	}
	return err;
}

/* The drivers, by device type. */
static const struct virtio_driver virtio_drivers[] = {
    {"virtio-rng", VIRTIO_ID_RNG, 0, virtio_rng_probe},
    {"virtio-blk", VIRTIO_ID_BLOCK, 1ULL << 5 | 1ULL << 9, virtio_blk_probe}, /* RO, FLUSH */
    {"virtio-gpu", VIRTIO_ID_GPU, 0, virtio_gpu_probe},
    {"virtio-input", VIRTIO_ID_INPUT, 0, virtio_input_probe},
};

const struct virtio_driver *virtio_driver_for(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(virtio_drivers); i++)
		if (virtio_drivers[i].device_id == id)
			return &virtio_drivers[i];
	return NULL;
}
