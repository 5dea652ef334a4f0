/* Unit tests of the buddy allocator (kernel/mm/buddy.c) against a reference model. */
#include "unit.h"

#include <errno.h> /* the Linux values, as in <amphi/errno.h> */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/arch.h>
#include <amphi/buddy.h>

#define ZONE_BASE 0x40000000ull /* aligned to the largest block */
#define ZONE_PAGES 4096u
#define MAX_BLOCK_PAGES (1u << (BUDDY_ORDERS - 1))

static struct buddy_zone zone;
static struct buddy_page meta[ZONE_PAGES + 1]; /* and the chunk states after them */

/* A zone of npages pages at base, all of it free. */
static void zone_setup(paddr_t base, size_t npages)
{
	CU_ASSERT_FATAL(buddy_meta_size(npages) <= sizeof(meta));
	buddy_init(&zone, base, npages, meta);
	buddy_add_free(&zone, base, npages);
	buddy_check(&zone);
}

/* Number of free blocks of one order: on its list, and for the largest also the free
 * chunks whose metadata is unwritten. */
static unsigned free_blocks(unsigned order)
{
	unsigned n = 0;
	for (uint32_t i = zone.free_head[order]; i != BUDDY_NONE; i = meta[i].next)
		n++;
	if (order == BUDDY_ORDERS - 1) /* and the free chunks not yet written onto the list */
		n += (unsigned)zone.unwritten_free;
	return n;
}

static void test_init_reserves_everything(void)
{
	buddy_init(&zone, ZONE_BASE, 64, meta);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 0);
	paddr_t pa;
	CU_ASSERT_EQUAL(buddy_alloc(&zone, 0, &pa), -ENOMEM);
	buddy_check(&zone);
}

static void test_split_and_merge(void)
{
	paddr_t pa;
	zone_setup(ZONE_BASE, ZONE_PAGES);
	CU_ASSERT_EQUAL(free_blocks(BUDDY_ORDERS - 1), ZONE_PAGES / MAX_BLOCK_PAGES);

	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, 0, &pa), 0);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), ZONE_PAGES - 1);
	/* one max block split down: one free block of every smaller order */
	for (unsigned o = 0; o < BUDDY_ORDERS - 1; o++)
		CU_ASSERT_EQUAL(free_blocks(o), 1);
	buddy_check(&zone);

	buddy_free(&zone, pa, 0);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), ZONE_PAGES);
	for (unsigned o = 0; o < BUDDY_ORDERS - 1; o++)
		CU_ASSERT_EQUAL(free_blocks(o), 0);
	CU_ASSERT_EQUAL(free_blocks(BUDDY_ORDERS - 1), ZONE_PAGES / MAX_BLOCK_PAGES);
	buddy_check(&zone);
}

static void test_buddies_merge_in_any_order(void)
{
	paddr_t pa[4];
	zone_setup(ZONE_BASE, 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, 0, &pa[i]), 0);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 0);
	int order[4] = {2, 0, 3, 1};
	for (int i = 0; i < 4; i++) {
		buddy_free(&zone, pa[order[i]], 0);
		buddy_check(&zone);
	}
	CU_ASSERT_EQUAL(free_blocks(2), 1);
	CU_ASSERT_EQUAL(free_blocks(0), 0);
}

static void test_alignment(void)
{
	/* A zone that starts on an odd page: blocks still align to physical size. */
	zone_setup(ZONE_BASE + 3 * PAGE_SIZE, ZONE_PAGES - 8);
	for (unsigned o = 0; o < BUDDY_ORDERS; o++) {
		paddr_t pa;
		CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, o, &pa), 0); /* one of each order fits */
		CU_ASSERT_EQUAL(pa % (PAGE_SIZE << o), 0);
		CU_ASSERT(pa >= zone.base);
		CU_ASSERT(pa + (PAGE_SIZE << o) <= zone.base + (paddr_t)zone.npages * PAGE_SIZE);
	}
	buddy_check(&zone);
}

