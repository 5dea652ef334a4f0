/*
 * ktest: the split virtqueue against the layout of virtio 1.2 section 2.7. The test plays
 * the device: it finds the rings through their bus addresses, as a device does, reads the
 * descriptors and the available ring, and writes used entries.
 */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/virtio.h>
#include <amphi/virtio_ring.h>

#define TEST_QSIZE 8

static unsigned notified;

static void test_notify(struct virtq *q)
{
	(void)q;
	notified++;
}

/* The device's view of a queue: its three parts through their bus addresses. */
struct test_device {
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;
};

static struct virtq *test_queue(struct test_device *d)
{
	struct virtq *q = virtq_create(TEST_QSIZE, test_notify, NULL, NULL, NULL);
	paddr_t desc, avail, used;

	if (!q)
		return NULL;
	virtq_bus_addrs(q, &desc, &avail, &used);
	*d = (struct test_device){plat_phys_to_virt(desc), plat_phys_to_virt(avail),
				  plat_phys_to_virt(used), 0};
	notified = 0;
	return q;
}

/* The device takes the next available chain head, or -1. */
static int test_take(struct test_device *d)
{
	if (d->avail->idx == d->last_avail)
		return -1;
	return d->avail->ring[d->last_avail++ % TEST_QSIZE];
}

/* The device reports chain head used, with written bytes. */
static void test_use(struct test_device *d, uint32_t head, uint32_t written)
{
	d->used->ring[d->used->idx % TEST_QSIZE] = (struct virtq_used_elem){head, written};
	d->used->idx++;
}

/* Sizes must be powers of two up to the maximum. */
static void virtq_sizes(struct ktest *t)
{
	KTEST_EXPECT(t, !virtq_create(0, test_notify, NULL, NULL, NULL));
	KTEST_EXPECT(t, !virtq_create(6, test_notify, NULL, NULL, NULL));
	KTEST_EXPECT(t, !virtq_create(VIRTQ_MAX_SIZE * 2, test_notify, NULL, NULL, NULL));
	struct virtq *q = virtq_create(VIRTQ_MAX_SIZE, test_notify, NULL, NULL, NULL);
	KTEST_ASSERT(t, q);
	KTEST_EXPECT_EQ(t, virtq_size(q), VIRTQ_MAX_SIZE);
	KTEST_EXPECT_EQ(t, virtq_free_count(q), VIRTQ_MAX_SIZE);
	paddr_t desc, avail, used;
	virtq_bus_addrs(q, &desc, &avail, &used);
	KTEST_EXPECT(t, IS_ALIGNED(desc, 16) && IS_ALIGNED(avail, 2) && IS_ALIGNED(used, 4));
	KTEST_EXPECT(t, avail >= desc + 16 * VIRTQ_MAX_SIZE);
	KTEST_EXPECT(t, used >= avail + 4 + 2 * VIRTQ_MAX_SIZE);
	virtq_destroy(q);
}

/* A chain of two device-readable buffers and one writable one, as the device sees it. */
static void virtq_chain_layout(struct ktest *t)
{
	struct test_device d;
	struct virtq *q = test_queue(&d);
	uint8_t *mem = kmalloc(96);
	KTEST_ASSERT(t, q && mem);
	struct virtq_buf bufs[3] = {{mem, 16, false}, {mem + 16, 32, false}, {mem + 48, 48, true}};
	KTEST_EXPECT_EQ(t, virtq_add(q, bufs, 3, mem), 0);
	KTEST_EXPECT_EQ(t, virtq_free_count(q), TEST_QSIZE - 3);
	KTEST_EXPECT_EQ(t, notified, 0); /* add alone never notifies */
	int head = test_take(&d);
	KTEST_ASSERT(t, head >= 0 && head < TEST_QSIZE);
	unsigned at = (unsigned)head;
	for (unsigned i = 0; i < 3; i++) {
		paddr_t bus;
		plat_dma_map(bufs[i].addr, bufs[i].len, &bus);
		KTEST_EXPECT_EQ(t, d.desc[at].addr, bus);
		KTEST_EXPECT_EQ(t, d.desc[at].len, bufs[i].len);
		KTEST_EXPECT_EQ(t, !!(d.desc[at].flags & VIRTQ_DESC_F_WRITE), i == 2);
		KTEST_EXPECT_EQ(t, !!(d.desc[at].flags & VIRTQ_DESC_F_NEXT), i < 2);
		at = d.desc[at].next;
		KTEST_ASSERT(t, i == 2 || at < TEST_QSIZE);
	}
	KTEST_EXPECT_EQ(t, test_take(&d), -1);
	virtq_kick(q);
	KTEST_EXPECT_EQ(t, notified, 1);
	virtq_kick(q); /* nothing new */
	KTEST_EXPECT_EQ(t, notified, 1);
	uint32_t written = 0;
	KTEST_EXPECT(t, virtq_get_used(q, &written) == NULL);
	test_use(&d, (uint32_t)head, 40);
	KTEST_EXPECT(t, virtq_get_used(q, &written) == mem);
	KTEST_EXPECT_EQ(t, written, 40);
	KTEST_EXPECT_EQ(t, virtq_free_count(q), TEST_QSIZE);
	KTEST_EXPECT(t, virtq_get_used(q, &written) == NULL);
	virtq_destroy(q);
	kfree(mem);
}

