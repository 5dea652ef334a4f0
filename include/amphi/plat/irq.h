/* plat/irq.h: interrupt masking on the executing CPU. The interrupt controller itself is a
 * driver (struct irq_chip in <amphi/irq.h>) that the platform registers at plat_init. */
#pragma once

#include <amphi/types.h>

/* The saved mask state of plat_irq_save; opaque to the kernel. */
typedef unsigned long irqflags_t;

/* Masks interrupts on this CPU and returns the previous state for plat_irq_restore. */
irqflags_t plat_irq_save(void);

/* Restores the state returned by plat_irq_save; interrupts pending meanwhile are taken when
 * this unmasks. */
void plat_irq_restore(irqflags_t flags);

/* Unmasks interrupts on this CPU; pending ones are taken at once. */
void plat_irq_enable(void);

/* Masks interrupts on this CPU. */
void plat_irq_disable(void);

/* True when interrupts are unmasked on this CPU. */
bool plat_irq_enabled(void);

/* The interrupt number (<amphi/irq.h>) of wired input line `line` of the machine's
 * interrupt controller, as command lines name them (x86: an IOAPIC GSI; GIC: an SPI), or
 * -ENOENT when there is no such line. */
int plat_irq_line(unsigned line);
