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

/* The order of struct user_regs's fields rax ... r15, rip, rflags in a signal context. */
static const int user_regs_order[] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
				      REG_RBP, REG_RSP, REG_R8,	 REG_R9,  REG_R10, REG_R11,
				      REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP, REG_EFL};
#define USER_REGS_GPRS (sizeof(user_regs_order) / sizeof(user_regs_order[0]))

/* A signal context holding r's registers, its FP state r's own FXSAVE area. */
static void user_regs_to_context(const struct user_regs *r, ucontext_t *uc)
{
	const uint64_t *fields = &r->rax; /* rax ... r15, rip, rflags, in order */

	memset(&uc->uc_mcontext, 0, sizeof(uc->uc_mcontext));
	for (unsigned i = 0; i < USER_REGS_GPRS; i++)
		uc->uc_mcontext.gregs[user_regs_order[i]] = (greg_t)fields[i];
	uc->uc_mcontext.fpregs = (struct _libc_fpstate *)(uintptr_t)r->fxsave;
}

int sim_gdb_guest_reg_get(const void *user_regs, unsigned n, uint8_t *buf)
{
	ucontext_t uc;

	user_regs_to_context(user_regs, &uc);
	return sim_gdb_reg_get(&uc, n, buf);
}

/* The flags user code may change itself (CF PF AF ZF SF DF OF): the rest of a GDB write
 * to eflags is ignored, as ptrace does. */
#define USER_FLAGS_WRITABLE 0xcd5ul

int sim_gdb_guest_reg_set(void *user_regs, unsigned n, const uint8_t *buf)
{
	struct user_regs *r = user_regs;
	uint64_t *fields = &r->rax;
	uint64_t flags = r->rflags;
	ucontext_t uc;

	/* only the general registers, rip, eflags and the FP/SSE state are the process's to
	 * change (GDB numbers the first three as user_regs orders them); a segment register
	 * is refused rather than ignored */
	if (n >= USER_REGS_GPRS && !sim_gdb_reg_in_fpstate(n))
		return -1;
	user_regs_to_context(r, &uc);
	if (sim_gdb_reg_set(&uc, n, buf) < 0)
		return -1;
	for (unsigned i = 0; i < USER_REGS_GPRS; i++)
		fields[i] = (uint64_t)uc.uc_mcontext.gregs[user_regs_order[i]];
	r->rflags = (flags & ~USER_FLAGS_WRITABLE) | (r->rflags & USER_FLAGS_WRITABLE);
	return 0;
}
