/* A uniprocessor stand-in for the kernel's interrupt core (<amphi/irq.h>) until kernel/irq
 * lands: every definition is weak, so the real core replaces it at link time, and this file
 * goes away then. Enough for the platform's own tests: a handler table, counts, masking. */
#include <amphi/errno.h>
#include <amphi/irq.h>

#define WEAK __attribute__((weak))

static const struct irq_chip *placeholder_chip;
static struct {
	irq_handler_t handler;
	void *arg;
	uint64_t count;
} placeholder_irqs[IRQ_MAX];
static uint64_t placeholder_spurious;
static bool placeholder_in_handler;

/* Also brings up the boot CPU's interface, as the kernel does after plat_init. */
WEAK void irq_chip_register(const struct irq_chip *chip)
{
	placeholder_chip = chip;
	chip->cpu_init();
}

WEAK const struct irq_chip *irq_chip(void)
{
	return placeholder_chip;
}

WEAK int irq_register(unsigned irq, const char *name, irq_handler_t handler, void *arg)
{
	(void)name;
	if (irq >= IRQ_MAX || !handler)
		return -EINVAL;
	if (placeholder_irqs[irq].handler)
		return -EBUSY;
	placeholder_irqs[irq].handler = handler;
	placeholder_irqs[irq].arg = arg;
	placeholder_chip->unmask(irq);
	return 0;
}

WEAK int irq_unregister(unsigned irq)
{
	if (irq >= IRQ_MAX || !placeholder_irqs[irq].handler)
		return -ENOENT;
	placeholder_chip->mask(irq);
	placeholder_irqs[irq].handler = NULL;
	return 0;
}

WEAK void irq_mask(unsigned irq)
{
	placeholder_chip->mask(irq);
}

WEAK void irq_unmask(unsigned irq)
{
	placeholder_chip->unmask(irq);
}

WEAK void irq_handle(unsigned irq)
{
	if (irq >= IRQ_MAX || !placeholder_irqs[irq].handler) {
		placeholder_spurious++;
		if (irq < IRQ_MAX)
			placeholder_chip->mask(irq);
		return;
	}
	placeholder_irqs[irq].count++;
	placeholder_in_handler = true;
	placeholder_irqs[irq].handler(irq, placeholder_irqs[irq].arg);
	placeholder_in_handler = false;
}

WEAK void irq_spurious(void)
{
	placeholder_spurious++;
}

WEAK void irq_exit(void)
{
}

WEAK bool irq_in_handler(void)
{
	return placeholder_in_handler;
}

WEAK uint64_t irq_count(unsigned irq)
{
	return irq < IRQ_MAX ? placeholder_irqs[irq].count : 0;
}

WEAK uint64_t irq_spurious_count(void)
{
	return placeholder_spurious;
}

WEAK void ipi_send(cpumask_t targets, enum ipi ipi)
{
	placeholder_chip->send_ipi(targets, ipi);
}
