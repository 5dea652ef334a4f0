/* x86_64 guest-ISA half of arch.h (inline): the page-table entry format, the user register
 * frame and the syscall ABI that a user program sees. Portable C: the hosted build compiles
 * it for an x86_64 guest whatever CPU executes the kernel. Included only via <amphi/arch.h>. */
#pragma once

#define GUEST_ARCH_NAME "x86_64"
#define GUEST_ELF_MACHINE 62 /* EM_X86_64 */
#define GUEST_SYSCALLS <uapi/x86_64/syscalls.h>

/* Page-table entry bits (Intel SDM vol. 3, 4-level paging). */
#define X86_PTE_P (1ULL << 0)	/* present */
#define X86_PTE_RW (1ULL << 1)	/* writable */
#define X86_PTE_US (1ULL << 2)	/* user accessible */
#define X86_PTE_A (1ULL << 5)	/* accessed */
#define X86_PTE_D (1ULL << 6)	/* dirty */
#define X86_PTE_PS (1ULL << 7)	/* large page (levels 1 and 2) */
#define X86_PTE_NX (1ULL << 63) /* no execute */
#define X86_PTE_ADDR 0x000ffffffffff000ULL

static inline pte_t arch_pte_table(paddr_t table)
{
	return (table & X86_PTE_ADDR) | X86_PTE_P | X86_PTE_RW | X86_PTE_US;
}

static inline pte_t arch_pte_page(paddr_t page, unsigned prot)
{
	pte_t e = (page & X86_PTE_ADDR) | X86_PTE_P | X86_PTE_A;

	if (prot & VM_WRITE)
		e |= X86_PTE_RW | X86_PTE_D;
	if (prot & VM_USER)
		e |= X86_PTE_US;
	if (!(prot & VM_EXEC))
		e |= X86_PTE_NX;
	return e;
}

static inline bool arch_pte_valid(pte_t e)
{
	return e & X86_PTE_P;
}

static inline bool arch_pte_is_table(pte_t e, unsigned level)
{
	return level > 0 && (e & X86_PTE_P) && !(e & X86_PTE_PS);
}

static inline paddr_t arch_pte_addr(pte_t e)
{
	return e & X86_PTE_ADDR;
}

static inline unsigned arch_pte_prot(pte_t e)
{
	unsigned prot = VM_READ;

	if (e & X86_PTE_RW)
		prot |= VM_WRITE;
	if (e & X86_PTE_US)
		prot |= VM_USER;
	if (!(e & X86_PTE_NX))
		prot |= VM_EXEC;
	return prot;
}

/* The user register frame: what a user thread's registers are while the kernel runs.
 * fxsave is the x87/SSE state in the FXSAVE layout (Intel SDM vol. 1, 10.5.1), where the
 * platform keeps it (the hosted engine keeps its own). A metal CPU keeps it in its
 * registers across syscalls and saves it here when it switches threads (plat_user_save_fp);
 * fp_live is the platform's tag while a CPU holds it, 0 when fxsave is current. */
struct user_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t fs_base, gs_base;
	uint64_t fp_live;
	_Alignas(16) uint8_t fxsave[512];
};

#define X86_FXSAVE_FCW 0     /* x87 control word */
#define X86_FXSAVE_MXCSR 24  /* SSE control and status */
#define X86_FCW_INIT 0x037f  /* as after FNINIT: every exception masked, 64-bit precision */
#define X86_MXCSR_INIT 0x1f80 /* every SSE exception masked, round to nearest */

/* The syscall ABI: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax;
 * the syscall instruction clobbers rcx (return address) and r11 (rflags). */
static inline unsigned long arch_syscall_nr(const struct user_regs *r)
{
	return r->rax;
}

static inline unsigned long arch_syscall_arg(const struct user_regs *r, unsigned i)
{
	switch (i) {
	case 0:
		return r->rdi;
	case 1:
		return r->rsi;
	case 2:
		return r->rdx;
	case 3:
		return r->r10;
	case 4:
		return r->r8;
	default:
		return r->r9;
	}
}

static inline void arch_syscall_set_result(struct user_regs *r, long result)
{
	r->rax = (uint64_t)result;
}

/* Sets up r for a new program: entry point pc, stack pointer sp, every other register 0
 * (the ELF ABI: rdx = 0 means no function for atexit), x87 and SSE as after reset. */
static inline void arch_user_regs_init(struct user_regs *r, uintptr_t pc, uintptr_t sp)
{
	*r = (struct user_regs){.rip = pc, .rsp = sp, .rflags = 0x202};
	r->fxsave[X86_FXSAVE_FCW] = X86_FCW_INIT & 0xff;
	r->fxsave[X86_FXSAVE_FCW + 1] = X86_FCW_INIT >> 8;
	r->fxsave[X86_FXSAVE_MXCSR] = X86_MXCSR_INIT & 0xff;
	r->fxsave[X86_FXSAVE_MXCSR + 1] = X86_MXCSR_INIT >> 8;
}

static inline uintptr_t arch_user_pc(const struct user_regs *r)
{
	return r->rip;
}

static inline uintptr_t arch_user_sp(const struct user_regs *r)
{
	return r->rsp;
}

static inline void arch_user_set_tls(struct user_regs *r, uintptr_t tls)
{
	r->fs_base = tls;
}

static inline uintptr_t arch_user_tls(const struct user_regs *r)
{
	return r->fs_base;
}

/* x86_64 only: the GS base. */
static inline void arch_user_set_gs(struct user_regs *r, uintptr_t gs)
{
	r->gs_base = gs;
}

static inline uintptr_t arch_user_gs(const struct user_regs *r)
{
	return r->gs_base;
}
