/*
 * The local APIC (Intel SDM vol. 3, chapter 11): in x2APIC mode (MSRs) when the CPU has it,
 * else xAPIC mode (MMIO through the direct map; firmware's MTRRs make that range uncached).
 * It is the machine's irq_chip: IDT vectors are the interrupt numbers; 0xe0 and up are the
 * LAPIC's own per-CPU vectors (timer, IPIs, error, spurious), the rest IOAPIC pins.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "io.h"
#include "pc.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ADDRESS 0x000ffffffffff000ULL
#define MSR_X2APIC_FIRST 0x800
#define MSR_TSC_DEADLINE 0x6e0
#define CPUID_1_ECX_X2APIC (1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)

/* Register offsets (xAPIC MMIO); x2APIC MSR = 0x800 + offset / 16. */
enum lapic_reg {
	LAPIC_ID = 0x20,
	LAPIC_TPR = 0x80,
	LAPIC_EOI = 0xb0,
	LAPIC_SVR = 0xf0,
	LAPIC_IRR = 0x200, /* eight 32-bit registers, 0x10 apart */
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LOW = 0x300,
	LAPIC_ICR_HIGH = 0x310,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INITIAL = 0x380,
	LAPIC_TIMER_CURRENT = 0x390,
	LAPIC_TIMER_DIVIDE = 0x3e0,
};

#define SVR_ENABLE (1U << 8)
#define LVT_MASKED (1U << 16)
#define LVT_TIMER_TSC_DEADLINE (1U << 18)
#define TIMER_DIVIDE_16 0x3
#define ICR_FIXED 0x000
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_PENDING (1U << 12)
#define ICR_ASSERT (1U << 14)
#define ICR_LEVEL (1U << 15)

static volatile uint8_t *lapic_mmio; /* NULL in x2APIC mode */
static bool lapic_tsc_deadline;
static uint64_t lapic_ticks_per_sec; /* one-shot mode, divide by 16 */

/* Reads a LAPIC register. */
static uint32_t lapic_read(enum lapic_reg reg)
{
	if (lapic_mmio)
		return mmio_read32(lapic_mmio + reg);
	return (uint32_t)msr_read(MSR_X2APIC_FIRST + reg / 16);
}

/* Writes a LAPIC register. */
static void lapic_write(enum lapic_reg reg, uint32_t value)
{
	if (lapic_mmio)
		mmio_write32(lapic_mmio + reg, value);
	else
		msr_write(MSR_X2APIC_FIRST + reg / 16, value);
}

/* APIC id of the executing CPU. */
uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return lapic_mmio ? id >> 24 : id;
}

/* True when vector is requested at the executing CPU's LAPIC and not yet taken (IRR). */
bool lapic_pending(unsigned vector)
{
	return lapic_read(LAPIC_IRR + 0x10 * (vector / 32)) & (1U << (vector % 32));
}

/* Signals end of interrupt. */
void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Writes the interrupt command register (low word cmd) for apic_id, with interrupts masked
 * so nothing on this CPU interleaves another command; xAPIC waits until it was sent. */
static void lapic_send(uint32_t apic_id, uint32_t cmd)
{
	irqflags_t flags = plat_irq_save();

	if (lapic_mmio) {
		lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
		lapic_write(LAPIC_ICR_LOW, cmd);
		while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
			arch_cpu_relax();
	} else {
		/* x2APIC: one 64-bit write; WRMSR to the ICR is not serializing, fence first. */
		__asm__ volatile("mfence" : : : "memory");
		msr_write(MSR_X2APIC_FIRST + LAPIC_ICR_LOW / 16, ((uint64_t)apic_id << 32) | cmd);
	}
	plat_irq_restore(flags);
}

/* Sends INIT to the CPU with APIC id apic_id. */
void lapic_send_init(uint32_t apic_id)
{
	lapic_send(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
}

/* Sends a STARTUP IPI: the CPU starts in real mode at page << 12. */
void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	lapic_send(apic_id, ICR_STARTUP | page);
}

