/*
 * User mode on aarch64: EL0 over the process's own 4-level tables (kernel/mm/pgtable.c
 * builds them in the VMSAv8-64 format) in TTBR0, the kernel staying in TTBR1.
 * plat_user_run erets to EL0 through user_entry.S and handles what brings it back:
 * syscalls (svc) and faults the kernel must see are returned, translation and permission
 * faults the space allows are filled (vm_resolve) and the program resumes, and IRQs are
 * handled as in kernel code, then returned so the scheduler's decision stands.
 *
 * TLB: every user entry is not-global with ASID 0. A CPU reloads TTBR0 (and drops its whole
 * TLB) when it enters a root other than the one it holds; changes to a space are
 * invalidated by VA (or all of ASID 0, for a wide one) in the inner-shareable domain: the
 * broadcast TLBI is the shootdown, with no IPI, and the DSB ISH after it waits until every
 * CPU has dropped the entries, so the change returns only then. It also hits CPUs running
 * other spaces (one ASID for all), which costs them refills but is cheaper than an IPI.
 * A root still in some CPU's TTBR0 is replaced there by an empty one before it is freed.
 *
 * FP/SIMD registers stay live in the CPU across a program's syscalls and go back to its
 * struct user_regs when the CPU switches threads (plat_user_save_fp); CPACR_EL1 lets FP/SIMD
 * run only while a user run is under way, so the kernel's own use still traps. PAN is on
 * when the CPU has it.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/smp.h>
#include <amphi/vm.h>

#include "sysreg.h"
#include "user_entry.h"
#include "virt.h"

#define CPACR_FPEN_ALL (3ULL << 20) /* FP/SIMD at EL0 and EL1 untrapped */
#define SCTLR_DZE (1ULL << 14)	    /* EL0 may use DC ZVA */
#define SCTLR_UCT (1ULL << 15)	    /* EL0 may read CTR_EL0 */
#define SCTLR_NTWI (1ULL << 16)	    /* EL0's WFI is not trapped */
#define SCTLR_NTWE (1ULL << 18)	    /* EL0's WFE is not trapped */
#define SCTLR_SPAN (1ULL << 23)	    /* clear: PSTATE.PAN is set on every exception to EL1 */
#define SCTLR_UCI (1ULL << 26)	    /* EL0 may clean caches by VA (DC CVAU, IC IVAU) */
#define CNTKCTL_EL0VCTEN (1ULL << 1) /* EL0 may read the virtual counter and its frequency */
#define MSR_PAN_1 ".inst 0xd500419f" /* msr pan, #1 (ARMv8.1) */

#define PSTATE_NZCV 0xf0000000ULL /* what EL0 keeps of its PSTATE; EL0t, nothing masked */

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)
#define EC_SVC64 0x15
#define EC_IABT_EL0 0x20
#define EC_PC_ALIGN 0x22
#define EC_DABT_EL0 0x24
#define EC_SP_ALIGN 0x26
#define EC_BRK64 0x3c
#define ISS_WNR (1u << 6)
#define ISS_FNV (1u << 10) /* FAR not valid */
#define FSC_TRANSLATION 0x04 /* 0x04-0x07 by level */
#define FSC_ACCESS_FLAG 0x08
#define FSC_PERMISSION 0x0c

#define TLBI_RANGE_MAX_PAGES 32		    /* a wider change drops all of ASID 0 instead */
#define RESUME (-1)			    /* a64_user_stop: the fault was filled, run on */

_Static_assert(__builtin_offsetof(struct user_regs, x[2]) == UR_X2, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, sp) == UR_SP, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, pc) == UR_PC, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, pstate) == UR_PSTATE, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, tpidr_el0) == UR_TPIDR, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, vregs) == UR_V, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, fpsr) == UR_FPSR, "user_entry.h");
_Static_assert(__builtin_offsetof(struct user_regs, fpcr) == UR_FPCR, "user_entry.h");

/* Runs *regs at EL0 until an exception from EL0 (user_entry.S); returns its vector index. */
unsigned a64_user_enter(struct user_regs *regs);

/* Load and save the FP/SIMD registers of regs (user_entry.S); FP/SIMD must be untrapped. */
void a64_fp_load(const struct user_regs *regs);
void a64_fp_save(struct user_regs *regs);

static uint64_t user_root[PLAT_MAX_CPUS]; /* the root in each CPU's TTBR0, 0: the empty one */
static uint64_t user_generation[PLAT_MAX_CPUS]; /* of that root's space when loaded */
/* Whose FP/SIMD registers each CPU holds live (the running thread's, or NULL), with the tag
 * it wrote into their fp_live; tags are never reused and never 0. */
