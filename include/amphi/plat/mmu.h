/* plat/mmu.h: what the platform caches of the kernel's page tables (TLBs; the hosted
 * machine's host windows) and how the kernel tells it the tables changed. */
#pragma once

#include <amphi/types.h>

struct vm_space;

/* Called with vm's lock held after translations of vm in [start, end) were removed or lost
 * rights: the executing CPU drops what it cached of them; other CPUs notice the space's
 * generation moved on before they next run it. Does not sleep. */
void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end);

/* Called by pt_create on a new root table (zeroed, at its kernel address): adds what every
 * root must map besides user space (x86_64: the kernel half). Does not sleep. */
void plat_mmu_root_init(void *root);

/* Called by pt_destroy before the root table at root is freed: afterwards no CPU uses it.
 * May wait for other CPUs; interrupts must be unmasked unless only the caller's CPU may
 * still hold it. */
void plat_mmu_root_release(paddr_t root);
