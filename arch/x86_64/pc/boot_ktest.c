/*
 * ktest: the PVH and Multiboot2 parsers on hand-built boot data, good and bad. The blocks
 * live in the image, so their physical addresses are known and the parsers read them
 * through the direct map exactly as they read the loader's. Rejections print a
 * "pc: bad boot data" line; that is expected here.
 */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/string.h>

#include "pc.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* A Multiboot2 information block under construction. */
struct mb2_block {
	uint64_t words[128]; /* 8-byte aligned, as the protocol requires */
	uint32_t len;
};

static struct mb2_block mb2_block;
static char boot_ktest_cmdline[32];
static struct boot_info boot_ktest_info;

/* Starts an empty block (header only). */
static struct mb2_block *mb2_begin(void)
{
	memset(&mb2_block, 0, sizeof(mb2_block));
	mb2_block.len = 8;
	return &mb2_block;
}

/* Appends a tag of the given type and size (header included); returns its payload. */
static void *mb2_add_tag(struct mb2_block *b, uint32_t type, uint32_t size)
{
	uint8_t *tag = (uint8_t *)b->words + b->len;
	uint32_t header[2] = {type, size};

	memcpy(tag, header, sizeof(header));
	b->len += ALIGN_UP(size, 8);
	return tag + sizeof(header);
}

/* Appends a memory map tag with entries of entry_size bytes (at least 24). */
static void mb2_add_mmap(struct mb2_block *b, uint32_t entry_size, const uint64_t (*e)[3],
			 uint32_t n)
{
	uint32_t *hdr = mb2_add_tag(b, 6, 16 + n * entry_size);

	hdr[0] = entry_size;
	hdr[1] = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *entry = (uint8_t *)(hdr + 2) + i * entry_size;
		uint32_t type = (uint32_t)e[i][2];
		memcpy(entry, e[i], 16);
		memcpy(entry + 16, &type, 4);
	}
}

/* Appends the end tag, sets total_size and returns the block's physical address. */
static paddr_t mb2_finish(struct mb2_block *b)
{
	mb2_add_tag(b, 0, 8);
	memcpy(b->words, &b->len, 4);
	return plat_virt_to_phys(b->words);
}

/* Parses the block at pa into a fresh boot_info. */
static int boot_ktest_mb2(paddr_t pa)
{
	struct pc_boot_parse p = {&boot_ktest_info, boot_ktest_cmdline, sizeof(boot_ktest_cmdline),
				  0};

	boot_ktest_info = (struct boot_info){.cmdline = ""};
	return multiboot2_parse(pa, &p);
}

/* True when info has RAM range i equal to [base, base + size). */
static bool boot_ktest_ram_is(size_t i, uint64_t base, uint64_t size)
{
	return i < boot_ktest_info.ram_count && boot_ktest_info.ram[i].base == base &&
	       boot_ktest_info.ram[i].size == size;
}

/* True when [pa, pa + size) lies inside one reserved range of the parsed boot_info. */
static bool boot_ktest_reserved_covers(paddr_t pa, uint64_t size)
{
	for (size_t i = 0; i < boot_ktest_info.reserved_count; i++) {
		const struct mem_range *r = &boot_ktest_info.reserved[i];
		if (pa >= r->base && pa + size <= r->base + r->size)
			return true;
	}
	return false;
}

static void mb2_parses_mmap_cmdline_and_skips_unknown_tags(struct ktest *t)
{
	static const uint64_t map[][3] = {
	    {0, 0x9fc00, 1},	   /* low RAM: the tail is not a whole page */
	    {0xf0000, 0x10000, 2}, /* reserved: not RAM */
	    {MIB, 127 * MIB, 1},
	    {4 * GIB, GIB, 1},
	};
	struct mb2_block *b = mb2_begin();

	memset(mb2_add_tag(b, 0x7777, 8 + 13), 0xee, 13); /* unknown, odd size: padded */
	memcpy(mb2_add_tag(b, 1, 8 + 16), "ktest=all quiet", 16);
	mb2_add_mmap(b, 24, map, ARRAY_SIZE(map));
	KTEST_ASSERT(t, boot_ktest_mb2(mb2_finish(b)) == 0);
	KTEST_EXPECT_STREQ(t, boot_ktest_info.cmdline, "ktest=all quiet");
	KTEST_EXPECT_EQ(t, boot_ktest_info.ram_count, 3);
	KTEST_EXPECT(t, boot_ktest_ram_is(0, 0, 0x9f000));
	KTEST_EXPECT(t, boot_ktest_ram_is(1, MIB, 127 * MIB));
	KTEST_EXPECT(t, boot_ktest_ram_is(2, 4 * GIB, GIB));
	KTEST_EXPECT_EQ(t, boot_ktest_info.reserved_count, 1); /* the block itself */
}

