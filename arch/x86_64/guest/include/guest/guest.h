/* x86_64 guest-ISA half of arch.h (inline): the page-table entry format, the user register
 * frame and the syscall ABI that a user program sees. Portable C: the hosted build compiles
 * it for an x86_64 guest whatever CPU executes the kernel. Included only via <amphi/arch.h>. */
#pragma once

#define GUEST_ARCH_NAME "x86_64"
#define GUEST_ELF_MACHINE 62 /* EM_X86_64 */
#define GUEST_SYSCALLS <uapi/x86_64/syscalls.h>
/* x86_64 Linux has no signal return page: an action without sa_restorer gets SIGSEGV */
#define GUEST_SIGRETURN_PAGE false
#define GUEST_SIGRETURN_CODE {0x0f, 0x0b} /* ud2, never mapped */
#define GUEST_UAPI_FS <uapi/x86_64/fs.h>
#define GUEST_BREAKPOINT_SI_CODE 0x80 /* int3: SI_KERNEL, as Linux reports it */
#define GUEST_CLONE_TLS_ARG 4	 /* clone(flags, stack, parent_tid, child_tid, tls) */
#define GUEST_CLONE_CHILD_TID_ARG 3
#define GUEST_MINSIGSTKSZ 2048

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
 * fxsave is the x87/SSE state in the FXSAVE layout (Intel SDM vol. 1, 10.5.1), as the signal
 * frame's fpstate holds it. A metal CPU keeps it in its registers across syscalls and saves
 * it here when it switches threads; fp_live is the platform's tag while a CPU holds it, 0
 * when fxsave is current. Kernel code that reads or writes it calls plat_user_save_fp
 * first. */
struct user_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t fs_base, gs_base;
	uint64_t fp_live;
	_Alignas(16) uint8_t fxsave[512];
};

#define X86_FXSAVE_FCW 0
#define X86_FXSAVE_MXCSR 24
#define X86_FCW_DEFAULT 0x037f
#define X86_MXCSR_DEFAULT 0x1f80

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
 * (the ELF ABI: rdx = 0 means no function for atexit). */
/* Resets the FP state of r to what a new program starts with (FNINIT, default MXCSR). */
static inline void arch_user_regs_init_fp(struct user_regs *r)
{
	uint16_t fcw = X86_FCW_DEFAULT;
	uint32_t mxcsr = X86_MXCSR_DEFAULT;

	__builtin_memset(r->fxsave, 0, sizeof(r->fxsave));
	__builtin_memcpy(&r->fxsave[X86_FXSAVE_FCW], &fcw, sizeof(fcw));
	__builtin_memcpy(&r->fxsave[X86_FXSAVE_MXCSR], &mxcsr, sizeof(mxcsr));
}

static inline void arch_user_regs_init(struct user_regs *r, uintptr_t pc, uintptr_t sp)
{
	*r = (struct user_regs){.rip = pc, .rsp = sp, .rflags = 0x202};
	arch_user_regs_init_fp(r);
}

static inline void arch_user_set_sp(struct user_regs *r, uintptr_t sp)
{
	r->rsp = sp;
}

static inline long arch_syscall_result(const struct user_regs *r)
{
	return (long)r->rax;
}

/* syscall is 2 bytes (0f 05); rip points after it. */
static inline void arch_syscall_restart(struct user_regs *r, unsigned long nr,
					unsigned long arg0)
{
	(void)arg0; /* rdi is not clobbered by the result */
	r->rax = nr;
	r->rip -= 2;
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
