/* plat/mem.h: how kernel virtual addresses reach physical memory (the direct map). */
#pragma once

#include <amphi/types.h>

/* Kernel virtual address of physical address pa, through the direct map. */
void *plat_phys_to_virt(paddr_t pa);

/* Physical address of a direct-map kernel virtual address. */
paddr_t plat_virt_to_phys(const void *va);

/* The page allocator is handing out [p, p + n) of the direct map. A platform that backs RAM
 * lazily (the hosted machine: a page fault per first touch) may back it now, in bulk. */
void plat_mem_prepare(void *p, size_t n);
