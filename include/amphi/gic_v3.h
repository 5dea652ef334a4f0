/* gic_v3.h: the Arm GICv3 interrupt controller driver (devices/irqchip/gic_v3.c): the
 * distributor, one redistributor per CPU, and the system-register CPU interface
 * (ICC_*_EL1). aarch64 only; QEMU's virt board with gic-version=3 and most recent boards. */
#pragma once

#include <amphi/fdt.h>
#include <amphi/irq.h>

/* Finds the GIC in the device tree (compatible "arm,gic-v3"), maps its distributor and
 * redistributor regions (reg, #redistributor-regions, redistributor-stride), and sets up
 * the distributor: every shared interrupt group 1, masked, routed to the executing CPU.
 * Stores the driver in *chip for irq_chip_register. Returns 0, -ENOENT when there is no
 * such node, -EINVAL for a node whose reg or properties do not describe a distributor and
 * its redistributor regions, -ENOMEM when they cannot be mapped, -ENODEV when the
 * distributor is not a GICv3 or v4. */
int gic_v3_probe(const struct fdt *f, const struct irq_chip **chip);

/* The interrupt entry: with interrupts masked, acknowledges and handles every pending
 * interrupt of the executing CPU (ICC_IAR1_EL1, irq_handle, ICC_EOIR1_EL1), counts a
 * spurious entry when there was none, and ends with irq_exit(). Called by the platform's
 * exception vector. */
void gic_v3_handle_irqs(void);
