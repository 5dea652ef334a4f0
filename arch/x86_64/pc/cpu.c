/*
 * The PC's CPUs: per-CPU data through the GS base, the CPU count from the MADT, and
 * interrupt masking with RFLAGS.IF.
 */
#include <amphi/kprintf.h>
#include <amphi/panic.h>

#include "io.h"
#include "pc.h"

#define MSR_GS_BASE 0xc0000101
#define RFLAGS_IF (1UL << 9)

struct pc_cpu pc_cpus[PLAT_MAX_CPUS];
static unsigned pc_cpu_count = 1;

_Static_assert(__builtin_offsetof(struct pc_cpu, index) == PC_CPU_INDEX_OFFSET, "plat_cpu_id");

/* Makes the executing CPU CPU index (its GS base points at pc_cpus[index]). */
void pc_cpu_set_current(unsigned index)
{
	struct pc_cpu *c = &pc_cpus[index];

	c->self = c;
	c->index = index;
	c->timer_deadline = UINT64_MAX;
	msr_write(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

/* Sets the CPU count and APIC ids (boot CPU first) from firmware tables. */
void pc_cpu_set_topology(unsigned count, const uint32_t *apic_ids)
{
	if (count == 0 || count > PLAT_MAX_CPUS)
		panic("pc_cpu_set_topology: %u CPUs is outside 1..%d", count, PLAT_MAX_CPUS);
	for (unsigned i = 0; i < count; i++)
		pc_cpus[i].apic_id = apic_ids[i];
	pc_cpu_count = count;
}

/* CPUs the machine has: the enabled MADT processors (1 without a usable MADT). */
unsigned plat_cpu_count(void)
{
	return pc_cpu_count;
}

/* Index of the executing CPU: one GS-relative load. */
unsigned plat_cpu_id(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(PC_CPU_INDEX_OFFSET));
	return id;
}

/* RFLAGS of the executing CPU. */
static unsigned long rflags_read(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

/* Masks interrupts on this CPU and returns the previous RFLAGS. */
irqflags_t plat_irq_save(void)
{
	unsigned long flags = rflags_read();
	__asm__ volatile("cli" : : : "memory");
	return flags;
}

/* Puts the interrupt mask back as it was when flags was saved (either way). */
void plat_irq_restore(irqflags_t flags)
{
	if (flags & RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
	else
		__asm__ volatile("cli" : : : "memory");
}

/* Unmasks interrupts on this CPU. */
void plat_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/* Masks interrupts on this CPU. */
void plat_irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* True when RFLAGS.IF is set. */
bool plat_irq_enabled(void)
{
	return rflags_read() & RFLAGS_IF;
}

/* sti takes effect after the next instruction, so no interrupt can arrive between it and
 * hlt: one pending since the caller's last check wakes the hlt at once. The interrupt is
 * taken at the wakeup (x86 cannot leave the hlt without taking it), then cli masks again. */
void plat_cpu_idle(void)
{
	pc_user_idle();
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* Stops the executing CPU for good with interrupts masked (NMIs only resume the hlt). */
NORETURN void plat_cpu_park(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}
