/* mem_range.h: physical address ranges and the kernel's helpers for boot_info tables. */
#pragma once

#include <amphi/types.h>

/* A physical address range [base, base + size). */
struct mem_range {
	paddr_t base;
	uint64_t size;
};

struct boot_info;

/* End of [base, base + size), saturated at the top of the address space instead of wrapping. */
paddr_t mem_range_end(paddr_t base, uint64_t size);

/* End of [base, base + size) rounded up to a page boundary, saturated at the start of the
 * last page (so a range that reaches the top keeps a page-aligned end). */
paddr_t mem_range_page_end(paddr_t base, uint64_t size);

/* Appends [base, base + size), widened to whole pages (saturating at the top), to
 * info->reserved; an empty range, or one inside a range already reserved, adds nothing. Panics when
 * the table is full: a range that cannot be recorded could be handed out while firmware or the
 * kernel still uses it. */
void boot_info_add_reserved(struct boot_info *info, paddr_t base, uint64_t size);
