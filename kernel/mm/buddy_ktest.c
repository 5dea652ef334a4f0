/*
 * ktest: buddy bookkeeping on private zones. The allocator never touches the pages it
 * manages, so the zones here describe made-up physical ranges; only their metadata is
 * real (from kmalloc).
 */
#include <amphi/arch.h>
#include <amphi/buddy.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>

#define BUDDY_KTEST_MAX_PAGE (1UL << (BUDDY_ORDERS - 1))

/* Sets up z over npages at base with every page free; false when out of memory. */
static bool buddy_ktest_zone(struct buddy_zone *z, paddr_t base, size_t npages)
{
	struct buddy_page *meta = kmalloc(buddy_meta_size(npages));

	if (!meta)
		return false;
	buddy_init(z, base, npages, meta);
	buddy_add_free(z, base, npages);
	return true;
}

static void buddy_starts_reserved(struct ktest *t)
{
	struct buddy_zone z;
	struct buddy_page *meta = kmalloc(buddy_meta_size(16));
	paddr_t pa;

	KTEST_ASSERT(t, meta);
	buddy_init(&z, 0x100000, 16, meta);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 0);
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, 0, &pa), -ENOMEM);
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, BUDDY_ORDERS, &pa), -EINVAL);
	KTEST_EXPECT(t, buddy_contains(&z, 0x100000));
	KTEST_EXPECT(t, buddy_contains(&z, 0x10f000));
	KTEST_EXPECT(t, !buddy_contains(&z, 0x110000));
	KTEST_EXPECT(t, !buddy_contains(&z, 0xff000));
	KTEST_EXPECT_EQ(t, buddy_page_of(&z, 0x103fff)->state, BUDDY_RESERVED);
	buddy_add_free(&z, 0x104000, 8);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 8);
	KTEST_EXPECT_EQ(t, buddy_page_of(&z, 0x104000)->state, BUDDY_FREE);
	KTEST_EXPECT_EQ(t, buddy_page_of(&z, 0x104000)->order, 2); /* 0x104000 is 4-page aligned */
	buddy_check(&z);
	kfree(meta);
}

static void buddy_split_and_merge(struct ktest *t)
{
	struct buddy_zone z;
	paddr_t pa, pb;

	KTEST_ASSERT(t, buddy_ktest_zone(&z, 0x200000, 8)); /* one order-3 block */
	KTEST_EXPECT_EQ(t, z.free_head[3], 0);
	KTEST_ASSERT(t, buddy_alloc(&z, 0, &pa) == 0);
	KTEST_EXPECT_EQ(t, pa, 0x200000);
	/* splitting one page off an order-3 block leaves one free block of orders 0, 1, 2 */
	KTEST_EXPECT_EQ(t, z.free_head[0], 1);
	KTEST_EXPECT_EQ(t, z.free_head[1], 2);
	KTEST_EXPECT_EQ(t, z.free_head[2], 4);
	KTEST_EXPECT_EQ(t, z.free_head[3], BUDDY_NONE);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 7);
	buddy_check(&z);
	KTEST_ASSERT(t, buddy_alloc(&z, 1, &pb) == 0);
	KTEST_EXPECT_EQ(t, pb, 0x202000);
	buddy_free(&z, pa, 0);
	buddy_check(&z);
	/* page 0 merges with free page 1; that pair's buddy (pages 2-3) is still in use */
	KTEST_EXPECT_EQ(t, z.free_head[0], BUDDY_NONE);
	KTEST_EXPECT_EQ(t, z.free_head[1], 0);
	KTEST_EXPECT_EQ(t, buddy_page_of(&z, 0x201000)->state, BUDDY_TAIL);
	buddy_free(&z, pb, 1);
	buddy_check(&z);
	KTEST_EXPECT_EQ(t, z.free_head[3], 0); /* everything merged back */
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 8);
	kfree(z.pages);
}

static void buddy_alignment_on_unaligned_zone(struct ktest *t)
{
	struct buddy_zone z;
	paddr_t pa[BUDDY_ORDERS];

	/* a zone starting 3 pages past a 4 MiB boundary, with room for the largest block */
	KTEST_ASSERT(t, buddy_ktest_zone(&z, 0x40003000, 3 * BUDDY_KTEST_MAX_PAGE));
	for (unsigned o = 0; o < BUDDY_ORDERS; o++) {
		KTEST_ASSERT(t, buddy_alloc(&z, o, &pa[o]) == 0);
		KTEST_EXPECT(t, IS_ALIGNED(pa[o], PAGE_SIZE << o));
		KTEST_EXPECT(t, buddy_contains(&z, pa[o] + (PAGE_SIZE << o) - 1));
		KTEST_EXPECT_EQ(t, buddy_page_of(&z, pa[o])->state, BUDDY_USED);
		KTEST_EXPECT_EQ(t, buddy_page_of(&z, pa[o])->order, o);
	}
	buddy_check(&z);
	for (unsigned o = 0; o < BUDDY_ORDERS; o++)
		buddy_free(&z, pa[o], o);
	buddy_check(&z);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 3 * BUDDY_KTEST_MAX_PAGE);
	kfree(z.pages);
}

