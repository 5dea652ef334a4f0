/* ktest: the page allocator over the machine's real RAM. */
#include <amphi/arch.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/plat.h>

static void page_alloc_orders_are_aligned(struct ktest *t)
{
	size_t free_before = page_alloc_free_pages();
	void *blocks[6];

	for (unsigned o = 0; o < ARRAY_SIZE(blocks); o++) {
		blocks[o] = page_alloc(o);
		KTEST_ASSERT(t, blocks[o] != NULL);
		KTEST_EXPECT(t, IS_ALIGNED(plat_virt_to_phys(blocks[o]), PAGE_SIZE << o));
		struct buddy_page *meta = page_alloc_meta(blocks[o]);
		KTEST_ASSERT(t, meta != NULL);
		KTEST_EXPECT_EQ(t, meta->state, BUDDY_USED);
		KTEST_EXPECT_EQ(t, meta->order, o);
		/* the whole block is ours to write */
		((volatile char *)blocks[o])[0] = 1;
		((volatile char *)blocks[o])[(PAGE_SIZE << o) - 1] = 2;
	}
	KTEST_EXPECT_EQ(t, free_before - page_alloc_free_pages(), 63);
	for (unsigned o = 0; o < ARRAY_SIZE(blocks); o++)
		page_free(blocks[o], o);
	KTEST_EXPECT_EQ(t, page_alloc_free_pages(), free_before);
}

static void page_alloc_bounds(struct ktest *t)
{
	KTEST_EXPECT(t, page_alloc(BUDDY_ORDERS) == NULL);
	KTEST_EXPECT(t, page_alloc(~0u) == NULL);
	KTEST_EXPECT(t, page_alloc_total_pages() >= page_alloc_free_pages());
	KTEST_EXPECT(t, page_alloc_total_pages() > 0);
}

static void page_alloc_distinct_pages(struct ktest *t)
{
	enum { N = 64 };
	void **pages = page_alloc(0); /* one page of pointers */
	size_t free_before = page_alloc_free_pages();

	KTEST_ASSERT(t, pages != NULL);
	for (unsigned i = 0; i < N; i++) {
		pages[i] = page_alloc(0);
		KTEST_ASSERT(t, pages[i] != NULL);
		*(volatile unsigned *)pages[i] = i;
	}
	for (unsigned i = 0; i < N; i++) {
		KTEST_EXPECT_EQ(t, *(volatile unsigned *)pages[i], i);
		KTEST_EXPECT(t, pages[i] != (void *)pages);
	}
	for (unsigned i = 0; i < N; i++)
		page_free(pages[i], 0);
	KTEST_EXPECT_EQ(t, page_alloc_free_pages(), free_before);
	page_free(pages, 0);
}

static const struct ktest_case page_alloc_cases[] = {
    KTEST_CASE(page_alloc_orders_are_aligned),
    KTEST_CASE(page_alloc_bounds),
    KTEST_CASE(page_alloc_distinct_pages),
    {0},
};
KTEST_SUITE(page_alloc_suite, "page_alloc", page_alloc_cases);