/* Turns the executing CPU's LAPIC on in the chosen mode (hardware enable, not yet SVR). */
static void lapic_enable_mode(void)
{
	uint64_t base = msr_read(MSR_APIC_BASE);

	/* x2APIC is entered from xAPIC mode only: enable first, then extend. */
	if (!(base & APIC_BASE_ENABLE))
		msr_write(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (!lapic_mmio && !(base & APIC_BASE_X2APIC))
		msr_write(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
}

/* Enables the executing CPU's LAPIC: spurious vector, LVTs masked, accept every priority. */
static void lapic_cpu_init(void)
{
	lapic_enable_mode();
	lapic_write(LAPIC_SVR, SVR_ENABLE | PC_VECTOR_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED); /* the 8259s' ExtINT line: unused */
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | PC_VECTOR_ERROR);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | PC_VECTOR_TIMER |
					 (lapic_tsc_deadline ? LVT_TIMER_TSC_DEADLINE : 0));
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_TPR, 0);
	lapic_eoi(); /* anything left in service by firmware */
	pc_cpu_self()->timer_deadline = UINT64_MAX;
}

/* Masks or unmasks the LVT entry that raises a LAPIC vector; IPIs cannot be masked. */
static void lapic_mask_lvt(unsigned vector, bool masked)
{
	enum lapic_reg reg;

	if (vector == PC_VECTOR_TIMER)
		reg = LAPIC_LVT_TIMER;
	else if (vector == PC_VECTOR_ERROR)
		reg = LAPIC_LVT_ERROR;
	else
		return;
	uint32_t lvt = lapic_read(reg);
	lapic_write(reg, masked ? lvt | LVT_MASKED : lvt & ~LVT_MASKED);
}

/* irq_chip.mask: an IOAPIC pin, or an LVT entry on this CPU. */
static void lapic_chip_mask(unsigned irq)
{
	if (ioapic_owns_vector(irq))
		ioapic_mask_vector(irq, true);
	else
		lapic_mask_lvt(irq, true);
}

/* irq_chip.unmask: an IOAPIC pin, or an LVT entry on this CPU. */
static void lapic_chip_unmask(unsigned irq)
{
	if (ioapic_owns_vector(irq))
		ioapic_mask_vector(irq, false);
	else
		lapic_mask_lvt(irq, false);
}

/* irq_chip.ipi_irq: IPI n is vector 0xf0 + n. */
static unsigned lapic_ipi_irq(enum ipi ipi)
{
	return PC_VECTOR_IPI_BASE + ipi;
}

/* Sends a fixed-delivery interrupt with vector to CPU cpu. */
void lapic_send_vector(unsigned cpu, unsigned vector)
{
	lapic_send(pc_cpus[cpu].apic_id, ICR_FIXED | vector);
}

/* irq_chip.send_ipi: one fixed-vector IPI per target CPU. */
static void lapic_send_ipi(cpumask_t targets, enum ipi ipi)
{
	for (unsigned cpu = 0; cpu < plat_cpu_count(); cpu++)
		if (targets & ((cpumask_t)1 << cpu))
			lapic_send_vector(cpu, lapic_ipi_irq(ipi));
}

/* irq_chip.is_percpu: the LAPIC's own vectors. */
static bool lapic_is_percpu(unsigned irq)
{
	return irq >= PC_VECTOR_LOCAL_BASE;
}

static const struct irq_chip lapic_chip = {
    .name = "lapic",
    .cpu_init = lapic_cpu_init,
    .mask = lapic_chip_mask,
    .unmask = lapic_chip_unmask,
    .send_ipi = lapic_send_ipi,
    .ipi_irq = lapic_ipi_irq,
    .is_percpu = lapic_is_percpu,
};