static void buddy_exhaustion(struct ktest *t)
{
	enum { N = 37 };
	struct buddy_zone z;
	paddr_t pa[N], extra;
	unsigned got = 0;

	KTEST_ASSERT(t, buddy_ktest_zone(&z, 0x1d000, N)); /* odd size, odd start */
	while (got < N && buddy_alloc(&z, 0, &pa[got]) == 0)
		got++;
	KTEST_EXPECT_EQ(t, got, N);
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, 0, &extra), -ENOMEM);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), 0);
	for (unsigned i = 0; i < N; i++)
		for (unsigned j = i + 1; j < N; j++)
			if (pa[i] == pa[j])
				ktest_fail(t, __FILE__, __LINE__, "page %#llx handed out twice",
					   (unsigned long long)pa[i]);
	buddy_check(&z);
	for (unsigned i = 0; i < N; i += 2) /* free in two interleaved passes */
		buddy_free(&z, pa[i], 0);
	buddy_check(&z);
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, 1, &extra), -ENOMEM); /* fragmented: no pair free */
	for (unsigned i = 1; i < N; i += 2)
		buddy_free(&z, pa[i], 0);
	buddy_check(&z);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), N);
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, 5, &extra), 0); /* merged: 32 aligned pages again */
	KTEST_EXPECT_EQ(t, buddy_alloc(&z, 5, &extra), -ENOMEM);
	kfree(z.pages);
}

static void buddy_pseudo_random_churn(struct ktest *t)
{
	enum { SLOTS = 64, PAGES = 700 };
	struct buddy_zone z;
	paddr_t pa[SLOTS];
	int8_t order[SLOTS];
	uint32_t rng = 12345;

	KTEST_ASSERT(t, buddy_ktest_zone(&z, 0x5000, PAGES));
	for (unsigned i = 0; i < SLOTS; i++)
		order[i] = -1;
	for (unsigned step = 0; step < 4000; step++) {
		rng = rng * 1103515245u + 12345u;
		unsigned slot = (rng >> 8) % SLOTS;
		if (order[slot] >= 0) {
			buddy_free(&z, pa[slot], (unsigned)order[slot]);
			order[slot] = -1;
		} else {
			unsigned o = (rng >> 20) % 6;
			if (buddy_alloc(&z, o, &pa[slot]) == 0)
				order[slot] = (int8_t)o;
		}
		if (step % 500 == 0)
			buddy_check(&z);
	}
	for (unsigned i = 0; i < SLOTS; i++)
		if (order[i] >= 0)
			buddy_free(&z, pa[i], (unsigned)order[i]);
	buddy_check(&z);
	KTEST_EXPECT_EQ(t, buddy_free_pages(&z), PAGES);
	kfree(z.pages);
}

static void buddy_owner_is_cleared(struct ktest *t)
{
	struct buddy_zone z;
	paddr_t pa;

	KTEST_ASSERT(t, buddy_ktest_zone(&z, 0x10000, 4));
	KTEST_ASSERT(t, buddy_alloc(&z, 2, &pa) == 0);
	buddy_page_of(&z, pa)->owner = 7;
	buddy_free(&z, pa, 2);
	KTEST_ASSERT(t, buddy_alloc(&z, 2, &pa) == 0);
	KTEST_EXPECT_EQ(t, buddy_page_of(&z, pa)->owner, 0);
	buddy_free(&z, pa, 2);
	kfree(z.pages);
}

static const struct ktest_case buddy_cases[] = {
    KTEST_CASE(buddy_starts_reserved),
    KTEST_CASE(buddy_split_and_merge),
    KTEST_CASE(buddy_alignment_on_unaligned_zone),
    KTEST_CASE(buddy_exhaustion),
    KTEST_CASE(buddy_pseudo_random_churn),
    KTEST_CASE(buddy_owner_is_cleared),
    {0},
};
KTEST_SUITE(buddy_suite, "buddy", buddy_cases);
