/* plat/mmu.h: what the platform caches of the kernel's page tables (TLBs; the hosted
 * machine's host windows) and how the kernel tells it the tables changed. */
#pragma once

#include <amphi/types.h>

struct vm_space;

/* Called with vm's lock held (interrupts masked) after translations of vm in [start, end)
 * were removed or lost rights: returns once no CPU can use them any more (the TLB
 * shootdown: the executing CPU drops them, and every other CPU holding vm does so before
 * this returns). code: the instructions there may have changed (the hosted machine then
 * drops its translated code too). Does not sleep. */
void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end, bool code);

/* Called by pt_create on a new root table (zeroed, at its kernel address): adds what every
 * root must map besides user space (x86_64: the kernel half). Does not sleep. */
void plat_mmu_root_init(void *root);

/* Called by pt_destroy before the root table at root is freed: afterwards no CPU uses it.
 * May wait for other CPUs; interrupts must be unmasked unless only the caller's CPU may
 * still hold it. */
void plat_mmu_root_release(paddr_t root);
