/*
 * ktest: virtio-blk through the block layer, on the disks the machine was booted with
 * (hosted: --disk SCRATCH --disk ANY,ro; QEMU: two virtio-blk-device drives, the second
 * read-only). vda is overwritten. Requests are submitted while interrupts are masked, so
 * a queue's worth is outstanding at once and completes from one interrupt; more than a
 * queue's worth makes submitters wait for room.
 */
#include <amphi/atomic.h>
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/sync.h>

#define TEST_REQS 40	    /* outstanding at once (the driver takes 42 in a queue of 128) */
#define TEST_MANY_REQS 150  /* more than a queue holds */
#define TEST_SECTORS 8	    /* per request */
#define TEST_WAIT_NS 10000000000ULL

struct test_batch {
	struct block_request req[TEST_MANY_REQS];
	uint8_t *buf[TEST_MANY_REQS];
	unsigned done;
	struct completion all;
	unsigned want;
};

/* Any context: one request of the batch completed. */
static void test_done(struct block_request *req)
{
	struct test_batch *b = req->priv;

	if (__atomic_add_fetch(&b->done, 1, __ATOMIC_ACQ_REL) == b->want)
		complete(&b->all);
}

/* The byte at offset i of request n's data in round seed. */
static uint8_t test_byte(unsigned n, size_t i, unsigned seed)
{
	return (uint8_t)(n * 31 + i * 7 + seed);
}

/* Submits n requests of op (request i at sector 16 * i), interrupts masked while
 * submitting when masked; waits for all. Returns false on a submit error or timeout. */
static bool test_run(struct ktest *t, struct block_device *bd, struct test_batch *b, unsigned n,
		     enum block_op op, bool masked)
{
	b->done = 0;
	b->want = n;
	completion_init(&b->all, "virtio-blk test");
	irqflags_t flags = masked ? plat_irq_save() : 0;
	for (unsigned i = 0; i < n; i++) {
		b->req[i] = (struct block_request){.op = op,
						   .sector = 16ULL * i,
						   .count = TEST_SECTORS,
						   .buf = b->buf[i],
						   .done = test_done,
						   .priv = b};
		int err = block_submit(bd, &b->req[i]);
		KTEST_EXPECT_EQ(t, err, 0);
		if (err)
			b->want--;
	}
	if (masked)
		plat_irq_restore(flags);
	return b->want == 0 ||
	       !wait_for_completion_until(&b->all, plat_time_ns() + TEST_WAIT_NS);
}

/* Allocates the batch's buffers; false when out of memory. */
static bool test_batch_init(struct test_batch *b)
{
	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < TEST_MANY_REQS; i++)
		if (!(b->buf[i] = kmalloc(TEST_SECTORS * BLOCK_SECTOR_SIZE)))
			return false;
	return true;
}

static void test_batch_free(struct test_batch *b)
{
	for (unsigned i = 0; i < TEST_MANY_REQS; i++)
		kfree(b->buf[i]);
	kfree(b);
}

/* Writes n patterned requests, reads them back into cleared buffers and compares. */
static void test_write_read(struct ktest *t, struct block_device *bd, struct test_batch *b,
			    unsigned n, bool masked, unsigned seed)
{
	size_t len = TEST_SECTORS * BLOCK_SECTOR_SIZE;

	for (unsigned i = 0; i < n; i++)
		for (size_t j = 0; j < len; j++)
			b->buf[i][j] = test_byte(i, j, seed);
	KTEST_ASSERT(t, test_run(t, bd, b, n, BLOCK_WRITE, masked));
	for (unsigned i = 0; i < n; i++) {
		KTEST_EXPECT_EQ(t, b->req[i].status, 0);
		memset(b->buf[i], 0, len);
	}
	KTEST_ASSERT(t, test_run(t, bd, b, n, BLOCK_READ, masked));
	unsigned bad = 0;
	for (unsigned i = 0; i < n; i++) {
		KTEST_EXPECT_EQ(t, b->req[i].status, 0);
		for (size_t j = 0; j < len; j++)
			bad += b->buf[i][j] != test_byte(i, j, seed);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* vda, or NULL after skipping the case when the machine has none big enough. */
static struct block_device *test_disk(struct ktest *t, const char *name)
{
	struct block_device *bd = block_get_by_name(name);

	if (bd && bd->sectors >= 16ULL * TEST_MANY_REQS)
		return bd;
	if (bd)
		block_put(bd);
	ktest_skip(t, "no virtio disk of 1.2 MiB (boot with --disk FILE, or a QEMU drive)");
	return NULL;
}

/* Writes and reads back n requests on vda (see test_write_read). */
static void test_batch_case(struct ktest *t, unsigned n, bool masked, unsigned seed)
{
	struct block_device *bd = test_disk(t, "vda");
	struct test_batch *b = bd ? kmalloc(sizeof(*b)) : NULL;

	if (!bd)
		return;
	if (b && test_batch_init(b))
		test_write_read(t, bd, b, n, masked, seed);
	else
		ktest_fail(t, __FILE__, __LINE__, "out of memory");
	if (b)
		test_batch_free(b);
	block_put(bd);
}

/* A queue's worth of writes, then of reads, all outstanding at once. */
static void virtio_blk_in_flight(struct ktest *t)
{
	test_batch_case(t, TEST_REQS, true, 1);
}

/* More requests than the queue holds: submitters wait for room, nothing is lost. */
static void virtio_blk_more_than_a_queue(struct ktest *t)
{
	test_batch_case(t, TEST_MANY_REQS, false, 2);
}

/* A flush succeeds; so does a read of the last sector, and one past the end is refused. */
static void virtio_blk_flush_and_ends(struct ktest *t)
{
	struct block_device *bd = test_disk(t, "vda");
	uint8_t *buf = bd ? kmalloc(BLOCK_SECTOR_SIZE) : NULL;

	if (!bd)
		return;
	KTEST_ASSERT(t, buf);
	KTEST_EXPECT_EQ(t, block_rw(bd, BLOCK_FLUSH, 0, 0, NULL), 0);
	KTEST_EXPECT_EQ(t, block_rw(bd, BLOCK_READ, bd->sectors - 1, 1, buf), 0);
	KTEST_EXPECT_NE(t, block_rw(bd, BLOCK_READ, bd->sectors, 1, buf), 0);
	kfree(buf);
	block_put(bd);
}

/* The read-only disk (vdb) reads, and refuses writes with EROFS. */
static void virtio_blk_read_only(struct ktest *t)
{
	struct block_device *bd = block_get_by_name("vdb");
	uint8_t *buf = kmalloc(BLOCK_SECTOR_SIZE);

	if (!bd || !bd->read_only) {
		ktest_skip(t, "no read-only virtio disk vdb (boot with a second --disk FILE,ro)");
	} else if (buf) {
		KTEST_EXPECT_EQ(t, block_rw(bd, BLOCK_READ, 0, 1, buf), 0);
		KTEST_EXPECT_EQ(t, block_rw(bd, BLOCK_WRITE, 0, 1, buf), -EROFS);
	}
	if (bd)
		block_put(bd);
	kfree(buf);
}

static const struct ktest_case virtio_blk_cases[] = {
    KTEST_CASE(virtio_blk_in_flight),
    KTEST_CASE(virtio_blk_more_than_a_queue),
    KTEST_CASE(virtio_blk_flush_and_ends),
    KTEST_CASE(virtio_blk_read_only),
    {0},
};
KTEST_SUITE_MANUAL(virtio_blk_suite, "virtio_blk", virtio_blk_cases);
