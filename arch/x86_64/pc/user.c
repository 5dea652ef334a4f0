/*
 * User mode on the PC: ring 3 over the process's own 4-level tables (kernel/mm/pgtable.c
 * builds them in the hardware's format; every root also holds the kernel half, copied from
 * the boot PML4 when the root is made). plat_user_run enters ring 3 through user_entry.S and
 * handles what brings it back: syscalls and faults the kernel must see are returned, page
 * misses the address space allows are filled (vm_resolve) and the program resumes, and
 * interrupts are handled as in kernel code, then returned so the scheduler's decision
 * stands.
 *
 * TLB: each CPU remembers the root in its CR3 (user_roots) and the generation of that space
 * it follows; entering a space whose generation moved on since reloads CR3 (a full flush).
 * A change to a space is shot down through the call-function IPI on every CPU that has its
 * root in CR3 (threads of one process run on several), each invalidating the range there
 * (invlpg, or a CR3 reload for a wide one), before the change returns; CPUs that hold
 * another root, and idle ones (which leave their root on the way, pc_user_idle), are
 * skipped: they flush when they load this one. A root that some CPU
 * still has in CR3 is taken off it before its page is freed.
 *
 * x87/SSE state stays live in the CPU across a program's syscalls and goes back to its
 * struct user_regs (FXSAVE) when the CPU switches threads (plat_user_save_fp). XSAVE state
 * (AVX) is not enabled, so CPUID tells user code there is none.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/smp.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "io.h"
#include "pc.h"

#define MSR_EFER 0xc0000080
#define EFER_SCE (1ULL << 0)
#define EFER_NXE (1ULL << 11)
#define CPUID_EXT_EDX_NX (1U << 20)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR0_NE (1UL << 5)
#define CR4_OSFXSR (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define CR4_SMEP (1UL << 20)
#define CR4_SMAP (1UL << 21)
#define CPUID7_EBX_SMEP (1U << 7)
#define CPUID7_EBX_SMAP (1U << 20)

#define RFLAGS_TF (1UL << 8)
#define RFLAGS_IF (1UL << 9)
#define RFLAGS_DF (1UL << 10)
#define RFLAGS_NT (1UL << 14)
#define RFLAGS_AC (1UL << 18)
/* What user code may hold in RFLAGS: the arithmetic flags, DF, AC and ID. TF is left out
 * (single-stepping would need SIGTRAP); IF is always set, IOPL always 0. */
#define RFLAGS_USER 0x240cd5UL
#define RFLAGS_USER_FIXED (RFLAGS_IF | 2UL)

#define PF_PRESENT (1U << 0)
#define PF_WRITE (1U << 1)
#define PF_RESERVED (1U << 3)
#define PF_FETCH (1U << 4)

#define VECTOR_DE 0
#define VECTOR_NMI 2
#define VECTOR_BP 3
#define VECTOR_UD 6
#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_SS 12
#define VECTOR_GP 13
#define VECTOR_PF 14
#define VECTOR_MF 16
#define VECTOR_AC 17
#define VECTOR_MC 18
#define VECTOR_XM 19
#define VECTOR_FIRST_IRQ 32

#define KERNEL_HALF_FIRST (PT_ENTRIES / 2)  /* PML4 entries 256-511 map the kernel */
#define INVLPG_MAX_PAGES 32		    /* a wider change reloads CR3 instead */
#define RESUME (-1)			    /* pc_user_stop: the fault was filled, run on */

_Static_assert(__builtin_offsetof(struct pc_cpu, user_kernel_rsp) == PC_CPU_USER_KERNEL_RSP, "");
_Static_assert(__builtin_offsetof(struct pc_cpu, user_regs) == PC_CPU_USER_REGS, "");
_Static_assert(__builtin_offsetof(struct pc_cpu, user_scratch) == PC_CPU_USER_SCRATCH, "");
_Static_assert(__builtin_offsetof(struct pc_cpu, user_error) == PC_CPU_USER_ERROR, "");
_Static_assert(__builtin_offsetof(struct pc_cpu, tss_rsp0) == PC_CPU_TSS_RSP0, "");
_Static_assert(__builtin_offsetof(struct user_regs, rax) == UR_RAX, "");
_Static_assert(__builtin_offsetof(struct user_regs, rdi) == UR_RDI, "");
_Static_assert(__builtin_offsetof(struct user_regs, rsp) == UR_RSP, "");
_Static_assert(__builtin_offsetof(struct user_regs, r8) == UR_R8, "");
_Static_assert(__builtin_offsetof(struct user_regs, r15) == UR_R15, "");
_Static_assert(__builtin_offsetof(struct user_regs, rip) == UR_RIP, "");
_Static_assert(__builtin_offsetof(struct user_regs, rflags) == UR_RFLAGS, "");
_Static_assert(__builtin_offsetof(struct user_regs, fxsave) % 16 == 0, "FXSAVE alignment");