/* Bad requests get an error and change nothing. */
static void virtq_bad_adds(struct ktest *t)
{
	struct test_device d;
	struct virtq *q = test_queue(&d);
	uint8_t *mem = kmalloc(64);
	KTEST_ASSERT(t, q && mem);
	struct virtq_buf wr_then_rd[2] = {{mem, 8, true}, {mem + 8, 8, false}};
	KTEST_EXPECT_EQ(t, virtq_add(q, wr_then_rd, 2, mem), -EINVAL);
	KTEST_EXPECT_EQ(t, virtq_add(q, wr_then_rd, 0, mem), -EINVAL);
	KTEST_EXPECT_EQ(t, virtq_add(q, wr_then_rd, 1, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, virtq_add(q, wr_then_rd, TEST_QSIZE + 1, mem), -EINVAL);
	uint8_t on_stack[8];
	paddr_t bus;
	struct virtq_buf stack_buf = {on_stack, sizeof(on_stack), true};
	if (plat_dma_map(on_stack, sizeof(on_stack), &bus)) /* hosted: stacks are not RAM */
		KTEST_EXPECT_EQ(t, virtq_add(q, &stack_buf, 1, mem), -EFAULT);
	KTEST_EXPECT_EQ(t, virtq_free_count(q), TEST_QSIZE);
	KTEST_EXPECT_EQ(t, test_take(&d), -1);
	struct virtq_buf one = {mem, 8, false};
	for (unsigned i = 0; i < TEST_QSIZE; i++)
		KTEST_EXPECT_EQ(t, virtq_add(q, &one, 1, mem + i), 0);
	KTEST_EXPECT_EQ(t, virtq_add(q, &one, 1, mem), -ENOSPC);
	virtq_destroy(q);
	kfree(mem);
}

/* Several chains in flight, used out of order, over many laps of the 16-bit indexes. */
static void virtq_out_of_order_laps(struct ktest *t)
{
	struct test_device d;
	struct virtq *q = test_queue(&d);
	uint8_t *mem = kmalloc(TEST_QSIZE);
	KTEST_ASSERT(t, q && mem);
	for (unsigned lap = 0; lap < 9000 && !ktest_failed(t); lap++) {
		int heads[3];
		for (unsigned i = 0; i < 3; i++) {
			struct virtq_buf b = {mem + i, 1, true};
			KTEST_EXPECT_EQ(t, virtq_add(q, &b, 1, mem + i), 0);
		}
		virtq_kick(q);
		for (unsigned i = 0; i < 3; i++)
			heads[i] = test_take(&d);
		for (int i = 2; i >= 0; i--) /* the device finishes the last first */
			test_use(&d, (uint32_t)heads[i], (uint32_t)i);
		for (int i = 2; i >= 0; i--) {
			uint32_t written = 99;
			KTEST_EXPECT(t, virtq_get_used(q, &written) == mem + i);
			KTEST_EXPECT_EQ(t, written, i);
		}
		KTEST_EXPECT_EQ(t, virtq_free_count(q), TEST_QSIZE);
	}
	KTEST_EXPECT_EQ(t, notified, 9000);
	virtq_destroy(q);
	kfree(mem);
}

/* The device may ask not to be notified. */
static void virtq_no_notify(struct ktest *t)
{
	struct test_device d;
	struct virtq *q = test_queue(&d);
	uint8_t *mem = kmalloc(8);
	KTEST_ASSERT(t, q && mem);
	d.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	struct virtq_buf b = {mem, 8, false};
	KTEST_EXPECT_EQ(t, virtq_add(q, &b, 1, mem), 0);
	virtq_kick(q);
	KTEST_EXPECT_EQ(t, notified, 0);
	virtq_destroy(q);
	kfree(mem);
}

/* A device that reports a chain nobody gave it breaks the queue, without a crash. */
static void virtq_bad_device(struct ktest *t)
{
	struct test_device d;
	struct virtq *q = test_queue(&d);
	uint8_t *mem = kmalloc(8);
	KTEST_ASSERT(t, q && mem);
	struct virtq_buf b = {mem, 8, false};
	KTEST_EXPECT_EQ(t, virtq_add(q, &b, 1, mem), 0);
	int head = test_take(&d);
	test_use(&d, (uint32_t)(head + 1) % TEST_QSIZE, 0); /* not outstanding */
	uint32_t written;
	KTEST_EXPECT(t, virtq_get_used(q, &written) == NULL);
	KTEST_EXPECT(t, virtq_broken(q));
	KTEST_EXPECT_EQ(t, virtq_add(q, &b, 1, mem), -EIO);
	virtq_destroy(q);

	q = test_queue(&d);
	KTEST_ASSERT(t, q);
	d.used->idx = TEST_QSIZE + 1; /* more entries than the ring holds */
	KTEST_EXPECT(t, virtq_get_used(q, &written) == NULL);
	KTEST_EXPECT(t, virtq_broken(q));
	virtq_destroy(q);
	kfree(mem);
}

static const struct ktest_case virtq_cases[] = {
    KTEST_CASE(virtq_sizes),	      KTEST_CASE(virtq_chain_layout), KTEST_CASE(virtq_bad_adds),
    KTEST_CASE(virtq_out_of_order_laps), KTEST_CASE(virtq_no_notify),	  KTEST_CASE(virtq_bad_device),
    {0},
};
KTEST_SUITE(virtq_suite, "virtq", virtq_cases);
