/*
 * Bad guest input to the hosted machine's virtio models, run only when named
 * (ktest=sim_virtio_models, booted with --disk FILE). Playing a faulty driver, the test
 * takes over the entropy device (slot 0, idle once its driver seeded the pool) and vda
 * (slot 1), plants broken rings and requests, and checks that each one marks the device
 * DEVICE_NEEDS_RESET and that a reset brings it back, while the host process lives on
 * (the memcheck and ASan runs of this suite check that nothing outside RAM is touched).
 * Interrupts stay masked throughout, so the drivers never see the devices change. First,
 * a resize of vda's backing disk, which the driver must refuse. Booted with a display too,
 * the last case takes over the GPU (the console stops drawing on it for good) and checks
 * the spec's error responses to bad commands, the breaks for malformed ones, and that a
 * transfer and flush put a resource's pixels on the display.
 */
#include <amphi/block.h>
#include <amphi/console.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/mmio.h>
#include <amphi/string.h>
#include <amphi/virtio_gpu.h>
#include <amphi/virtio_mmio.h>
#include <amphi/virtio_ring.h>

#include "sim.h"

#define TEST_QSIZE 8
#define TEST_LIVE (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)

/* A queue of TEST_QSIZE entries in one page, and a data page. */
struct test_ring {
	uint8_t *page, *data;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
};

/* The register at off of slot's window. */
static volatile void *test_reg(unsigned slot, size_t off)
{
	return (volatile void *)(uintptr_t)(SIM_VIRTIO_BASE + slot * SIM_VIRTIO_SIZE + off);
}

static uint32_t test_read(unsigned slot, size_t off)
{
	return mmio_read32(test_reg(slot, off));
}

static void test_write(unsigned slot, size_t off, uint32_t v)
{
	mmio_write32(test_reg(slot, off), v);
}

