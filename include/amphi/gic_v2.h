/* gic_v2.h: the ARM GICv2 interrupt controller driver (devices/irqchip/gic_v2.c), used by
 * the hosted machine's GIC model and by QEMU's aarch64 virt board (gic-version=2). */
#pragma once

#include <amphi/fdt.h>
#include <amphi/irq.h>

/* Finds the GIC in the device tree (compatible "arm,cortex-a15-gic" or "arm,gic-400"),
 * maps its distributor and CPU interface, and sets up the distributor: every shared
 * interrupt masked, routed to CPU 0. Stores the driver in *chip for irq_chip_register.
 * A node with the property "amphi,sgi-targets-64" (the hosted machine's, past 8 CPUs)
 * offers SGIs to 64 CPUs through registers GICv2 reserves (see gic_v2.c).
 * Returns 0, -ENOENT when there is no such node, -EINVAL for a node without both register
 * ranges, -ENOMEM when they cannot be mapped. */
int gic_v2_probe(const struct fdt *f, const struct irq_chip **chip);

/* The interrupt entry: with interrupts masked, acknowledges and handles every pending
 * interrupt of the executing CPU (irq_handle, then EOI), counts a spurious entry when there
 * was none, and ends with irq_exit(). Called by the platform's exception vector. */
void gic_v2_handle_irqs(void);
