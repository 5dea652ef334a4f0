/* Placeholder: one CPU, interrupt masking with DAIF, the counter as a clock and no timer
 * interrupt, until the GIC, the generic timer and PSCI CPU_ON land. */
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/plat.h>

static void up_chip_nop(void) {}
static void up_chip_irq_nop(unsigned irq) { (void)irq; }
static void up_chip_send_ipi(cpumask_t t, enum ipi i) { (void)t; (void)i; }
static unsigned up_chip_ipi_irq(enum ipi i) { return (unsigned)i; }
static bool up_chip_is_percpu(unsigned irq) { return irq < 32; }

static const struct irq_chip up_chip = {"placeholder", up_chip_nop, up_chip_irq_nop,
					up_chip_irq_nop, up_chip_send_ipi, up_chip_ipi_irq,
					up_chip_is_percpu};

void virt_up_register_chip(void);
void virt_up_register_chip(void) { irq_chip_register(&up_chip); }

unsigned plat_cpu_count(void) { return 1; }
unsigned plat_cpu_id(void) { return 0; }
int plat_cpu_start(unsigned cpu, void *top, void (*entry)(void *), void *arg)
{
	(void)cpu; (void)top; (void)entry; (void)arg;
	return -EINVAL;
}
void plat_cpu_idle(void) { __asm__ volatile("wfi" ::: "memory"); }
NORETURN void plat_cpu_park(void) { for (;;) __asm__ volatile("msr daifset, #0xf; wfi"); }

irqflags_t plat_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("mrs %0, daif; msr daifset, #2" : "=r"(f)::"memory");
	return f;
}
void plat_irq_restore(irqflags_t f) { __asm__ volatile("msr daif, %0" ::"r"(f) : "memory"); }
void plat_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
void plat_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
bool plat_irq_enabled(void) { unsigned long f; __asm__ volatile("mrs %0, daif" : "=r"(f)); return !(f & 0x80); }

uint64_t plat_time_ns(void) { uint64_t c, f; __asm__ volatile("isb; mrs %0, cntvct_el0; mrs %1, cntfrq_el0" : "=r"(c), "=r"(f)); return c * (1000000000ULL / f); }
void plat_timer_set(uint64_t d) { (void)d; }
unsigned plat_timer_irq(void) { return 27; }
bool plat_time_is_virtual(void) { return false; }
