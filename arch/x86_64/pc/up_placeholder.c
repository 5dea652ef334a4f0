/* Placeholder: one CPU, interrupt masking with cli/sti, the TSC as a clock (assumed 1 GHz)
 * and no timer interrupt, until the LAPIC, IOAPIC and AP start-up land. */
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/plat.h>

static void up_chip_nop(void) {}
static void up_chip_irq_nop(unsigned irq) { (void)irq; }
static void up_chip_send_ipi(cpumask_t t, enum ipi i) { (void)t; (void)i; }
static unsigned up_chip_ipi_irq(enum ipi i) { return 0xf0 + (unsigned)i; }
static bool up_chip_is_percpu(unsigned irq) { return irq >= 0xf0; }

static const struct irq_chip up_chip = {"placeholder", up_chip_nop, up_chip_irq_nop,
					up_chip_irq_nop, up_chip_send_ipi, up_chip_ipi_irq,
					up_chip_is_percpu};

void pc_up_register_chip(void);
void pc_up_register_chip(void) { irq_chip_register(&up_chip); }

unsigned plat_cpu_count(void) { return 1; }
unsigned plat_cpu_id(void) { return 0; }
int plat_cpu_start(unsigned cpu, void *top, void (*entry)(void *), void *arg)
{
	(void)cpu; (void)top; (void)entry; (void)arg;
	return -EINVAL;
}
void plat_cpu_idle(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
NORETURN void plat_cpu_park(void) { for (;;) __asm__ volatile("cli; hlt"); }

irqflags_t plat_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}
void plat_irq_restore(irqflags_t f) { if (f & 0x200) __asm__ volatile("sti" ::: "memory"); }
void plat_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
void plat_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
bool plat_irq_enabled(void) { unsigned long f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f & 0x200; }

uint64_t plat_time_ns(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
void plat_timer_set(uint64_t d) { (void)d; }
unsigned plat_timer_irq(void) { return 0xef; }
