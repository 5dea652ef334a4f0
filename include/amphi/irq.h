/*
 * irq.h: the kernel's interrupt core. One interrupt controller driver (struct irq_chip)
 * serves the machine; interrupt numbers are the controller's own (GIC INTIDs: SGIs 0-15,
 * PPIs 16-31, SPIs 32+; x86 IDT vectors 32-255).
 *
 * Rules: handlers run with interrupts masked on their CPU and never nest; a handler must not
 * sleep. The platform's interrupt entry acknowledges one interrupt at a time at the
 * controller, calls irq_handle(irq), signals EOI, and calls irq_exit() before returning to
 * the interrupted code.
 */
#pragma once

#include <amphi/types.h>

/* Interrupt numbers run 0 .. IRQ_MAX - 1. */
#define IRQ_MAX 1024

/* Inter-processor interrupts the kernel uses; the chip maps each to one of its numbers. */
enum ipi {
	IPI_RESCHEDULE, /* the target's run queue changed: reschedule on return */
	IPI_CALL,	/* run the queued call-function requests */
	IPI_STOP,	/* park the CPU for good (panic, poweroff) */
	IPI_COUNT,
};

/* A set of CPUs, bit n for CPU n. */
typedef uint64_t cpumask_t;

/* An interrupt controller driver. All calls act at once and cannot fail. */
struct irq_chip {
	const char *name;
	/* brings up the executing CPU's interface (every CPU, boot CPU included) */
	void (*cpu_init)(void);
	/* stops irq from being signalled (per-CPU interrupts: on the executing CPU only) */
	void (*mask)(unsigned irq);
	/* lets irq be signalled (per-CPU interrupts: on the executing CPU only) */
	void (*unmask)(unsigned irq);
	/* raises ipi on every CPU in targets */
	void (*send_ipi)(cpumask_t targets, enum ipi ipi);
	/* the interrupt number ipi arrives as */
	unsigned (*ipi_irq)(enum ipi ipi);
	/* true for interrupts that are private to each CPU (SGIs, PPIs, local vectors) */
	bool (*is_percpu)(unsigned irq);
};

/* An interrupt handler; arg is what was registered with it. */
typedef void (*irq_handler_t)(unsigned irq, void *arg);

/* Makes chip the machine's controller; the platform calls it once, from plat_init. */
void irq_chip_register(const struct irq_chip *chip);

/* The registered controller, or NULL before plat_init registered one. */
const struct irq_chip *irq_chip(void);

/* Installs handler for irq and unmasks it (for a per-CPU interrupt, on the executing CPU).
 * Returns 0, -EINVAL for a bad number or handler, -EBUSY when irq has a handler already. */
int irq_register(unsigned irq, const char *name, irq_handler_t handler, void *arg);

/* Masks irq and removes its handler. Returns 0 or -ENOENT when it had none. */
int irq_unregister(unsigned irq);

/* Per-CPU masking at the controller. */
void irq_mask(unsigned irq);
void irq_unmask(unsigned irq);

/* Called by the platform's interrupt entry, with interrupts masked, for one acknowledged
 * interrupt: counts it and runs its handler; an interrupt with no handler is counted as
 * spurious and masked. The caller signals EOI afterwards. */
void irq_handle(unsigned irq);

/* Called by the platform's interrupt entry when the controller reported a spurious
 * interrupt (GIC INTID 1023, the LAPIC spurious vector): it is only counted. */
void irq_spurious(void);

/* Called by the platform's interrupt entry after EOI, with interrupts masked, just before
 * returning to the interrupted code: a thread switch requested by the handlers happens here
 * (unless the interrupted code held preemption off). */
void irq_exit(void);

/* True while the executing CPU runs an interrupt handler. */
bool irq_in_handler(void);

/* Interrupts handled and spurious ones seen, summed over CPUs. */
uint64_t irq_count(unsigned irq);
uint64_t irq_spurious_count(void);

/* Sends ipi to each CPU in targets through the controller. */
void ipi_send(cpumask_t targets, enum ipi ipi);
