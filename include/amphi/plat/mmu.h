/* plat/mmu.h: what the platform caches of the kernel's page tables (TLBs; the hosted
 * machine's host windows) and how the kernel tells it the tables changed. */
#pragma once

#include <amphi/types.h>

struct vm_space;

/* Called with vm's lock held after translations of vm in [start, end) were removed or lost
 * rights: the executing CPU drops what it cached of them; other CPUs notice the space's
 * generation moved on before they next run it. Does not sleep. */
void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end);