static struct user_regs *fp_owner[PLAT_MAX_CPUS];
static uint64_t fp_tag[PLAT_MAX_CPUS];
static uint64_t fp_next_tag = 1;
static uint64_t user_empty_root[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

void a64_user_cpu_init(void)
{
	bool pan = (sysreg_read(id_aa64mmfr1_el1) >> 20 & 0xf) != 0;
	uint64_t sctlr = sysreg_read(sctlr_el1) | SCTLR_DZE | SCTLR_UCT | SCTLR_NTWI |
			 SCTLR_NTWE | SCTLR_UCI;

	if (pan)
		sctlr &= ~SCTLR_SPAN;
	sysreg_write(sctlr_el1, sctlr);
	sysreg_write(cntkctl_el1, sysreg_read(cntkctl_el1) | CNTKCTL_EL0VCTEN);
	sysreg_write(ttbr0_el1, plat_virt_to_phys(user_empty_root));
	isb();
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
	if (pan)
		__asm__ volatile(MSR_PAN_1 ::: "memory");
	if (plat_cpu_id() == 0)
		kprintf("virt: user mode: PAN %s\n", pan ? "on" : "absent");
}

/* Loads root into TTBR0 and drops every cached translation (the boot identity map's global
 * ones included). IRQs masked. */
static void a64_load_root(paddr_t root)
{
	sysreg_write(ttbr0_el1, root);
	isb();
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
}

/* Makes vm the space in TTBR0, flushing when this CPU's TLB may hold stale translations of
 * it: another root, or the same one whose generation moved on since (fork write-protects
 * every private page without a per-page invalidation). IRQs masked. */
static void a64_user_load_space(struct vm_space *vm)
{
	unsigned cpu = plat_cpu_id();
	uint64_t gen = atomic_load_relaxed(&vm->generation);

	if (user_root[cpu] == vm->root && user_generation[cpu] == gen)
		return;
	a64_load_root(vm->root);
	atomic_store(&user_root[cpu], vm->root);
	user_generation[cpu] = gen;
}

/* Makes the instruction stream see the page at pa as the data side wrote it (the kernel
 * filled it through its own map). */
static void a64_sync_icache(paddr_t pa)
{
	uint64_t line = 4ULL << (sysreg_read(ctr_el0) >> 16 & 0xf);
	uintptr_t va = (uintptr_t)plat_phys_to_virt(pa);

	for (uintptr_t at = va; at < va + PAGE_SIZE; at += line)
		__asm__ volatile("dc cvau, %0" ::"r"(at) : "memory");
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}

/* An instruction or data abort from EL0 with syndrome esr at addr: RESUME when vm_resolve
 * filled the page, else PLAT_USER_FAULT; *fault says which access it was either way. */
static int a64_user_abort(struct vm_space *vm, uint64_t esr, uintptr_t addr,
			  struct plat_user_fault *fault)
{
	unsigned iss = ESR_ISS(esr), fsc = iss & 0x3c;
	unsigned access = ESR_EC(esr) == EC_IABT_EL0 ? VM_EXEC : (iss & ISS_WNR) ? VM_WRITE : VM_READ;
	paddr_t pa;
	unsigned prot;
	int err = -EFAULT;

	if (iss & ISS_FNV)
		addr = 0;
	if (fsc == FSC_TRANSLATION || fsc == FSC_ACCESS_FLAG || fsc == FSC_PERMISSION) {
		err = vm_resolve(vm, addr, access, &pa, &prot);
		if (!err && (prot & access) != access)
			err = -EACCES;
		if (!err && (prot & VM_EXEC))
			a64_sync_icache(pa);
	}
	*fault = (struct plat_user_fault){addr, access, err};
	return err ? PLAT_USER_FAULT : RESUME;
}

/* What a synchronous exception from EL0 means: a plat_user_stop, or RESUME. */
static int a64_user_sync(struct vm_space *vm, const struct user_regs *regs,
			 struct plat_user_fault *fault)
{
	uint64_t esr = sysreg_read(esr_el1);

	switch (ESR_EC(esr)) {
	case EC_SVC64:
		return PLAT_USER_SYSCALL;
	case EC_IABT_EL0:
	case EC_DABT_EL0:
		return a64_user_abort(vm, esr, sysreg_read(far_el1), fault);
	case EC_PC_ALIGN: /* SIGBUS, as Linux */
		*fault = (struct plat_user_fault){regs->pc, VM_EXEC, PLAT_TRAP_ALIGN};
		return PLAT_USER_TRAP;
	case EC_SP_ALIGN:
		*fault = (struct plat_user_fault){regs->sp, VM_WRITE, PLAT_TRAP_ALIGN};
		return PLAT_USER_TRAP;
	case EC_BRK64:
		*fault = (struct plat_user_fault){regs->pc, VM_EXEC, PLAT_TRAP_BREAKPOINT};
		return PLAT_USER_TRAP;
	default: /* undefined or trapped instructions, debug: SIGILL */
		return PLAT_USER_ILLEGAL;
	}
}

/* What a return from EL0 through vector means: a plat_user_stop, or RESUME. IRQs masked;
 * an IRQ is handled here. */
static int a64_user_stop(struct vm_space *vm, const struct user_regs *regs, unsigned vector,
			 struct plat_user_fault *fault)
{
	switch (vector) {
	case USER_VECTOR_SYNC:
		return a64_user_sync(vm, regs, fault);
	case USER_VECTOR_IRQ:
		virt_irq_entry();
		return PLAT_USER_INTERRUPT;
	default:
		panic("virt: %s from EL0 at pc %#llx (ESR %#llx)",
		      vector == USER_VECTOR_FIQ ? "FIQ" : "SError", (unsigned long long)regs->pc,
		      (unsigned long long)sysreg_read(esr_el1));
	}
}

/* Makes regs' FP/SIMD registers the CPU's unless it holds them already (exec resets them
 * in regs, which clears the tag). IRQs masked, FP/SIMD untrapped. */
static void a64_user_load_fp(struct user_regs *regs)
{
	unsigned cpu = plat_cpu_id();

	if (fp_owner[cpu] == regs && regs->fp_live == fp_tag[cpu])
		return;
	if (fp_owner[cpu] != regs)
		plat_user_save_fp(); /* this thread ran other registers before */
	a64_fp_load(regs);
	fp_owner[cpu] = regs;
	fp_tag[cpu] = regs->fp_live = atomic_fetch_add(&fp_next_tag, 1);
}

void plat_user_save_fp(void)
{
	irqflags_t flags = plat_irq_save();
	unsigned cpu = plat_cpu_id();
	struct user_regs *owner = fp_owner[cpu];

	if (owner) {
		uint64_t cpacr = sysreg_read(cpacr_el1);
		sysreg_write(cpacr_el1, CPACR_FPEN_ALL);
		isb();
		if (owner->fp_live == fp_tag[cpu])
			a64_fp_save(owner);
		sysreg_write(cpacr_el1, cpacr);
		isb();
		owner->fp_live = 0;
		fp_owner[cpu] = NULL;
	}
	plat_irq_restore(flags);
}

int plat_user_run(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *fault)
{
	struct plat_user_fault last = {1, 0, 0}; /* no page: page addresses are aligned */

	for (;;) {
		if (regs->pc >= plat_user_stack_top()) {
			*fault = (struct plat_user_fault){regs->pc, VM_EXEC, -EFAULT};
			return PLAT_USER_FAULT;
		}
		plat_irq_disable();
		a64_user_load_space(vm);
		regs->pstate &= PSTATE_NZCV;
		sysreg_write(cpacr_el1, CPACR_FPEN_ALL);
		isb();
		a64_user_load_fp(regs);
		unsigned vector = a64_user_enter(regs);
		sysreg_write(cpacr_el1, CPACR_EL1_FP_TRAP);
		isb();
		int stop = a64_user_stop(vm, regs, vector, fault);
		plat_irq_enable();
		if (stop != RESUME)
			return stop;
		/* a read may map a page that a write then faults on again, never the same twice */
		fault->addr = ALIGN_DOWN(fault->addr, PAGE_SIZE);
		if (fault->addr == last.addr && fault->access == last.access)
			panic("virt: user abort at %#lx (access %u) again after vm_resolve "
			      "allowed it",
			      (unsigned long)fault->addr, fault->access);
		last = *fault;
	}
}

/* One AT_HWCAP bit and the ID register field that grants it. */
struct a64_hwcap {
	uint8_t reg;   /* 0: ID_AA64PFR0_EL1, 1: ID_AA64ISAR0_EL1, 2: ID_AA64ISAR1_EL1 */
	uint8_t shift; /* of the 4-bit field */
	uint8_t min;   /* the field value from which the feature is there */
	uint8_t bit;   /* Linux's HWCAP_* bit */
};

/* Features user code may use without the kernel doing anything more: FP and AdvSIMD
 * (signed fields, 0xf = absent), the crypto, CRC, atomics and dot-product extensions. */
static const struct a64_hwcap a64_hwcaps[] = {
    {0, 16, 0, 0},  /* FP */
    {0, 20, 0, 1},  /* ASIMD */
    {1, 4, 1, 3},   /* AES */
    {1, 4, 2, 4},   /* PMULL */
    {1, 8, 1, 5},   /* SHA1 */
    {1, 12, 1, 6},  /* SHA2 */
    {1, 16, 1, 7},  /* CRC32 */
    {1, 20, 2, 8},  /* ATOMICS */
    {0, 16, 1, 9},  /* FPHP */
    {0, 20, 1, 10}, /* ASIMDHP */
    {1, 28, 1, 12}, /* ASIMDRDM */
    {2, 12, 1, 13}, /* JSCVT */
    {2, 16, 1, 14}, /* FCMA */
    {2, 20, 1, 15}, /* LRCPC */
    {1, 32, 1, 17}, /* SHA3 */
    {1, 36, 1, 18}, /* SM3 */
    {1, 40, 1, 19}, /* SM4 */
    {1, 44, 1, 20}, /* ASIMDDP */
    {1, 12, 2, 21}, /* SHA512 */
    {1, 48, 1, 23}, /* ASIMDFHM */
    {2, 20, 2, 26}, /* ILRCPC */
    {1, 52, 1, 27}, /* FLAGM */
};

unsigned long plat_user_hwcap(void)
{
	uint64_t regs[3] = {sysreg_read(id_aa64pfr0_el1), sysreg_read(id_aa64isar0_el1),
			    sysreg_read(id_aa64isar1_el1)};
	unsigned long hwcap = 0;

	for (size_t i = 0; i < ARRAY_SIZE(a64_hwcaps); i++) {
		const struct a64_hwcap *h = &a64_hwcaps[i];
		unsigned field = regs[h->reg] >> h->shift & 0xf;
		bool present = h->reg == 0 ? field != 0xf && field >= h->min : field >= h->min;
		if (present)
			hwcap |= 1UL << h->bit;
	}
	return hwcap;
}

/* AT_HWCAP2's features (SVE2, MTE, BTI...) need the kernel's help or are not enabled. */
unsigned long plat_user_hwcap2(void)
{
	return 0;
}

const char *plat_user_platform(void)
{
	return "aarch64";
}

/* Drops this CPU's translations of [start, end) of ASID 0 (not the others'). */
static void a64_tlbi_local(uintptr_t start, uintptr_t end)
{
	if ((end - start) / PAGE_SIZE > TLBI_RANGE_MAX_PAGES)
		__asm__ volatile("tlbi aside1, xzr" ::: "memory");
	else
		for (uintptr_t va = start; va < end; va += PAGE_SIZE)
			__asm__ volatile("tlbi vae1, %0" ::"r"(va >> PAGE_SHIFT) : "memory");
	__asm__ volatile("dsb nsh" ::: "memory");
}

void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end, bool code)
{
	(void)vm; /* ASID 0 for every space: dropping the range everywhere is enough */
	(void)code; /* instruction fetches use the same TLB entries */
	__asm__ volatile("dsb ishst" ::: "memory"); /* the tables' change reaches every walker */
	if (!vm_shootdown_enabled()) /* the planted bug: this CPU only */
		a64_tlbi_local(start, end);
	else if ((end - start) / PAGE_SIZE > TLBI_RANGE_MAX_PAGES)
		__asm__ volatile("tlbi aside1is, xzr" ::: "memory");
	else
		for (uintptr_t va = start; va < end; va += PAGE_SIZE)
			__asm__ volatile("tlbi vae1is, %0" ::"r"(va >> PAGE_SHIFT) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

/* The kernel runs in TTBR1: a user root holds user space only. */
void plat_mmu_root_init(void *root)
{
	(void)root;
}

/* Puts the empty root in TTBR0 if *arg (a root being freed) is there. */
static void a64_user_leave_root(void *arg)
{
	irqflags_t flags = plat_irq_save();
	unsigned cpu = plat_cpu_id();

	if (user_root[cpu] == *(const paddr_t *)arg) {
		a64_load_root(plat_virt_to_phys(user_empty_root));
		atomic_store(&user_root[cpu], 0);
	}
	plat_irq_restore(flags);
}

void plat_mmu_root_release(paddr_t root)
{
	smp_call_where(user_root, root, a64_user_leave_root, &root);
}