static void mb2_accepts_larger_mmap_entries(struct ktest *t)
{
	static const uint64_t map[][3] = {{MIB, 3 * MIB, 1}, {8 * MIB, 8 * MIB, 1}};
	struct mb2_block *b = mb2_begin();

	mb2_add_mmap(b, 32, map, ARRAY_SIZE(map));
	KTEST_ASSERT(t, boot_ktest_mb2(mb2_finish(b)) == 0);
	KTEST_EXPECT_EQ(t, boot_ktest_info.ram_count, 2);
	KTEST_EXPECT(t, boot_ktest_ram_is(1, 8 * MIB, 8 * MIB));
	KTEST_EXPECT_STREQ(t, boot_ktest_info.cmdline, "");
}

static void mb2_terminates_and_truncates_cmdline(struct ktest *t)
{
	static const uint64_t map[][3] = {{MIB, MIB, 1}};
	struct mb2_block *b = mb2_begin();

	/* No NUL inside the tag, and longer than the kernel's buffer. */
	memset(mb2_add_tag(b, 1, 8 + 40), 'x', 40);
	mb2_add_mmap(b, 24, map, 1);
	KTEST_ASSERT(t, boot_ktest_mb2(mb2_finish(b)) == 0);
	KTEST_EXPECT_EQ(t, strlen(boot_ktest_info.cmdline), sizeof(boot_ktest_cmdline) - 1);
}

static void mb2_falls_back_to_basic_meminfo(struct ktest *t)
{
	struct mb2_block *b = mb2_begin();
	uint32_t *mem = mb2_add_tag(b, 4, 16);

	mem[0] = 639;	    /* KiB below 640K */
	mem[1] = 64 * 1024; /* KiB above 1 MiB */
	KTEST_ASSERT(t, boot_ktest_mb2(mb2_finish(b)) == 0);
	KTEST_EXPECT_EQ(t, boot_ktest_info.ram_count, 2);
	KTEST_EXPECT(t, boot_ktest_ram_is(0, 0, 0x9f000));
	KTEST_EXPECT(t, boot_ktest_ram_is(1, MIB, 64 * MIB));
}

static void mb2_rejects_bad_blocks(struct ktest *t)
{
	static const uint64_t map[][3] = {{MIB, MIB, 1}};
	struct mb2_block *b;

	KTEST_EXPECT_EQ(t, boot_ktest_mb2(0), -EINVAL);
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(8 * GIB), -EINVAL); /* beyond the boot map */

	b = mb2_begin(); /* neither memory map nor basic memory info */
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(mb2_finish(b)), -EINVAL);

	b = mb2_begin(); /* total_size smaller than a header and an end tag */
	paddr_t pa = mb2_finish(b);
	b->len = 12;
	memcpy(b->words, &b->len, 4);
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(pa), -EINVAL);

	b = mb2_begin(); /* a tag that runs past total_size */
	mb2_add_mmap(b, 24, map, 1);
	pa = mb2_finish(b);
	((uint32_t *)b->words)[3] = 4096;
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(pa), -EINVAL);

	b = mb2_begin(); /* a tag smaller than its own header: the walk could loop */
	mb2_add_tag(b, 0x55, 4);
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(mb2_finish(b)), -EINVAL);

	b = mb2_begin(); /* memory map entries smaller than the 24-byte format */
	mb2_add_mmap(b, 24, map, 1);
	pa = mb2_finish(b);
	((uint32_t *)b->words)[4] = 16;
	KTEST_EXPECT_EQ(t, boot_ktest_mb2(pa), -EINVAL);
}

/* hvm_start_info version 1 and its memory map, as pvh.c reads them. */
static struct {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
	struct {
		uint64_t addr, size;
		uint32_t type, reserved;
	} map[3];
	char cmdline[16];
} pvh_block __attribute__((aligned(8)));

/* Fills pvh_block with a good version 1 start_info; returns its physical address. */
static paddr_t pvh_good_block(void)
{
	paddr_t pa = plat_virt_to_phys(&pvh_block);

	memset(&pvh_block, 0, sizeof(pvh_block));
	pvh_block.magic = PC_PVH_START_MAGIC;
	pvh_block.version = 1;
	pvh_block.memmap_paddr = pa + __builtin_offsetof(__typeof__(pvh_block), map);
	pvh_block.memmap_entries = 3;
	pvh_block.map[0] = (__typeof__(pvh_block.map[0])){0, 0x9fc00, 1, 0};
	pvh_block.map[1] = (__typeof__(pvh_block.map[0])){0xfeffc000, 0x4000, 2, 0};
	pvh_block.map[2] = (__typeof__(pvh_block.map[0])){MIB, 255 * MIB, 1, 0};
	pvh_block.cmdline_paddr = pa + __builtin_offsetof(__typeof__(pvh_block), cmdline);
	memcpy(pvh_block.cmdline, "ktest=pc_boot", 14);
	return pa;
}

