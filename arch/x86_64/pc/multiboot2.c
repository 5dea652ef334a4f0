/*
 * Multiboot2 boot (GRUB): the boot information block is a size header followed by
 * 8-byte-aligned tags, ended by a tag of type 0. Every tag is bounds-checked against the
 * block; unknown tags are skipped by their size.
 */
#include <amphi/kprintf.h>
#include <amphi/panic.h>

#include "pc.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6

#define MB2_INFO_MAX (1U << 20) /* sanity bound on total_size */
#define MB2_TAG_ALIGN 8

struct mb2_info_header {
	uint32_t total_size;
	uint32_t reserved;
};

struct mb2_tag {
	uint32_t type;
	uint32_t size; /* including this header, excluding padding */
};

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;
};

struct mb2_tag_basic_meminfo {
	struct mb2_tag tag;
	uint32_t mem_lower; /* KiB from 0 */
	uint32_t mem_upper; /* KiB from 1 MiB */
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
};

struct mb2_mmap_entry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

/* Adds the RAM ranges of a memory-map tag (entries after its 16-byte header). */
static void mb2_parse_mmap(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_mmap *mmap = (const void *)tag;

	if (tag->size < sizeof(*mmap))
		panic("multiboot2: memory map tag of %u bytes is too short", tag->size);
	if (mmap->entry_size < sizeof(struct mb2_mmap_entry) || mmap->entry_size % 8)
		panic("multiboot2: memory map entry size %u is invalid", mmap->entry_size);

	uint32_t count = (tag->size - sizeof(*mmap)) / mmap->entry_size;
	const char *entries = (const char *)(mmap + 1);
	for (uint32_t i = 0; i < count; i++) {
		const struct mb2_mmap_entry *e =
		    (const void *)(entries + (size_t)i * mmap->entry_size);
		memmap_add_entry(info, e->base_addr, e->length, e->type);
	}
}

/* RAM from the basic memory information, for loaders that give no memory map. */
static void mb2_parse_basic_meminfo(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_basic_meminfo *mem = (const void *)tag;

	if (tag->size < sizeof(*mem))
		panic("multiboot2: basic memory tag of %u bytes is too short", tag->size);
	memmap_add_entry(info, 0, (uint64_t)mem->mem_lower << 10, 1);
	memmap_add_entry(info, 1 << 20, (uint64_t)mem->mem_upper << 10, 1);
}

/* Reserves a boot module (an initramfs, later). */
static void mb2_parse_module(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_module *mod = (const void *)tag;

	if (tag->size < sizeof(*mod) || mod->mod_end < mod->mod_start)
		panic("multiboot2: malformed module tag");
	memmap_reserve(info, mod->mod_start, mod->mod_end - mod->mod_start);
}

/* Walks the tags of the block at base (total bytes); fills info. Returns whether a memory
 * map tag was seen; basic_meminfo gets the basic memory tag, if any. */
static bool mb2_walk_tags(const char *base, uint32_t total, uint64_t pa, struct boot_info *info,
			  const struct mb2_tag **basic_meminfo)
{
	bool have_mmap = false;
	uint32_t off = sizeof(struct mb2_info_header);

	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = (const void *)(base + off);
		if (tag->size < sizeof(*tag) || tag->size > total - off)
			panic("multiboot2: tag type %u at offset %u has bad size %u (block is %u)",
			      tag->type, off, tag->size, total);
		if (tag->type == MB2_TAG_END)
			return have_mmap;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			info->cmdline = memmap_take_cmdline(info, pa + off + sizeof(*tag),
							    tag->size - sizeof(*tag), false);
			break;
		case MB2_TAG_MODULE:
			mb2_parse_module(tag, info);
			break;
		case MB2_TAG_BASIC_MEMINFO:
			*basic_meminfo = tag;
			break;
		case MB2_TAG_MMAP:
			mb2_parse_mmap(tag, info);
			have_mmap = true;
			break;
		default: /* not needed: skipped by its size */
			break;
		}
		off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	kprintf("multiboot2: no end tag in the %u-byte information block\n", total);
	return have_mmap;
}

/* Parses the Multiboot2 information at pa into info. Panics on missing or malformed data. */
void multiboot2_parse(paddr_t pa, struct boot_info *info)
{
	const struct mb2_info_header *hdr = memmap_boot_ptr(pa, sizeof(*hdr));
	const struct mb2_tag *basic_meminfo = NULL;

	if (!pa || !hdr)
		panic("multiboot2: no boot information (EBX = %#llx)", (unsigned long long)pa);
	uint32_t total = hdr->total_size;
	if (total < sizeof(*hdr) + sizeof(struct mb2_tag) || total > MB2_INFO_MAX ||
	    !memmap_boot_ptr(pa, total))
		panic("multiboot2: boot information at %#llx has bad total size %u",
		      (unsigned long long)pa, total);

	memmap_reserve(info, pa, total);
	if (mb2_walk_tags((const char *)hdr, total, pa, info, &basic_meminfo))
		return;
	if (!basic_meminfo)
		panic("multiboot2: neither a memory map (tag 6) nor basic memory info (tag 4)");
	kprintf("multiboot2: no memory map; using basic memory info\n");
	mb2_parse_basic_meminfo(basic_meminfo, info);
}
