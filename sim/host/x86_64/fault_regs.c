/* x86_64 part of the fault handler: registers of the interrupted context. */
#include <ucontext.h>

#include "sim.h"

void sim_fault_regs(const void *ucontext, uintptr_t *pc, uintptr_t *fp)
{
	const ucontext_t *uc = ucontext;

	*pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	*fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
}

bool sim_fault_is_write(const void *ucontext)
{
	const ucontext_t *uc = ucontext;

	return uc->uc_mcontext.gregs[REG_ERR] & 2; /* page-fault error code: W/R */
}
