/*
 * x86_64 guest part of the gdbstub: a followed process's registers (its struct user_regs)
 * in the same i386:x86-64 description as the host's, through a signal context built from
 * them.
 */
#include <string.h>
#include <ucontext.h>

#include <amphi/arch.h>

#include "sim.h"

const char *sim_gdb_guest_xml(void)
{
	return sim_gdb_target_xml();
}

unsigned sim_gdb_guest_reg_count(void)
{
	return sim_gdb_reg_count();
}

unsigned sim_gdb_guest_reg_size(unsigned n)
{
	return sim_gdb_reg_size(n);
}

int sim_gdb_guest_reg_get(const void *user_regs, unsigned n, uint8_t *buf)
{
	const struct user_regs *r = user_regs;
	static const int order[] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
				    REG_RBP, REG_RSP, REG_R8,  REG_R9,	REG_R10, REG_R11,
				    REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP, REG_EFL};
	const uint64_t *fields = &r->rax; /* rax ... r15, rip, rflags, in order */
	ucontext_t uc;

	memset(&uc.uc_mcontext, 0, sizeof(uc.uc_mcontext));
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		uc.uc_mcontext.gregs[order[i]] = (greg_t)fields[i];
	uc.uc_mcontext.fpregs = (struct _libc_fpstate *)(uintptr_t)r->fxsave;
	return sim_gdb_reg_get(&uc, n, buf);
}
