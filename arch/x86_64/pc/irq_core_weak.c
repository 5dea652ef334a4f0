/*
 * Weak stand-ins for the kernel's interrupt core (include/amphi/irq.h), so the PC platform's
 * interrupt paths link and can be tested before kernel/irq provides the real ones; the
 * kernel's definitions replace these at link time.
 */
#include <amphi/irq.h>
#include <amphi/kprintf.h>

#define WEAK __attribute__((weak))

static const struct irq_chip *weak_chip;
static irq_handler_t weak_handlers[IRQ_MAX];
static void *weak_args[IRQ_MAX];
static uint64_t weak_spurious;

/* Also brings up the boot CPU's interface, which the kernel does after plat_init. */
WEAK void irq_chip_register(const struct irq_chip *chip)
{
	weak_chip = chip;
	chip->cpu_init();
}

WEAK const struct irq_chip *irq_chip(void)
{
	return weak_chip;
}

WEAK int irq_register(unsigned irq, const char *name, irq_handler_t handler, void *arg)
{
	(void)name;
	if (irq >= IRQ_MAX || !handler)
		return -22;
	weak_handlers[irq] = handler;
	weak_args[irq] = arg;
	weak_chip->unmask(irq);
	return 0;
}

WEAK int irq_unregister(unsigned irq)
{
	weak_chip->mask(irq);
	weak_handlers[irq] = NULL;
	return 0;
}

WEAK void irq_handle(unsigned irq)
{
	if (weak_handlers[irq])
		weak_handlers[irq](irq, weak_args[irq]);
	else
		weak_spurious++;
}

WEAK void irq_spurious(void)
{
	weak_spurious++;
}

WEAK void irq_exit(void)
{
}