/* Resets slot's device and brings it up with queue 0 at the given bus addresses. */
static void test_bring_up(unsigned slot, uint64_t desc, uint64_t avail, uint64_t used)
{
	test_write(slot, VIRTIO_MMIO_STATUS, 0);
	test_write(slot, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	test_write(slot, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	test_write(slot, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	test_write(slot, VIRTIO_MMIO_STATUS, TEST_LIVE);
	test_write(slot, VIRTIO_MMIO_QUEUE_SEL, 0);
	test_write(slot, VIRTIO_MMIO_QUEUE_NUM, TEST_QSIZE);
	test_write(slot, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	test_write(slot, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	test_write(slot, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	test_write(slot, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	test_write(slot, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	test_write(slot, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	test_write(slot, VIRTIO_MMIO_QUEUE_READY, 1);
	test_write(slot, VIRTIO_MMIO_STATUS, TEST_LIVE | VIRTIO_STATUS_DRIVER_OK);
}

/* Allocates r's queue page and data page; false when out of memory. */
static bool test_ring_alloc(struct test_ring *r)
{
	r->page = page_alloc(0);
	r->data = page_alloc(0);
	if (!r->page || !r->data)
		return false;
	r->desc = (void *)r->page;
	r->avail = (void *)(r->page + 16 * TEST_QSIZE);
	r->used = (void *)(r->page + 1024);
	return true;
}

/* Frees r's pages. */
static void test_ring_free(struct test_ring *r)
{
	page_free(r->page, 0);
	page_free(r->data, 0);
}

/* Clears the ring and brings slot's device up on it. */
static void test_ring_reset(unsigned slot, struct test_ring *r)
{
	memset(r->page, 0, SIM_PAGE_SIZE);
	test_bring_up(slot, plat_virt_to_phys(r->desc), plat_virt_to_phys(r->avail),
		      plat_virt_to_phys(r->used));
}

/* Publishes chain head and notifies; true when the device then needs a reset. */
static bool test_kick_breaks(unsigned slot, struct test_ring *r, uint16_t head)
{
	r->avail->ring[r->avail->idx % TEST_QSIZE] = head;
	r->avail->idx++;
	test_write(slot, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return test_read(slot, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

/* Descriptor i: len bytes at bus address addr, flags, next. */
static void test_desc(struct test_ring *r, unsigned i, uint64_t addr, uint32_t len,
		      uint16_t flags, uint16_t next)
{
	r->desc[i] = (struct virtq_desc){addr, len, flags, next};
}

/* A good request to the entropy device is served: the device works (again). */
static void test_rng_serves(struct ktest *t, struct test_ring *r)
{
	test_ring_reset(0, r);
	test_desc(r, 0, plat_virt_to_phys(r->data), 32, VIRTQ_DESC_F_WRITE, 0);
	KTEST_EXPECT(t, !test_kick_breaks(0, r, 0));
	KTEST_EXPECT_EQ(t, r->used->idx, 1);
	KTEST_EXPECT_EQ(t, r->used->ring[0].len, 32);
	KTEST_EXPECT(t, test_read(0, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
}

/* Each planted fault breaks the entropy device; a reset mends it. */
static void test_rng_faults(struct ktest *t, struct test_ring *r)
{
	uint64_t data = plat_virt_to_phys(r->data);

	test_ring_reset(0, r); /* a chain that loops */
	test_desc(r, 0, data, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	test_desc(r, 1, data, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	KTEST_EXPECT(t, test_read(0, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	test_rng_serves(t, r);

	test_ring_reset(0, r); /* a buffer below RAM */
	test_desc(r, 0, 0x1000, 8, VIRTQ_DESC_F_WRITE, 0);
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	test_ring_reset(0, r); /* a buffer running off the end of RAM */
	test_desc(r, 0, data, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	test_ring_reset(0, r); /* a head past the queue */
	KTEST_EXPECT(t, test_kick_breaks(0, r, 200));
	test_ring_reset(0, r); /* a next past the queue */
	test_desc(r, 0, data, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 9);
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	test_ring_reset(0, r); /* the available index far ahead */
	r->avail->idx = TEST_QSIZE + 2;
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	test_ring_reset(0, r); /* an indirect table (not offered) */
	test_desc(r, 0, data, 16, VIRTQ_DESC_F_INDIRECT, 0);
	KTEST_EXPECT(t, test_kick_breaks(0, r, 0));
	test_bring_up(0, 0x10, 0, 0); /* rings outside RAM */
	KTEST_EXPECT(t, test_read(0, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	test_rng_serves(t, r);
}

/* Block requests without a header or a status byte break vda's device. */
static void test_blk_faults(struct ktest *t, struct test_ring *r)
{
	uint64_t data = plat_virt_to_phys(r->data);

	KTEST_ASSERT(t, test_read(1, VIRTIO_MMIO_DEVICE_ID) == 2);
	test_ring_reset(1, r); /* an 8-byte header */
	test_desc(r, 0, data, 8, VIRTQ_DESC_F_NEXT, 1);
	test_desc(r, 1, data + 64, 1, VIRTQ_DESC_F_WRITE, 0);
	KTEST_EXPECT(t, test_kick_breaks(1, r, 0));
	test_ring_reset(1, r); /* no status byte */
	test_desc(r, 0, data, 16, 0, 0);
	KTEST_EXPECT(t, test_kick_breaks(1, r, 0));
	test_ring_reset(1, r); /* a read past the end fails alone: status IOERR */
	memset(r->data, 0, 16);
	r->data[0] = 0;				 /* VIRTIO_BLK_T_IN */
	memset(r->data + 8, 0xff, 8);		 /* sector 2^64 - 1 */
	test_desc(r, 0, data, 16, VIRTQ_DESC_F_NEXT, 1);
	test_desc(r, 1, data + 512, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	test_desc(r, 2, data + 64, 1, VIRTQ_DESC_F_WRITE, 0);
	KTEST_EXPECT(t, !test_kick_breaks(1, r, 0));
	KTEST_EXPECT_EQ(t, r->data[64], 1); /* VIRTIO_BLK_S_IOERR */
}

/* Runs the faults with interrupts masked, then leaves both devices reset and quiet. */
static void sim_virtio_bad_rings(struct ktest *t)
{
	struct test_ring r;

	if (sim_virtio_count() < 2) {
		ktest_skip(t, "boot with --disk FILE");
		return;
	}
	KTEST_ASSERT(t, test_ring_alloc(&r));
	irqflags_t flags = plat_irq_save();
	test_rng_faults(t, &r);
	test_blk_faults(t, &r);
	test_write(0, VIRTIO_MMIO_STATUS, 0);
	test_write(1, VIRTIO_MMIO_STATUS, 0);
	plat_irq_restore(flags);
	test_ring_free(&r);
}

/* A disk grown by the host: the driver refuses the new capacity (a console line) and the
 * disk keeps its size; the device itself reports the new one. */
static void sim_virtio_blk_resize(struct ktest *t)
{
	struct block_device *bd = block_get_by_name("vda");

	if (!bd) {
		ktest_skip(t, "boot with --disk FILE");
		return;
	}
	uint64_t sectors = bd->sectors;
	sim_lock();
	bool resized = sim_blk_resize(0, sectors + 8);
	sim_unlock();
	KTEST_EXPECT(t, resized);
	irqflags_t flags = plat_irq_save();
	plat_irq_restore(flags); /* the config interrupt is taken here */
	KTEST_EXPECT_EQ(t, bd->sectors, sectors);
	KTEST_EXPECT_EQ(t, mmio_read32(test_reg(1, VIRTIO_MMIO_CONFIG)), (uint32_t)(sectors + 8));
	KTEST_EXPECT_EQ(t, test_read(1, VIRTIO_MMIO_INTERRUPT_STATUS), 0); /* acknowledged */
	uint8_t *buf = kmalloc(BLOCK_SECTOR_SIZE);
	if (buf) /* the disk still works at its old size */
		KTEST_EXPECT_EQ(t, block_rw(bd, BLOCK_READ, sectors - 1, 1, buf), 0);
	kfree(buf);
	sim_lock();
	sim_blk_resize(0, sectors);
	sim_unlock();
	block_put(bd);
}

#define GPU_RESP_OFF 1024 /* in the data page: the command at 0, the response here */
#define GPU_PIXELS_OFF 2048 /* and a 4x4 resource's backing here */

/* Sends the len-byte GPU command at r->data with a resp_len-byte response buffer; the
 * response's type, or 0 when the device broke instead. */
static uint32_t test_gpu_cmd(unsigned slot, struct test_ring *r, uint32_t len, uint32_t resp_len)
{
	uint64_t data = plat_virt_to_phys(r->data);
	uint16_t head = (uint16_t)(r->avail->idx * 2 % TEST_QSIZE);

	memset(r->data + GPU_RESP_OFF, 0, resp_len);
	test_desc(r, head, data, len, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	test_desc(r, head + 1, data + GPU_RESP_OFF, resp_len, VIRTQ_DESC_F_WRITE, 0);
	if (test_kick_breaks(slot, r, head))
		return 0;
	return ((struct virtio_gpu_ctrl_hdr *)(r->data + GPU_RESP_OFF))->type;
}

/* Writes command c (len bytes, of type) at r->data and sends it; its response type. */
static uint32_t test_gpu(unsigned slot, struct test_ring *r, uint32_t type, void *c, uint32_t len)
{
	((struct virtio_gpu_ctrl_hdr *)c)->type = type;
	memcpy(r->data, c, len);
	return test_gpu_cmd(slot, r, len, sizeof(struct virtio_gpu_ctrl_hdr));
}

/* The slot of the GPU, or -1. */
static int test_gpu_slot(void)
{
	for (unsigned slot = 0; slot < sim_virtio_count(); slot++)
		if (test_read(slot, VIRTIO_MMIO_DEVICE_ID) == 16)
			return (int)slot;
	return -1;
}

/* Bad resource ids, formats, backing and rectangles get the spec's error responses. */
static void test_gpu_errors(struct ktest *t, unsigned s, struct test_ring *r)
{
	struct virtio_gpu_resource_create_2d c = {.resource_id = 0, .format = 2, .width = 4,
						  .height = 4};
	uint32_t create = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D;

	KTEST_EXPECT_EQ(t, test_gpu(s, r, create, &c, sizeof(c)),
			VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	c.resource_id = 7;
	c.format = 99;
	KTEST_EXPECT_EQ(t, test_gpu(s, r, create, &c, sizeof(c)),
			VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	c.format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
	KTEST_EXPECT_EQ(t, test_gpu(s, r, create, &c, sizeof(c)), VIRTIO_GPU_RESP_OK_NODATA);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, create, &c, sizeof(c)),
			VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); /* taken */
	struct {
		struct virtio_gpu_resource_attach_backing a;
		struct virtio_gpu_mem_entry e;
	} ab = {{.resource_id = 7, .nr_entries = 1}, {.addr = 0x1000, .length = 64}};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, &ab, sizeof(ab)),
			VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); /* below RAM */
	struct virtio_gpu_transfer_to_host_2d x = {.r = {0, 0, 4, 4}, .resource_id = 7};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, &x, sizeof(x)),
			VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); /* no backing yet */
	ab.e = (struct virtio_gpu_mem_entry){plat_virt_to_phys(r->data + GPU_PIXELS_OFF), 32, 0};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, &ab, sizeof(ab)),
			VIRTIO_GPU_RESP_OK_NODATA);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, &x, sizeof(x)),
			VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); /* 64 bytes from a 32-byte backing */
	x.r = (struct virtio_gpu_rect){2, 2, 4, 1};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, &x, sizeof(x)),
			VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); /* past the right edge */
	struct virtio_gpu_set_scanout so = {.r = {0, 0, 4, 4}, .scanout_id = 5, .resource_id = 7};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_SET_SCANOUT, &so, sizeof(so)),
			VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	struct virtio_gpu_ctrl_hdr h = {0};
	KTEST_EXPECT_EQ(t, test_gpu(s, r, 0x0300, &h, sizeof(h)), VIRTIO_GPU_RESP_ERR_UNSPEC);
}

/* Commands too short for their structure, or without room for the response, break the
 * device; a reset mends it. */
static void test_gpu_breaks(struct ktest *t, unsigned s, struct test_ring *r)
{
	struct virtio_gpu_ctrl_hdr h = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D};

	memcpy(r->data, &h, sizeof(h));
	KTEST_EXPECT_EQ(t, test_gpu_cmd(s, r, sizeof(h), sizeof(h)), 0);
	test_ring_reset(s, r);
	h.type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO;
	memcpy(r->data, &h, sizeof(h));
	KTEST_EXPECT_EQ(t, test_gpu_cmd(s, r, sizeof(h), sizeof(h)), 0); /* no room for it */
	test_ring_reset(s, r);
	KTEST_EXPECT_EQ(t, test_gpu_cmd(s, r, sizeof(h), sizeof(struct virtio_gpu_resp_display_info)),
			VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
}

/* A 4x4 resource on the scanout: after a transfer and a flush, the display's top-left
 * corner holds its pixels. */
static void test_gpu_draws(struct ktest *t, unsigned s, struct test_ring *r)
{
	struct virtio_gpu_resource_create_2d c = {.resource_id = 9, .format = 2, .width = 4,
						  .height = 4};
	struct {
		struct virtio_gpu_resource_attach_backing a;
		struct virtio_gpu_mem_entry e;
	} ab = {{.resource_id = 9, .nr_entries = 1},
		{plat_virt_to_phys(r->data + GPU_PIXELS_OFF), 64, 0}};
	struct virtio_gpu_set_scanout so = {.r = {0, 0, 4, 4}, .resource_id = 9};
	struct virtio_gpu_transfer_to_host_2d x = {.r = {0, 0, 4, 4}, .resource_id = 9};
	struct virtio_gpu_resource_flush f = {.r = {0, 0, 4, 4}, .resource_id = 9};
	uint32_t *px = (uint32_t *)(r->data + GPU_PIXELS_OFF), ok = VIRTIO_GPU_RESP_OK_NODATA;

	for (unsigned i = 0; i < 16; i++)
		px[i] = 0x00102030u * (i + 1) & 0x00ffffffu;
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, &c, sizeof(c)), ok);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, &ab, sizeof(ab)), ok);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_SET_SCANOUT, &so, sizeof(so)), ok);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, &x, sizeof(x)), ok);
	KTEST_EXPECT_EQ(t, test_gpu(s, r, VIRTIO_GPU_CMD_RESOURCE_FLUSH, &f, sizeof(f)), ok);
	struct virtio_gpu_resp_display_info *info = (void *)(r->data + GPU_RESP_OFF);
	memcpy(r->data, &(struct virtio_gpu_ctrl_hdr){.type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO},
	       sizeof(struct virtio_gpu_ctrl_hdr));
	KTEST_ASSERT(t, test_gpu_cmd(s, r, sizeof(struct virtio_gpu_ctrl_hdr), sizeof(*info)) ==
			    VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	uint32_t width = info->pmodes[0].r.width, height = info->pmodes[0].r.height;
	uint32_t *shown = kmalloc((size_t)width * height * 4);
	uint64_t seen = UINT64_MAX;
	KTEST_ASSERT(t, shown && sim_gpu_display_copy(shown, &seen));
	for (unsigned i = 0; i < 16; i++)
		KTEST_EXPECT_EQ(t, shown[(i / 4) * width + i % 4], px[i]);
	kfree(shown);
}

/* Takes the GPU over from its driver (the console stops drawing on it first) and runs
 * the command checks with interrupts masked; leaves it reset. */
static void sim_virtio_gpu_commands(struct ktest *t)
{
	int slot = test_gpu_slot();
	struct test_ring r;

	if (slot < 0) {
		ktest_skip(t, "boot with --display offscreen");
		return;
	}
	irqflags_t cflags = console_lock();
	console_set_mirror(NULL);
	console_unlock(cflags);
	KTEST_ASSERT(t, test_ring_alloc(&r));
	irqflags_t flags = plat_irq_save();
	test_ring_reset((unsigned)slot, &r);
	test_gpu_errors(t, (unsigned)slot, &r);
	test_gpu_breaks(t, (unsigned)slot, &r);
	test_gpu_draws(t, (unsigned)slot, &r);
	test_write((unsigned)slot, VIRTIO_MMIO_STATUS, 0);
	plat_irq_restore(flags);
	test_ring_free(&r);
}

static const struct ktest_case sim_virtio_cases[] = {
    KTEST_CASE(sim_virtio_blk_resize),
    KTEST_CASE(sim_virtio_bad_rings),
    KTEST_CASE(sim_virtio_gpu_commands),
    {0},
};
KTEST_SUITE_MANUAL(sim_virtio_suite, "sim_virtio_models", sim_virtio_cases);