_Static_assert(PC_VECTOR_IPI_BASE + IPI_COUNT <= PC_VECTOR_ERROR, "IPI vectors");

/* Finds the executing CPU's LAPIC at base (xAPIC MMIO) or in x2APIC mode, and registers the
 * machine's irq_chip. Called once on the boot CPU. */
void lapic_init(paddr_t base)
{
	struct cpuid_regs r = cpuid(1, 0);

	if (!(r.edx & (1U << 9)))
		panic("lapic_init: this CPU has no local APIC (CPUID.1:EDX.APIC)");
	lapic_tsc_deadline = r.ecx & CPUID_1_ECX_TSC_DEADLINE;
	if (!(r.ecx & CPUID_1_ECX_X2APIC)) {
		paddr_t msr_base = msr_read(MSR_APIC_BASE) & APIC_BASE_ADDRESS;
		if (msr_base != base) {
			kprintf("pc: MADT puts the local APIC at %#llx, the CPU at %#llx; using "
				"the CPU's\n",
				(unsigned long long)base, (unsigned long long)msr_base);
			base = msr_base;
		}
		lapic_mmio = plat_phys_to_virt(base);
	}
	lapic_enable_mode();
	kprintf("pc: local APIC in %s mode%s\n", lapic_mmio ? "xAPIC" : "x2APIC",
		lapic_mmio ? "" : " (MADT address unused)");
	irq_chip_register(&lapic_chip);
}

/* Counts LAPIC timer ticks (divide by 16) over a 10 ms wait on the calibrated TSC. */
static uint64_t lapic_timer_measure(void)
{
	const uint64_t window_ns = 10 * 1000 * 1000;

	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | PC_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, UINT32_MAX);
	uint32_t start = lapic_read(LAPIC_TIMER_CURRENT);
	pc_delay_ns(window_ns);
	uint32_t end = lapic_read(LAPIC_TIMER_CURRENT);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	return (uint64_t)(start - end) * 100;
}

/* Calibrates the LAPIC timer (unless TSC-deadline mode serves) and logs the mode. */
void lapic_timer_init(void)
{
	if (lapic_tsc_deadline) {
		kprintf("pc: timer: LAPIC in TSC-deadline mode\n");
		return;
	}
	lapic_ticks_per_sec = lapic_timer_measure();
	if (lapic_ticks_per_sec == 0)
		panic("lapic_timer_init: the LAPIC timer does not count");
	kprintf("pc: timer: LAPIC one-shot at %llu kHz (calibrated against the TSC)\n",
		(unsigned long long)(lapic_ticks_per_sec / 1000));
}

/* LAPIC timer ticks for ns nanoseconds, at least 1, at most UINT32_MAX. */
static uint32_t lapic_ticks_from_ns(uint64_t ns)
{
	uint64_t ticks = (uint64_t)(((unsigned __int128)ns * lapic_ticks_per_sec) / 1000000000U);
	return (uint32_t)MAX(1, MIN(ticks + 1, UINT32_MAX));
}

/* Arms (or, with UINT64_MAX, disarms) the executing CPU's LAPIC timer; see plat_timer_set.
 * A one-shot count too short for a far deadline fires early; the interrupt entry sees the
 * deadline not reached and re-arms. */
void lapic_timer_arm(uint64_t deadline_ns)
{
	pc_cpu_self()->timer_deadline = deadline_ns;
	if (lapic_tsc_deadline) {
		msr_write(MSR_TSC_DEADLINE, deadline_ns == UINT64_MAX ? 0 : tsc_at_ns(deadline_ns));
		return;
	}
	if (deadline_ns == UINT64_MAX) {
		lapic_write(LAPIC_TIMER_INITIAL, 0);
		return;
	}
	uint64_t now = plat_time_ns();
	lapic_write(LAPIC_TIMER_INITIAL,
		    lapic_ticks_from_ns(deadline_ns > now ? deadline_ns - now : 0));
}
