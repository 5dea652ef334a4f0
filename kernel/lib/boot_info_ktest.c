/* ktest: the boot_info helpers the platforms share. */
#include <amphi/arch.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>

static void boot_info_range_end_saturates(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, mem_range_end(0x1000, 0x2000), 0x3000);
	KTEST_EXPECT_EQ(t, mem_range_end(0, 0), 0);
	KTEST_EXPECT(t, mem_range_end(~(paddr_t)0 - 0xfff, 0x1000) == ~(paddr_t)0);
	KTEST_EXPECT(t, mem_range_end(~(paddr_t)0 - 0xfff, 0x2000) == ~(paddr_t)0);
}

static void boot_info_reserved_is_widened_to_pages(struct ktest *t)
{
	static struct boot_info info;

	info = (struct boot_info){0};
	boot_info_add_reserved(&info, 0x1234, 0x10); /* inside one page */
	boot_info_add_reserved(&info, 0x5fff, 2);    /* straddles a page boundary */
	boot_info_add_reserved(&info, 0x9000, 0);    /* empty: not recorded */
	KTEST_ASSERT(t, info.reserved_count == 2);
	KTEST_EXPECT_EQ(t, info.reserved[0].base, 0x1000);
	KTEST_EXPECT_EQ(t, info.reserved[0].size, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, info.reserved[1].base, 0x5000);
	KTEST_EXPECT_EQ(t, info.reserved[1].size, 2 * PAGE_SIZE);
}

static void boot_info_reserved_saturates_at_the_top(struct ktest *t)
{
	static struct boot_info info;
	paddr_t last_page = ~(paddr_t)0 & ~(paddr_t)(PAGE_SIZE - 1);

	info = (struct boot_info){0};
	boot_info_add_reserved(&info, last_page - PAGE_SIZE + 8, ~(uint64_t)0); /* wraps */
	KTEST_ASSERT(t, info.reserved_count == 1);
	KTEST_EXPECT(t, info.reserved[0].base == last_page - PAGE_SIZE);
	KTEST_EXPECT_EQ(t, info.reserved[0].size, PAGE_SIZE);
}

static void boot_info_reserved_skips_covered_ranges(struct ktest *t)
{
	static struct boot_info info;

	info = (struct boot_info){0};
	boot_info_add_reserved(&info, 0, 0x100000);	/* the first MiB */
	boot_info_add_reserved(&info, 0xef010, 0x40);	/* inside it: not recorded */
	boot_info_add_reserved(&info, 0xff000, 0x2000); /* crosses its end: recorded */
	KTEST_ASSERT(t, info.reserved_count == 2);
	KTEST_EXPECT_EQ(t, info.reserved[1].base, 0xff000);
	KTEST_EXPECT_EQ(t, info.reserved[1].size, 2 * PAGE_SIZE);
}

static const struct ktest_case boot_info_cases[] = {
    KTEST_CASE(boot_info_range_end_saturates),
    KTEST_CASE(boot_info_reserved_is_widened_to_pages),
    KTEST_CASE(boot_info_reserved_saturates_at_the_top),
    KTEST_CASE(boot_info_reserved_skips_covered_ranges),
    {0},
};
KTEST_SUITE(boot_info_suite, "boot_info", boot_info_cases);
