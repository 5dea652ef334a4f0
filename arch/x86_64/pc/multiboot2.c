/*
 * Multiboot2 boot (GRUB): the boot information block is a size header followed by
 * 8-byte-aligned tags, ended by a tag of type 0. Every tag is bounds-checked against the
 * block; unknown tags are skipped by their size.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>

#include "pc.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14 /* a copy of the RSDP 1.0 */
#define MB2_TAG_ACPI_NEW 15 /* a copy of the RSDP 2.0 and later */

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

/* What the tag walk found that matters after it. */
struct mb2_seen {
	bool mmap;
	const struct mb2_tag *basic_meminfo;
};

struct mb2_mmap_entry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

/* Adds the RAM ranges of a memory-map tag (entries after its 16-byte header). */
static int mb2_parse_mmap(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_mmap *mmap = (const void *)tag;

	if (tag->size < sizeof(*mmap))
		return memmap_bad("multiboot2: memory map tag of %u bytes is too short", tag->size);
	if (mmap->entry_size < sizeof(struct mb2_mmap_entry) || mmap->entry_size % 8)
		return memmap_bad("multiboot2: memory map entry size %u is invalid",
				  mmap->entry_size);

	uint32_t count = (tag->size - sizeof(*mmap)) / mmap->entry_size;
	const char *entries = (const char *)(mmap + 1);
	for (uint32_t i = 0; i < count; i++) {
		const struct mb2_mmap_entry *e =
		    (const void *)(entries + (size_t)i * mmap->entry_size);
		memmap_add_entry(info, e->base_addr, e->length, e->type);
	}
	return 0;
}

/* RAM from the basic memory information, for loaders that give no memory map. */
static int mb2_parse_basic_meminfo(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_basic_meminfo *mem = (const void *)tag;

	if (tag->size < sizeof(*mem))
		return memmap_bad("multiboot2: basic memory tag of %u bytes is too short",
				  tag->size);
	kprintf("multiboot2: no memory map; using basic memory info\n");
	memmap_add_entry(info, 0, (uint64_t)mem->mem_lower << 10, 1);
	memmap_add_entry(info, 1 << 20, (uint64_t)mem->mem_upper << 10, 1);
	return 0;
}

/* Reserves a boot module; the first is the initial RAM disk. */
static int mb2_parse_module(const struct mb2_tag *tag, struct boot_info *info)
{
	const struct mb2_tag_module *mod = (const void *)tag;

	if (tag->size < sizeof(*mod) || mod->mod_end < mod->mod_start)
		return memmap_bad("multiboot2: malformed module tag");
	memmap_add_module(info, mod->mod_start, mod->mod_end - mod->mod_start);
	return 0;
}

/* Handles one tag at offset off of the block at pa; unknown types are skipped. */
static int mb2_parse_tag(const struct mb2_tag *tag, paddr_t pa, uint32_t off,
			 struct pc_boot_parse *p, struct mb2_seen *seen)
{
	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		return memmap_take_cmdline(p, pa + off + sizeof(*tag), tag->size - sizeof(*tag),
					   false);
	case MB2_TAG_MODULE:
		return mb2_parse_module(tag, p->info);
	case MB2_TAG_BASIC_MEMINFO:
		seen->basic_meminfo = tag;
		return 0;
	case MB2_TAG_MMAP:
		seen->mmap = true;
		return mb2_parse_mmap(tag, p->info);
	case MB2_TAG_ACPI_NEW:
		p->rsdp = pa + off + sizeof(*tag); /* the copy itself: the ACPI code checks it */
		return 0;
	case MB2_TAG_ACPI_OLD:
		if (!p->rsdp)
			p->rsdp = pa + off + sizeof(*tag);
		return 0;
	default:
		return 0;
	}
}

/* Walks the tags of the total-byte block at base (physical pa), bounds-checking each. */
static int mb2_walk_tags(const char *base, uint32_t total, paddr_t pa, struct pc_boot_parse *p,
			 struct mb2_seen *seen)
{
	uint32_t off = sizeof(struct mb2_info_header);

	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = (const void *)(base + off);
		if (tag->size < sizeof(*tag) || tag->size > total - off)
			return memmap_bad("multiboot2: tag type %u at offset %u has bad size %u "
					  "(block is %u bytes)",
					  tag->type, off, tag->size, total);
		if (tag->type == MB2_TAG_END)
			return 0;
		int err = mb2_parse_tag(tag, pa, off, p, seen);
		if (err)
			return err;
		off += ALIGN_UP(tag->size, MB2_TAG_ALIGN);
	}
	kprintf("multiboot2: no end tag in the %u-byte information block\n", total);
	return 0;
}

/* Parses the Multiboot2 information at pa. Returns 0, or -EINVAL after printing why the
 * data is unusable. */
int multiboot2_parse(paddr_t pa, struct pc_boot_parse *p)
{
	const struct mb2_info_header *hdr = memmap_boot_ptr(pa, sizeof(*hdr));
	struct mb2_seen seen = {0};

	if (!pa || !hdr)
		return memmap_bad("multiboot2: no boot information (EBX = %#llx)",
				  (unsigned long long)pa);
	uint32_t total = hdr->total_size;
	if (total < sizeof(*hdr) + sizeof(struct mb2_tag) || total > MB2_INFO_MAX ||
	    !memmap_boot_ptr(pa, total))
		return memmap_bad("multiboot2: boot information at %#llx has bad total size %u",
				  (unsigned long long)pa, total);

	boot_info_add_reserved(p->info, pa, total);
	int err = mb2_walk_tags((const char *)hdr, total, pa, p, &seen);
	if (err || seen.mmap)
		return err;
	if (!seen.basic_meminfo)
		return memmap_bad("multiboot2: neither a memory map (tag 6) nor basic memory "
				  "info (tag 4)");
	return mb2_parse_basic_meminfo(seen.basic_meminfo, p->info);
}
