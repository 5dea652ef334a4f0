/* The board's interrupt controller: the GIC the device tree names, driven by the shared
 * drivers in devices/irqchip, and the C side of the IRQ vector. */
#include <amphi/errno.h>
#include <amphi/gic_v2.h>
#include <amphi/gic_v3.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>

#include "virt.h"

#define GIC_MAX_REG_ENTRIES 8

/* The driver's interrupt entry, NULL until a GIC is up. */
static void (*virt_irq_handler)(void);

size_t virt_irq_mmio(const struct fdt *f, struct mem_range *ranges, size_t max)
{
	enum gic_kind kind;
	int node = discover_gic(f, &kind);
	size_t n = 0;

	while (node >= 0 && n < MIN(max, GIC_MAX_REG_ENTRIES) &&
	       !fdt_get_reg(f, node, n, &ranges[n].base, &ranges[n].size))
		n++;
	return n;
}

void virt_irq_init(const struct fdt *f)
{
	enum gic_kind kind;
	const struct irq_chip *chip;

	if (discover_gic(f, &kind) < 0) {
		kprintf("irq: no GIC in the device tree; running without interrupts\n");
		return;
	}
	int err = kind == GIC_KIND_V3 ? gic_v3_probe(f, &chip) : gic_v2_probe(f, &chip);
	if (err) {
		kprintf("irq: unusable GICv%d in the device tree (%d); running without "
			"interrupts\n",
			kind == GIC_KIND_V3 ? 3 : 2, err);
		return;
	}
	virt_irq_handler = kind == GIC_KIND_V3 ? gic_v3_handle_irqs : gic_v2_handle_irqs;
	irq_chip_register(chip);
}

void virt_irq_entry(void)
{
	if (!virt_irq_handler)
		panic("irq: interrupt taken with no interrupt controller driver");
	virt_irq_handler();
}