static void test_exhaustion(void)
{
	static paddr_t got[ZONE_PAGES];
	paddr_t pa;
	size_t n = 0;
	zone_setup(ZONE_BASE, 100);
	CU_ASSERT_EQUAL(buddy_alloc(&zone, BUDDY_ORDERS, &pa), -EINVAL);
	CU_ASSERT_EQUAL(buddy_alloc(&zone, 7, &pa), -ENOMEM); /* 128 > 100 pages */
	while (n < ZONE_PAGES && buddy_alloc(&zone, 0, &got[n]) == 0)
		n++;
	CU_ASSERT_EQUAL(n, 100);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 0);
	CU_ASSERT_EQUAL(buddy_alloc(&zone, 0, &pa), -ENOMEM);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			CU_ASSERT_NOT_EQUAL(got[i], got[j]);
	for (size_t i = 0; i < n; i++)
		buddy_free(&zone, got[i], 0);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 100);
	buddy_check(&zone);
}

static void test_bad_frees_panic(void)
{
	paddr_t pa, pa2;
	zone_setup(ZONE_BASE, 64);
	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, 2, &pa), 0);
	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, 0, &pa2), 0);
	UNIT_EXPECT_PANIC(buddy_free(&zone, pa, 1), "order");
	UNIT_EXPECT_PANIC(buddy_free(&zone, pa + PAGE_SIZE, 0), "buddy_free");
	UNIT_EXPECT_PANIC(buddy_free(&zone, ZONE_BASE + 64 * PAGE_SIZE, 0), "zone");
	UNIT_EXPECT_PANIC(buddy_free(&zone, pa + 1, 2), "buddy_free");
	buddy_free(&zone, pa, 2);
	UNIT_EXPECT_PANIC(buddy_free(&zone, pa, 2), "double free");
	buddy_free(&zone, pa2, 0); /* merges: pa2 now lies inside a free block */
	UNIT_EXPECT_PANIC(buddy_free(&zone, pa2, 0), "buddy_free");
	buddy_check(&zone);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 64);
}

static void test_add_free_checks_ranges(void)
{
	buddy_init(&zone, ZONE_BASE, 64, meta);
	UNIT_EXPECT_PANIC(buddy_add_free(&zone, ZONE_BASE + 60 * PAGE_SIZE, 8), "buddy_add_free");
	buddy_add_free(&zone, ZONE_BASE, 10);
	UNIT_EXPECT_PANIC(buddy_add_free(&zone, ZONE_BASE + 8 * PAGE_SIZE, 4), "buddy_add_free");
	buddy_check(&zone);
}

static void test_holes_are_never_handed_out(void)
{
	paddr_t pa;
	buddy_init(&zone, ZONE_BASE, 256, meta);
	buddy_add_free(&zone, ZONE_BASE + 1 * PAGE_SIZE, 30);	/* pages 1..30 */
	buddy_add_free(&zone, ZONE_BASE + 100 * PAGE_SIZE, 37); /* pages 100..136 */
	buddy_check(&zone);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 67);
	size_t pages = 0;
	while (buddy_alloc(&zone, 0, &pa) == 0) {
		size_t idx = (pa - ZONE_BASE) / PAGE_SIZE;
		CU_ASSERT((idx >= 1 && idx <= 30) || (idx >= 100 && idx <= 136));
		pages++;
	}
	CU_ASSERT_EQUAL(pages, 67);
}

static void test_claimed_reserved_pages_free_into_the_zone(void)
{
	paddr_t pa;
	buddy_init(&zone, ZONE_BASE, 64, meta);
	buddy_add_free(&zone, ZONE_BASE, 32); /* pages 32..63 stay reserved */
	CU_ASSERT_EQUAL(buddy_claim(&zone, ZONE_BASE + 40 * PAGE_SIZE), 0);
	CU_ASSERT_EQUAL(buddy_claim(&zone, ZONE_BASE + 40 * PAGE_SIZE), -EBUSY);
	CU_ASSERT_EQUAL(buddy_claim(&zone, ZONE_BASE + 3 * PAGE_SIZE), -EBUSY); /* free */
	UNIT_EXPECT_PANIC(buddy_claim(&zone, ZONE_BASE + 64 * PAGE_SIZE), "buddy_claim");
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 32);
	UNIT_EXPECT_PANIC(buddy_free(&zone, ZONE_BASE + 40 * PAGE_SIZE, 1), "order");
	buddy_free(&zone, ZONE_BASE + 40 * PAGE_SIZE, 0);
	UNIT_EXPECT_PANIC(buddy_free(&zone, ZONE_BASE + 40 * PAGE_SIZE, 0), "double free");
	buddy_check(&zone);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), 33);
	size_t pages = 0;
	bool got_claimed = false;
	while (buddy_alloc(&zone, 0, &pa) == 0) {
		got_claimed |= pa == ZONE_BASE + 40 * PAGE_SIZE;
		pages++;
	}
	CU_ASSERT_EQUAL(pages, 33);
	CU_ASSERT(got_claimed);
}

