/* The interrupt core: handler registration, dispatch, counting, and the controller. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/monitor.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/sync.h>

struct irq_desc {
	irq_handler_t handler;
	void *arg;
	const char *name;
	uint64_t count;
};

static const struct irq_chip *irq_the_chip;
static struct irq_desc irq_descs[IRQ_MAX];
static struct spinlock irq_register_lock = SPINLOCK_INIT("irq_register");
static uint64_t irq_spurious_total;

void irq_chip_register(const struct irq_chip *chip)
{
	if (irq_the_chip)
		panic("irq: a second interrupt controller (%s after %s)", chip->name,
		      irq_the_chip->name);
	irq_the_chip = chip;
}

const struct irq_chip *irq_chip(void)
{
	return irq_the_chip;
}

int irq_register(unsigned irq, const char *name, irq_handler_t handler, void *arg)
{
	if (irq >= IRQ_MAX || !handler || !irq_the_chip)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&irq_register_lock);
	struct irq_desc *d = &irq_descs[irq];
	int err = d->handler ? -EBUSY : 0;
	if (!err) {
		d->arg = arg;
		d->name = name;
		atomic_store_release(&d->handler, handler);
	}
	spin_unlock_irqrestore(&irq_register_lock, flags);
	if (!err)
		irq_the_chip->unmask(irq);
	return err;
}

int irq_unregister(unsigned irq)
{
	if (irq >= IRQ_MAX || !irq_descs[irq].handler)
		return -ENOENT;
	irq_the_chip->mask(irq);
	irqflags_t flags = spin_lock_irqsave(&irq_register_lock);
	atomic_store(&irq_descs[irq].handler, NULL);
	spin_unlock_irqrestore(&irq_register_lock, flags);
	return 0;
}

void irq_mask(unsigned irq)
{
	if (irq < IRQ_MAX)
		irq_the_chip->mask(irq);
}

void irq_unmask(unsigned irq)
{
	if (irq < IRQ_MAX)
		irq_the_chip->unmask(irq);
}

void irq_handle(unsigned irq)
{
	struct cpu_state *c = cpu_this();

	if (plat_irq_enabled())
		panic("irq_handle: interrupt %u dispatched with interrupts enabled", irq);
	if (c->irq_depth)
		panic("irq_handle: interrupt %u nested inside another handler", irq);
	if (irq >= IRQ_MAX) {
		irq_spurious();
		return;
	}
	struct irq_desc *d = &irq_descs[irq];
	irq_handler_t handler = atomic_load_acquire(&d->handler);
	if (!handler) {
		irq_spurious();
		irq_the_chip->mask(irq);
		return;
	}
	c->irq_depth++;
	atomic_fetch_add(&d->count, 1);
	handler(irq, d->arg);
	c->irq_depth--;
}

void irq_spurious(void)
{
	atomic_fetch_add(&irq_spurious_total, 1);
}

void irq_exit(void)
{
	sched_irq_exit();
}

bool irq_in_handler(void)
{
	irqflags_t flags = plat_irq_save();
	bool in = cpu_this()->irq_depth > 0;

	plat_irq_restore(flags);
	return in;
}

uint64_t irq_count(unsigned irq)
{
	return irq < IRQ_MAX ? atomic_load(&irq_descs[irq].count) : 0;
}

uint64_t irq_spurious_count(void)
{
	return atomic_load(&irq_spurious_total);
}

void ipi_send(cpumask_t targets, enum ipi ipi)
{
	if (irq_the_chip && targets)
		irq_the_chip->send_ipi(targets, ipi);
}

/* Lists the interrupts that have handlers, with their counts. */
static int monitor_irqs(const char *arg)
{
	(void)arg;
	kprintf("controller: %s; spurious: %llu\n", irq_the_chip ? irq_the_chip->name : "none",
		(unsigned long long)irq_spurious_count());
	for (unsigned i = 0; i < IRQ_MAX; i++)
		if (irq_descs[i].handler)
			kprintf("%5u %-20s %llu\n", i, irq_descs[i].name,
				(unsigned long long)irq_descs[i].count);
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_irqs_cmd, "irqs", "list interrupt handlers and counts", monitor_irqs);