extern uint64_t pc_pml4[PT_ENTRIES]; /* boot.S: the kernel's own root */

/* The user root in each CPU's CR3, 0 for the kernel's own. */
static uint64_t user_roots[PLAT_MAX_CPUS];
static uint64_t fp_next_tag = 1; /* for struct user_regs' fp_live: never reused, never 0 */

/* Sets and clears bits of CR0 and sets bits of CR4 on the executing CPU; returns the new CR4. */
static unsigned long update_cr0_cr4(unsigned long cr0_set, unsigned long cr0_clear,
				    unsigned long cr4_set)
{
	unsigned long cr0, cr4;

	__asm__ volatile("movq %%cr0, %0\n\tmovq %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	cr0 = (cr0 & ~cr0_clear) | cr0_set;
	cr4 |= cr4_set;
	__asm__ volatile("movq %0, %%cr0\n\tmovq %1, %%cr4" : : "r"(cr0), "r"(cr4) : "memory");
	return cr4;
}

/* Loads CR3 with root (flushing every non-global translation). */
static void write_cr3(paddr_t root)
{
	__asm__ volatile("movq %0, %%cr3" : : "r"(root) : "memory");
}

/* The faulting address of the last page fault. */
static uintptr_t read_cr2(void)
{
	uintptr_t v;
	__asm__ volatile("movq %%cr2, %0" : "=r"(v));
	return v;
}

void pc_user_cpu_init(void)
{
	struct cpuid_regs l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){0};
	unsigned long cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;

	if (l7.ebx & CPUID7_EBX_SMEP)
		cr4 |= CR4_SMEP;
	if (l7.ebx & CPUID7_EBX_SMAP)
		cr4 |= CR4_SMAP;
	cr4 = update_cr0_cr4(CR0_MP | CR0_NE, CR0_EM | CR0_TS, cr4);
	/* user page tables mark data no-execute (bit 63), which is reserved without NXE */
	if (!(cpuid(0x80000001, 0).edx & CPUID_EXT_EDX_NX))
		panic("pc: this CPU has no NX bit, which user page tables need");
	msr_write(MSR_EFER, msr_read(MSR_EFER) | EFER_SCE | EFER_NXE);
	msr_write(MSR_STAR, ((uint64_t)PC_SEL_SYSRET_BASE << 48) | ((uint64_t)PC_SEL_KERNEL_CODE << 32));
	msr_write(MSR_LSTAR, (uint64_t)(uintptr_t)pc_syscall_entry);
	msr_write(MSR_SFMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
	if (pc_cpu_self()->index == 0)
		kprintf("pc: user mode: SMEP %s, SMAP %s\n", (cr4 & CR4_SMEP) ? "on" : "absent",
			(cr4 & CR4_SMAP) ? "on" : "absent");
}

/* True when va is canonical with 48-bit addresses (bits 63-47 all equal). */
static bool canonical(uint64_t va)
{
	return va < USER_VA_END || va >= (uint64_t)0 - USER_VA_END;
}

/* Checks what iretq and wrmsr would fault on in ring 0: a program counter outside user
 * space, a non-canonical stack pointer or segment base. Such registers come from a
 * syscall that let them through; the program gets the fault it would get running them. */
static bool pc_user_regs_ok(const struct user_regs *r, struct plat_user_fault *fault)
{
	if (r->rip >= plat_user_stack_top())
		*fault = (struct plat_user_fault){r->rip, VM_EXEC, -EFAULT};
	else if (!canonical(r->rsp))
		*fault = (struct plat_user_fault){r->rsp, VM_READ, -EFAULT};
	else if (!canonical(r->fs_base) || !canonical(r->gs_base))
		*fault = (struct plat_user_fault){canonical(r->fs_base) ? r->gs_base : r->fs_base,
						  VM_READ, -EFAULT};
	else
		return true;
	return false;
}

/* Makes vm the space in CR3, flushing when this CPU's TLB may hold stale translations of
 * it. The root is published in user_roots before the generation is read again, so a change
 * whose shootdown missed this CPU moved the generation on first and is flushed here.
 * Interrupts masked. */
static void pc_user_load_space(struct pc_cpu *c, struct vm_space *vm)
{
	uint64_t gen = atomic_load(&vm->generation);

	if (user_roots[c->index] == vm->root && c->user_generation == gen)
		return;
	write_cr3(vm->root);
	atomic_store(&user_roots[c->index], vm->root);
	uint64_t now = atomic_load(&vm->generation);
	if (now != gen)
		write_cr3(vm->root);
	c->user_generation = now;
}

/* A page fault in ring 3 at addr with the CPU's error code: RESUME when vm_resolve filled
 * the page, else PLAT_USER_FAULT; *fault says which access it was either way. */
static int pc_user_page_fault(struct vm_space *vm, uintptr_t addr, uint64_t error,
			      struct plat_user_fault *fault)
{
	unsigned access = (error & PF_FETCH) ? VM_EXEC : (error & PF_WRITE) ? VM_WRITE : VM_READ;
	paddr_t pa;
	unsigned prot;

	if (error & PF_RESERVED)
		panic("pc: user page fault at %#lx on a reserved bit: the tables are corrupt",
		      (unsigned long)addr);
	int err = vm_resolve(vm, addr, access, &pa, &prot);
	if (!err && (prot & access) != access)
		err = -EACCES;
	*fault = (struct plat_user_fault){addr, access, err};
	return err ? PLAT_USER_FAULT : RESUME;
}

/* Reports trap at address addr (si_addr) in *fault. */
static int pc_user_trap(struct plat_user_fault *fault, int trap, uintptr_t addr)
{
	*fault = (struct plat_user_fault){addr, 0, trap};
	return PLAT_USER_TRAP;
}

/* What a return from ring 3 with why (a vector or PC_USER_STOP_SYSCALL) means: a
 * plat_user_stop, or RESUME. Interrupts masked; an interrupt is handled here. */
static int pc_user_stop(struct vm_space *vm, const struct user_regs *regs, unsigned why,
			struct plat_user_fault *fault)
{
	if (why == PC_USER_STOP_SYSCALL)
		return PLAT_USER_SYSCALL;
	if (why >= VECTOR_FIRST_IRQ) {
		pc_interrupt_vector(why);
		return PLAT_USER_INTERRUPT;
	}
	switch (why) {
	case VECTOR_PF:
		return pc_user_page_fault(vm, read_cr2(), pc_cpu_self()->user_error, fault);
	case VECTOR_GP: /* a privileged instruction, port I/O, a non-canonical address */
	case VECTOR_SS:
		return pc_user_trap(fault, PLAT_TRAP_PROTECTION, 0);
	case VECTOR_NMI:
	case VECTOR_DOUBLE_FAULT:
	case VECTOR_MC:
		panic("pc: vector %u (a machine fault) in user mode at rip %#lx", why,
		      (unsigned long)regs->rip);
	case VECTOR_DE:
		return pc_user_trap(fault, PLAT_TRAP_DIVIDE, regs->rip);
	case VECTOR_BP: /* a trap: rip is past the int3; Linux gives no address */
		return pc_user_trap(fault, PLAT_TRAP_BREAKPOINT, 0);
	case VECTOR_MF:
	case VECTOR_XM:
		return pc_user_trap(fault, PLAT_TRAP_FP, regs->rip);
	case VECTOR_AC:
		return pc_user_trap(fault, PLAT_TRAP_ALIGN, regs->rip);
	default: /* #UD, and the rest */
		return PLAT_USER_ILLEGAL;
	}
}

/* Makes regs' x87/SSE state the CPU's unless it holds it already (exec resets it in regs,
 * which clears the tag). Interrupts masked. */
static void pc_user_load_fp(struct pc_cpu *c, struct user_regs *regs)
{
	if (c->fp_owner == regs && regs->fp_live == c->fp_tag)
		return;
	if (c->fp_owner != regs)
		plat_user_save_fp(); /* this thread ran other registers before */
	__asm__ volatile("fxrstor64 %0" : : "m"(regs->fxsave));
	c->fp_owner = regs;
	c->fp_tag = regs->fp_live = atomic_fetch_add(&fp_next_tag, 1);
}

void plat_user_save_fp(void)
{
	irqflags_t flags = plat_irq_save();
	struct pc_cpu *c = pc_cpu_self();
	struct user_regs *owner = c->fp_owner;

	if (owner) {
		if (owner->fp_live == c->fp_tag)
			__asm__ volatile("fxsave64 %0" : "=m"(owner->fxsave));
		owner->fp_live = 0;
		c->fp_owner = NULL;
	}
	plat_irq_restore(flags);
}

int plat_user_run(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *fault)
{
	struct plat_user_fault last = {1, 0, 0}; /* no page: page addresses are aligned */

	for (;;) {
		if (!pc_user_regs_ok(regs, fault))
			return PLAT_USER_FAULT;
		plat_irq_disable();
		pc_user_load_space(pc_cpu_self(), vm);
		msr_write(MSR_FS_BASE, regs->fs_base);
		msr_write(MSR_KERNEL_GS_BASE, regs->gs_base);
		regs->rflags = (regs->rflags & RFLAGS_USER) | RFLAGS_USER_FIXED;
		pc_user_load_fp(pc_cpu_self(), regs);
		unsigned why = pc_user_enter(regs);
		int stop = pc_user_stop(vm, regs, why, fault);
		plat_irq_enable();
		if (stop != RESUME)
			return stop;
		/* a read may map a page that a write then faults on again, never the same twice */
		fault->addr = ALIGN_DOWN(fault->addr, PAGE_SIZE);
		if (fault->addr == last.addr && fault->access == last.access)
			panic("pc: user page fault at %#lx (access %u) again after vm_resolve "
			      "allowed it",
			      (unsigned long)fault->addr, fault->access);
		last = *fault;
	}
}

/* CPUID leaf 1 EDX, as Linux gives x86_64 programs in AT_HWCAP. */
unsigned long plat_user_hwcap(void)
{
	return cpuid(1, 0).edx;
}

/* Linux's AT_HWCAP2 bits (ring-3 MONITOR/MWAIT, FSGSBASE) stay off: neither is enabled. */
unsigned long plat_user_hwcap2(void)
{
	return 0;
}

const char *plat_user_platform(void)
{
	return "x86_64";
}

/* A change for pc_user_shootdown. */
struct pc_shootdown {
	struct vm_space *vm;
	uintptr_t start, end;
};

/* Drops the executing CPU's translations of [s->start, s->end) of s->vm if its root is in
 * CR3 (run on each CPU holding it). */
static void pc_user_shootdown(void *arg)
{
	const struct pc_shootdown *s = arg;
	struct pc_cpu *c = pc_cpu_self();

	if (atomic_load(&user_roots[c->index]) != s->vm->root)
		return;
	if ((s->end - s->start) / PAGE_SIZE > INVLPG_MAX_PAGES)
		write_cr3(s->vm->root);
	else
		for (uintptr_t va = s->start; va < s->end; va += PAGE_SIZE)
			__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	/* caught up, unless an earlier change never reached this CPU (tlb_shootdown=off) */
	uint64_t gen = atomic_load(&s->vm->generation);
	if (c->user_generation + 1 == gen)
		c->user_generation = gen;
}

void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end, bool code)
{
	struct pc_shootdown s = {vm, start, end};

	(void)code; /* the TLB holds no code of its own */
	vm_shootdown(user_roots, vm->root, pc_user_shootdown, &s);
}

void plat_mmu_root_init(void *root)
{
	uint64_t *table = root;

	for (unsigned i = KERNEL_HALF_FIRST; i < PT_ENTRIES; i++)
		table[i] = pc_pml4[i];
}

/* Puts the kernel's own root in CR3 of CPU c (the executing one). Interrupts masked. */
static void pc_user_load_kernel_root(struct pc_cpu *c)
{
	write_cr3(plat_virt_to_phys(pc_pml4));
	atomic_store(&user_roots[c->index], 0);
}

void pc_user_idle(void)
{
	struct pc_cpu *c = pc_cpu_self();

	if (user_roots[c->index])
		pc_user_load_kernel_root(c);
}

/* Puts the kernel's own root in CR3 if *arg (a root being freed) is there. */
static void pc_user_leave_root(void *arg)
{
	irqflags_t flags = plat_irq_save();
	struct pc_cpu *c = pc_cpu_self();

	if (user_roots[c->index] == *(const paddr_t *)arg)
		pc_user_load_kernel_root(c);
	plat_irq_restore(flags);
}

void plat_mmu_root_release(paddr_t root)
{
	smp_call_where(user_roots, root, pc_user_leave_root, &root);
}
