/* The CPUs of the board: interrupt masking (PSTATE.DAIF), idling, and the secondaries,
 * found in the device tree's /cpus and started through PSCI CPU_ON. CPU 0 is the boot CPU;
 * each CPU keeps its index in TPIDR_EL1. */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "cpu_boot.h"
#include "sysreg.h"
#include "virt.h"

#define DAIF_I (1u << 7)
/* How long plat_cpu_start waits for a secondary to run C (TCG on a loaded host is slow). */
#define CPU_START_TIMEOUT_NS 10000000000ULL

static uint64_t cpu_mpidr[PLAT_MAX_CPUS];
static unsigned cpu_count = 1;
static bool cpu_started[PLAT_MAX_CPUS];
static struct cpu_boot cpu_boot[PLAT_MAX_CPUS];

/* Masks IRQs and returns the previous DAIF. */
irqflags_t plat_irq_save(void)
{
	irqflags_t flags = sysreg_read(daif);

	__asm__ volatile("msr daifset, #2" ::: "memory");
	return flags;
}

/* Restores DAIF from plat_irq_save. */
void plat_irq_restore(irqflags_t flags)
{
	sysreg_write(daif, flags);
}

/* Unmasks IRQs. */
void plat_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* Masks IRQs. */
void plat_irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

/* True when PSTATE.I is clear. */
bool plat_irq_enabled(void)
{
	return !(sysreg_read(daif) & DAIF_I);
}

/* WFI wakes on a pending interrupt even while PSTATE.I masks it, which is the contract. */
void plat_cpu_idle(void)
{
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

/* Masks everything and waits for good (an interrupt only wakes the WFI loop). */
NORETURN void plat_cpu_park(void)
{
	plat_halt();
}

/* The index kept in TPIDR_EL1 (head.S sets 0 on the boot CPU, cpu_secondary_start the
 * others'). */
unsigned plat_cpu_id(void)
{
	return (unsigned)sysreg_read(tpidr_el1);
}

/* CPUs found by cpu_discover. */
unsigned plat_cpu_count(void)
{
	return cpu_count;
}

/* The affinity fields (Aff3..Aff0) of the executing CPU's MPIDR_EL1. */
static uint64_t cpu_read_mpidr(void)
{
	return sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK;
}

void cpu_discover(const struct fdt *f)
{
	cpu_mpidr[0] = cpu_read_mpidr();
	cpu_count = discover_cpus(f, cpu_mpidr, PLAT_MAX_CPUS);
	if (cpu_count > 1 && !psci_available()) {
		kprintf("boot: no PSCI in the device tree to start the other %u CPUs; using one\n",
			cpu_count - 1);
		cpu_count = 1;
	}
}

uint64_t cpu_mpidr_of(unsigned cpu)
{
	return cpu < cpu_count ? cpu_mpidr[cpu] : ~0ULL;
}

/* Writes the cache lines over [p, p + size) back to the point of coherency, for a reader
 * with the MMU (and so its caches) off. */
static void cpu_clean_to_poc(const void *p, size_t size)
{
	uint64_t line = 4ULL << (sysreg_read(ctr_el0) >> 16 & 0xf);
	uintptr_t end = (uintptr_t)p + size;

	for (uintptr_t at = ALIGN_DOWN((uintptr_t)p, line); at < end; at += line)
		__asm__ volatile("dc cvac, %0" ::"r"(at) : "memory");
	dsb(sy);
}

NORETURN void cpu_secondary_start(struct cpu_boot *boot)
{
	void (*entry)(void *arg) = boot->entry;
	void *arg = boot->arg;

	sysreg_write(tpidr_el1, boot->cpu);
	a64_user_cpu_init();
	atomic_store_release(&boot->started, 1);
	entry(arg);
	panic("cpu%u: the entry of plat_cpu_start returned", plat_cpu_id());
}

/* Waits, boundedly, until the secondary with hand-over boot reports it runs. */
static int cpu_wait_started(const struct cpu_boot *boot)
{
	uint64_t deadline = plat_time_ns() + CPU_START_TIMEOUT_NS;

	while (!atomic_load_acquire(&boot->started)) {
		if (plat_time_ns() > deadline)
			return -EIO;
		arch_cpu_relax();
	}
	return 0;
}

int plat_cpu_start(unsigned cpu, void *stack_top, void (*entry)(void *arg), void *arg)
{
	if (cpu == 0 || cpu >= cpu_count || cpu_started[cpu] || !entry ||
	    !IS_ALIGNED((uintptr_t)stack_top, 16))
		return -EINVAL;
	struct cpu_boot *boot = &cpu_boot[cpu];
	*boot = (struct cpu_boot){
	    .mair = sysreg_read(mair_el1),
	    .tcr = sysreg_read(tcr_el1),
	    .ttbr0 = mmu_identity_root(),
	    .ttbr1 = sysreg_read(ttbr1_el1),
	    .sctlr = sysreg_read(sctlr_el1),
	    .stack_top = (uintptr_t)stack_top,
	    .entry = entry,
	    .arg = arg,
	    .cpu = cpu,
	};
	cpu_clean_to_poc(boot, sizeof(*boot));
	cpu_started[cpu] = true;
	int err = psci_cpu_on(cpu_mpidr[cpu], plat_virt_to_phys(secondary_entry),
			      plat_virt_to_phys(boot));
	if (err) {
		kprintf("cpu%u: PSCI CPU_ON of MPIDR %#llx failed (%d)\n", cpu,
			(unsigned long long)cpu_mpidr[cpu], err);
		return -EIO;
	}
	if (cpu_wait_started(boot)) {
		kprintf("cpu%u: MPIDR %#llx did not come up\n", cpu,
			(unsigned long long)cpu_mpidr[cpu]);
		return -EIO;
	}
	return 0;
}
