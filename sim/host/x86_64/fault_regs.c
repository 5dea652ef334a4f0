/* x86_64 part of the fault handler: registers of the interrupted context. */
#include <ucontext.h>

#include "sim.h"

void sim_fault_regs(const void *ucontext, uintptr_t *pc, uintptr_t *fp)
{
	const ucontext_t *uc = ucontext;

	*pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	*fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
}