/* A chunk's metadata stays unwritten until the chunk is first allocated from; chunks go
 * into use from the highest down, as a list of them pushed in address order hands them
 * out; and a chunk freed whole is reused before an unwritten one. */
static void test_chunks_are_written_when_first_used(void)
{
	const paddr_t chunk_bytes = (paddr_t)MAX_BLOCK_PAGES * PAGE_SIZE;
	paddr_t pa, pb;

	zone_setup(ZONE_BASE, ZONE_PAGES);
	for (paddr_t c = ZONE_BASE; c < ZONE_BASE + ZONE_PAGES * PAGE_SIZE; c += chunk_bytes)
		CU_ASSERT_PTR_NULL(buddy_page_of(&zone, c + 5 * PAGE_SIZE));
	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, 0, &pa), 0);
	CU_ASSERT_EQUAL(pa, ZONE_BASE + 3 * chunk_bytes);
	CU_ASSERT_PTR_NOT_NULL(buddy_page_of(&zone, pa + 5 * PAGE_SIZE));
	CU_ASSERT_PTR_NULL(buddy_page_of(&zone, ZONE_BASE + 2 * chunk_bytes));
	CU_ASSERT_EQUAL(buddy_claim(&zone, ZONE_BASE), -EBUSY); /* free, though unwritten */
	UNIT_EXPECT_PANIC(buddy_free(&zone, ZONE_BASE, 0), "double free");
	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, BUDDY_ORDERS - 1, &pb), 0);
	CU_ASSERT_EQUAL(pb, ZONE_BASE + 2 * chunk_bytes);
	buddy_check(&zone);
	buddy_free(&zone, pb, BUDDY_ORDERS - 1);
	CU_ASSERT_EQUAL_FATAL(buddy_alloc(&zone, BUDDY_ORDERS - 1, &pb), 0);
	CU_ASSERT_EQUAL(pb, ZONE_BASE + 2 * chunk_bytes); /* the written chunk again */
	CU_ASSERT_PTR_NULL(buddy_page_of(&zone, ZONE_BASE + chunk_bytes));
	buddy_check(&zone);
	/* the corrupt count of unwritten free chunks must be caught */
	zone.unwritten_free++;
	UNIT_EXPECT_PANIC(buddy_check(&zone), "unwritten free chunks");
	zone.unwritten_free--;
	buddy_free(&zone, pb, BUDDY_ORDERS - 1);
	buddy_free(&zone, pa, 0);
	buddy_check(&zone);
	CU_ASSERT_EQUAL(free_blocks(BUDDY_ORDERS - 1), ZONE_PAGES / MAX_BLOCK_PAGES);
}

/* A zone that starts and ends inside chunks, with a reserved page inside a whole chunk
 * between two free ones: every free page is handed out exactly once, and the reserved one
 * only once claimed. */