/* Parses the start_info at pa into a fresh boot_info. */
static int boot_ktest_pvh(paddr_t pa)
{
	struct pc_boot_parse p = {&boot_ktest_info, boot_ktest_cmdline, sizeof(boot_ktest_cmdline),
				  0};

	boot_ktest_info = (struct boot_info){.cmdline = ""};
	return pvh_parse(pa, &p);
}

static void pvh_parses_memmap_and_cmdline(struct ktest *t)
{
	KTEST_ASSERT(t, boot_ktest_pvh(pvh_good_block()) == 0);
	KTEST_EXPECT_STREQ(t, boot_ktest_info.cmdline, "ktest=pc_boot");
	KTEST_EXPECT_EQ(t, boot_ktest_info.ram_count, 2);
	KTEST_EXPECT(t, boot_ktest_ram_is(0, 0, 0x9f000));
	KTEST_EXPECT(t, boot_ktest_ram_is(1, MIB, 255 * MIB));
	paddr_t pa = plat_virt_to_phys(&pvh_block);
	KTEST_EXPECT(t, boot_ktest_reserved_covers(pa, 56)); /* start_info */
	KTEST_EXPECT(
	    t, boot_ktest_reserved_covers(pvh_block.memmap_paddr, 3 * sizeof(pvh_block.map[0])));
	KTEST_EXPECT(t, boot_ktest_reserved_covers(pvh_block.cmdline_paddr, 14));
}

static void pvh_rejects_bad_start_info(struct ktest *t)
{
	paddr_t pa = pvh_good_block();

	pvh_block.magic = 0x12345678;
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(pa), -EINVAL);
	pvh_good_block();
	pvh_block.version = 0; /* no memory map before version 1 */
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(pa), -EINVAL);
	pvh_good_block();
	pvh_block.memmap_entries = 1u << 30;
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(pa), -EINVAL);
	pvh_good_block();
	pvh_block.memmap_paddr = 0xffffffffffff0000ULL;
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(pa), -EINVAL);
	pvh_good_block();
	pvh_block.nr_modules = 1;
	pvh_block.modlist_paddr = 0;
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(pa), -EINVAL);
	KTEST_EXPECT_EQ(t, boot_ktest_pvh(0), -EINVAL);
}

static void memmap_clips_ram_entries(struct ktest *t)
{
	boot_ktest_info = (struct boot_info){.cmdline = ""};
	memmap_add_entry(&boot_ktest_info, 0x1800, 0x2000, 1); /* [0x2000, 0x3000) whole pages */
	memmap_add_entry(&boot_ktest_info, 0x10000, 0x800, 1); /* less than a page: dropped */
	memmap_add_entry(&boot_ktest_info, 0x100000, 0x100000, 3);	   /* ACPI: not RAM */
	memmap_add_entry(&boot_ktest_info, UINT64_MAX - 0xfff, 0x2000, 1); /* wraps */
	memmap_add_entry(&boot_ktest_info, 63 * GIB, 4 * GIB, 1);	   /* crosses the limit */
	KTEST_EXPECT_EQ(t, boot_ktest_info.ram_count, 2);
	KTEST_EXPECT(t, boot_ktest_ram_is(0, 0x2000, 0x1000));
	KTEST_EXPECT(t, boot_ktest_ram_is(1, 63 * GIB, (PC_DIRECT_MAP_MAX_GIB - 63) * GIB));
}

static const struct ktest_case pc_boot_cases[] = {
    KTEST_CASE(mb2_parses_mmap_cmdline_and_skips_unknown_tags),
    KTEST_CASE(mb2_accepts_larger_mmap_entries),
    KTEST_CASE(mb2_terminates_and_truncates_cmdline),
    KTEST_CASE(mb2_falls_back_to_basic_meminfo),
    KTEST_CASE(mb2_rejects_bad_blocks),
    KTEST_CASE(pvh_parses_memmap_and_cmdline),
    KTEST_CASE(pvh_rejects_bad_start_info),
    KTEST_CASE(memmap_clips_ram_entries),
    {0},
};
KTEST_SUITE(pc_boot_suite, "pc_boot", pc_boot_cases);
