/* aarch64 guest-ISA half of arch.h (inline): the VMSAv8-64 4 KiB-granule page-table entry
 * format, the user register frame and the syscall ABI that a user program sees. Portable C:
 * the hosted build compiles it for an aarch64 guest whatever CPU executes the kernel.
 * Included only via <amphi/arch.h>. */
#pragma once

#define GUEST_ARCH_NAME "aarch64"
#define GUEST_ELF_MACHINE 183 /* EM_AARCH64 */
#define GUEST_SYSCALLS <uapi/aarch64/syscalls.h>
/* The page a handler returns through when its action names no sa_restorer, as Linux's vDSO
 * trampoline (libcs rely on it): mov x8, #139 (rt_sigreturn); svc #0 */
#define GUEST_SIGRETURN_PAGE true
#define GUEST_SIGRETURN_CODE {0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}
#define GUEST_UAPI_FS <uapi/aarch64/fs.h>
#define GUEST_BREAKPOINT_SI_CODE 1 /* brk: TRAP_BRKPT */
#define GUEST_CLONE_TLS_ARG 3	 /* clone(flags, stack, parent_tid, tls, child_tid) */
#define GUEST_CLONE_CHILD_TID_ARG 4
#define GUEST_MINSIGSTKSZ 5120

/* Descriptor bits (Arm ARM D8.3, stage 1, 4 KiB granule). */
#define A64_PTE_VALID (1ULL << 0)
#define A64_PTE_TABLE (1ULL << 1) /* table descriptor at levels 0-2, page at level 3 */
#define A64_PTE_ATTR_NORMAL (0ULL << 2) /* MAIR index 0: normal write-back memory */
#define A64_PTE_AP_EL0 (1ULL << 6)	/* AP[1]: EL0 may access */
#define A64_PTE_AP_RO (1ULL << 7)	/* AP[2]: read-only */
#define A64_PTE_SH_INNER (3ULL << 8)
#define A64_PTE_AF (1ULL << 10) /* access flag */
#define A64_PTE_NG (1ULL << 11) /* not global: tagged with the ASID */
#define A64_PTE_PXN (1ULL << 53)
#define A64_PTE_UXN (1ULL << 54)
#define A64_PTE_ADDR 0x0000fffffffff000ULL

static inline pte_t arch_pte_table(paddr_t table)
{
	return (table & A64_PTE_ADDR) | A64_PTE_VALID | A64_PTE_TABLE;
}

static inline pte_t arch_pte_page(paddr_t page, unsigned prot)
{
	pte_t e = (page & A64_PTE_ADDR) | A64_PTE_VALID | A64_PTE_TABLE | A64_PTE_ATTR_NORMAL |
		  A64_PTE_SH_INNER | A64_PTE_AF;

	if (!(prot & VM_WRITE))
		e |= A64_PTE_AP_RO;
	if (prot & VM_USER)
		e |= A64_PTE_AP_EL0 | A64_PTE_NG | A64_PTE_PXN; /* the kernel never runs user code */
	if (!(prot & VM_EXEC))
		e |= A64_PTE_UXN | A64_PTE_PXN;
	return e;
}

static inline bool arch_pte_valid(pte_t e)
{
	return e & A64_PTE_VALID;
}

static inline bool arch_pte_is_table(pte_t e, unsigned level)
{
	return level > 0 && (e & (A64_PTE_VALID | A64_PTE_TABLE)) == (A64_PTE_VALID | A64_PTE_TABLE);
}

static inline paddr_t arch_pte_addr(pte_t e)
{
	return e & A64_PTE_ADDR;
}

static inline unsigned arch_pte_prot(pte_t e)
{
	unsigned prot = VM_READ;

	if (!(e & A64_PTE_AP_RO))
		prot |= VM_WRITE;
	if (e & A64_PTE_AP_EL0)
		prot |= VM_USER;
	if (!(e & ((e & A64_PTE_AP_EL0) ? A64_PTE_UXN : A64_PTE_PXN)))
		prot |= VM_EXEC;
	return prot;
}

/* The user register frame: what a user thread's registers are while the kernel runs.
 * vregs holds the 32 FP/SIMD registers (128 bits each, low half first) with fpsr and
 * fpcr, as the signal frame's fpsimd_context does. A metal CPU keeps them in its registers
 * across syscalls and saves them here when it switches threads; fp_live is the platform's
 * tag while a CPU holds them, 0 when vregs is current. Kernel code that reads or writes
 * them calls plat_user_save_fp first. */
struct user_regs {
	uint64_t x[31];
	uint64_t sp, pc, pstate;
	uint64_t tpidr_el0;
	uint64_t fp_live;
	_Alignas(16) uint64_t vregs[64];
	uint64_t fpsr, fpcr;
};

/* The syscall ABI: number in x8, arguments in x0-x5, result in x0. */
static inline unsigned long arch_syscall_nr(const struct user_regs *r)
{
	return r->x[8];
}

static inline unsigned long arch_syscall_arg(const struct user_regs *r, unsigned i)
{
	return r->x[i < 6 ? i : 5];
}

static inline void arch_syscall_set_result(struct user_regs *r, long result)
{
	r->x[0] = (uint64_t)result;
}

/* Sets up r for a new program: entry point pc, stack pointer sp, every other register 0
 * (x0 = 0 means no function for atexit). */
static inline void arch_user_regs_init(struct user_regs *r, uintptr_t pc, uintptr_t sp)
{
	*r = (struct user_regs){.pc = pc, .sp = sp};
}

static inline void arch_user_regs_init_fp(struct user_regs *r)
{
	__builtin_memset(r->vregs, 0, sizeof(r->vregs));
	r->fpsr = r->fpcr = 0;
}

static inline void arch_user_set_sp(struct user_regs *r, uintptr_t sp)
{
	r->sp = sp;
}

static inline long arch_syscall_result(const struct user_regs *r)
{
	return (long)r->x[0];
}

/* svc is 4 bytes; pc points after it. x0 held the first argument before the result. */
static inline void arch_syscall_restart(struct user_regs *r, unsigned long nr,
					unsigned long arg0)
{
	r->x[8] = nr;
	r->x[0] = arg0;
	r->pc -= 4;
}

static inline uintptr_t arch_user_pc(const struct user_regs *r)
{
	return r->pc;
}

static inline uintptr_t arch_user_sp(const struct user_regs *r)
{
	return r->sp;
}

static inline void arch_user_set_tls(struct user_regs *r, uintptr_t tls)
{
	r->tpidr_el0 = tls;
}

static inline uintptr_t arch_user_tls(const struct user_regs *r)
{
	return r->tpidr_el0;
}

/* No GS on aarch64: arch_prctl is x86_64's alone and never reaches these. */
static inline void arch_user_set_gs(struct user_regs *r, uintptr_t gs)
{
	(void)r;
	(void)gs;
}

static inline uintptr_t arch_user_gs(const struct user_regs *r)
{
	(void)r;
	return 0;
}