static void test_partial_chunks_hand_out_every_page_once(void)
{
	static bool seen[ZONE_PAGES];
	/* chunks: 3 pages, three whole ones (the hole in the middle one), 7 pages */
	const size_t npages = 3 + 3 * MAX_BLOCK_PAGES + 7, hole = 3 + MAX_BLOCK_PAGES + 100;
	const paddr_t base = ZONE_BASE + (MAX_BLOCK_PAGES - 3) * PAGE_SIZE;
	paddr_t pa;
	size_t got = 0;

	memset(seen, 0, sizeof(seen));
	buddy_init(&zone, base, npages, meta);
	buddy_add_free(&zone, base, hole);
	buddy_add_free(&zone, base + (hole + 1) * PAGE_SIZE, npages - hole - 1);
	buddy_check(&zone);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), npages - 1);
	CU_ASSERT_EQUAL(buddy_page_of(&zone, base + hole * PAGE_SIZE)->state, BUDDY_RESERVED);
	CU_ASSERT_EQUAL(buddy_claim(&zone, base + hole * PAGE_SIZE), 0);
	buddy_free(&zone, base + hole * PAGE_SIZE, 0);
	while (buddy_alloc(&zone, 0, &pa) == 0) {
		size_t idx = (pa - base) / PAGE_SIZE;
		CU_ASSERT_FATAL(pa >= base && idx < npages && !seen[idx]);
		seen[idx] = true;
		got++;
	}
	CU_ASSERT_EQUAL(got, npages);
	buddy_check(&zone);
}

/* Reference model: which zone pages are handed out, and the live blocks. */
struct model_block {
	paddr_t pa;
	unsigned order;
};

/* xorshift64: a fixed seed makes failures reproducible. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_against_model(void)
{
	static bool used[ZONE_PAGES];
	static struct model_block live[ZONE_PAGES];
	size_t nlive = 0, used_pages = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	const size_t npages = ZONE_PAGES - 5;

	memset(used, 0, sizeof(used));
	zone_setup(ZONE_BASE + 5 * PAGE_SIZE, npages);
	for (int step = 0; step < 40000; step++) {
		bool do_alloc = nlive == 0 || rng_next(&seed) % 100 < 55;
		if (do_alloc) {
			unsigned order = (unsigned)(rng_next(&seed) % 7);
			paddr_t pa;
			int err = buddy_alloc(&zone, order, &pa);
			if (err) {
				CU_ASSERT_EQUAL(err, -ENOMEM);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(pa % (PAGE_SIZE << order), 0);
			size_t first = (pa - zone.base) / PAGE_SIZE, count = (size_t)1 << order;
			CU_ASSERT_FATAL(pa >= zone.base && first + count <= npages);
			for (size_t i = first; i < first + count; i++) {
				CU_ASSERT_FATAL(!used[i]);
				used[i] = true;
			}
			used_pages += count;
			live[nlive++] = (struct model_block){pa, order};
		} else {
			size_t k = rng_next(&seed) % nlive;
			struct model_block b = live[k];
			live[k] = live[--nlive];
			buddy_free(&zone, b.pa, b.order);
			size_t first = (b.pa - zone.base) / PAGE_SIZE, count = (size_t)1 << b.order;
			for (size_t i = first; i < first + count; i++)
				used[i] = false;
			used_pages -= count;
		}
		CU_ASSERT_EQUAL_FATAL(buddy_free_pages(&zone), npages - used_pages);
		if (step % 500 == 0)
			buddy_check(&zone);
	}
	while (nlive > 0) {
		nlive--;
		buddy_free(&zone, live[nlive].pa, live[nlive].order);
	}
	buddy_check(&zone);
	CU_ASSERT_EQUAL(buddy_free_pages(&zone), npages);
}

int unit_register(void)
{
	static CU_TestInfo tests[] = {
	    {"init_reserves_everything", test_init_reserves_everything},
	    {"split_and_merge", test_split_and_merge},
	    {"buddies_merge_in_any_order", test_buddies_merge_in_any_order},
	    {"alignment", test_alignment},
	    {"exhaustion", test_exhaustion},
	    {"bad_frees_panic", test_bad_frees_panic},
	    {"add_free_checks_ranges", test_add_free_checks_ranges},
	    {"holes_are_never_handed_out", test_holes_are_never_handed_out},
	    {"claimed_reserved_pages_free_into_the_zone",
	     test_claimed_reserved_pages_free_into_the_zone},
	    {"chunks_are_written_when_first_used", test_chunks_are_written_when_first_used},
	    {"partial_chunks_hand_out_every_page_once",
	     test_partial_chunks_hand_out_every_page_once},
	    {"random_against_model", test_random_against_model},
	    CU_TEST_INFO_NULL,
	};
	return unit_add_suite("buddy", tests);
}
