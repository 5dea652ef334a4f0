/* Helpers the platforms share while they fill struct boot_info. */
#include <amphi/arch.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

paddr_t mem_range_end(paddr_t base, uint64_t size)
{
	return base + size < base ? ~(paddr_t)0 : base + size;
}

paddr_t mem_range_page_end(paddr_t base, uint64_t size)
{
	paddr_t end = mem_range_end(base, size);
	paddr_t last_page = ALIGN_DOWN(~(paddr_t)0, PAGE_SIZE);

	return end > last_page ? last_page : ALIGN_UP(end, PAGE_SIZE);
}

/* True when [base, end) lies inside one range already reserved in info. */
static bool boot_info_is_reserved(const struct boot_info *info, paddr_t base, paddr_t end)
{
	for (size_t i = 0; i < info->reserved_count; i++) {
		const struct mem_range *r = &info->reserved[i];
		if (base >= r->base && end <= mem_range_end(r->base, r->size))
			return true;
	}
	return false;
}

void boot_info_add_reserved(struct boot_info *info, paddr_t base, uint64_t size)
{
	paddr_t end = mem_range_page_end(base, size);

	if (size == 0)
		return;
	base = ALIGN_DOWN(base, PAGE_SIZE);
	if (boot_info_is_reserved(info, base, end))
		return;
	if (info->reserved_count >= PLAT_MAX_MEM_RANGES)
		panic("boot_info: more than %d reserved ranges; cannot protect [%#llx, +%#llx)",
		      PLAT_MAX_MEM_RANGES, (unsigned long long)base, (unsigned long long)size);
	info->reserved[info->reserved_count++] = (struct mem_range){base, end - base};
}
