/*
 * PVH boot (Xen's HVM direct boot ABI, as QEMU -kernel uses it): struct hvm_start_info,
 * with the memory map in version 1 and later.
 */
#include <amphi/errno.h>

#include "pc.h"

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version 1 and later */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

/* Sanity bounds: far above anything real, low enough to catch garbage. */
#define PVH_MAX_MEMMAP_ENTRIES 1024
#define PVH_MAX_MODULES 64
#define PVH_CMDLINE_MAX 4096

/* Sets *table to the n entries of size bytes at pa; -EINVAL when they are not all mapped. */
static int pvh_table(paddr_t pa, uint32_t n, size_t size, const char *what, const void **table)
{
	*table = memmap_boot_ptr(pa, (uint64_t)n * size);
	if (!pa || !*table)
		return memmap_bad("pvh: %s (%u entries at %#llx) is outside the boot map", what, n,
				  (unsigned long long)pa);
	return 0;
}

/* Adds the RAM ranges of the start_info memory map and reserves the map itself. */
static int pvh_parse_memmap(const struct hvm_start_info *si, struct boot_info *info)
{
	const struct hvm_memmap_entry *map;

	if (si->version < 1 || si->memmap_entries == 0)
		return memmap_bad("pvh: start_info version %u carries no memory map", si->version);
	if (si->memmap_entries > PVH_MAX_MEMMAP_ENTRIES)
		return memmap_bad("pvh: memory map claims %u entries (more than %u)",
				  si->memmap_entries, PVH_MAX_MEMMAP_ENTRIES);
	if (pvh_table(si->memmap_paddr, si->memmap_entries, sizeof(*map), "memory map",
		      (const void **)&map))
		return -EINVAL;

	for (uint32_t i = 0; i < si->memmap_entries; i++)
		memmap_add_entry(info, map[i].addr, map[i].size, map[i].type);
	boot_info_add_reserved(info, si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(*map));
	return 0;
}

/* Reserves the module list and the modules; the first is the initial RAM disk. */
static int pvh_reserve_modules(const struct hvm_start_info *si, struct boot_info *info)
{
	const struct hvm_modlist_entry *mods;

	if (si->nr_modules == 0)
		return 0;
	if (si->nr_modules > PVH_MAX_MODULES)
		return memmap_bad("pvh: start_info claims %u modules (more than %u)",
				  si->nr_modules, PVH_MAX_MODULES);
	if (pvh_table(si->modlist_paddr, si->nr_modules, sizeof(*mods), "module list",
		      (const void **)&mods))
		return -EINVAL;

	boot_info_add_reserved(info, si->modlist_paddr, (uint64_t)si->nr_modules * sizeof(*mods));
	for (uint32_t i = 0; i < si->nr_modules; i++)
		memmap_add_module(info, mods[i].paddr, mods[i].size);
	return 0;
}

/* Parses hvm_start_info at pa (RAM, reserved ranges, command line). Returns 0, or -EINVAL
 * after printing why the data is unusable. */
int pvh_parse(paddr_t pa, struct pc_boot_parse *p)
{
	const struct hvm_start_info *si = memmap_boot_ptr(pa, sizeof(*si));
	int err;

	if (!pa || !si)
		return memmap_bad("pvh: no start_info (EBX = %#llx)", (unsigned long long)pa);
	if (si->magic != PC_PVH_START_MAGIC)
		return memmap_bad("pvh: bad start_info magic %#x at %#llx (expected %#x)",
				  si->magic, (unsigned long long)pa, PC_PVH_START_MAGIC);

	boot_info_add_reserved(p->info, pa, sizeof(*si));
	p->rsdp = si->rsdp_paddr;
	err = pvh_parse_memmap(si, p->info);
	if (!err)
		err = pvh_reserve_modules(si, p->info);
	if (!err && si->cmdline_paddr)
		err = memmap_take_cmdline(p, si->cmdline_paddr, PVH_CMDLINE_MAX, true);
	return err;
}
