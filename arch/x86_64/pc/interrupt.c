/* The interrupt entry: traps.S sends vectors 32-255 here. */
#include <amphi/irq.h>
#include <amphi/plat.h>

#include "pc.h"
#include "trap.h"

/* True when this is a LAPIC timer interrupt ahead of the armed deadline (a one-shot count
 * cut short, or calibration error): then the timer is re-armed and nobody is told. */
static bool timer_fired_early(unsigned vector)
{
	uint64_t deadline = pc_cpu_self()->timer_deadline;

	if (vector != PC_VECTOR_TIMER || deadline == UINT64_MAX || plat_time_ns() >= deadline)
		return false;
	lapic_timer_arm(deadline);
	return true;
}

/* Handles one interrupt vector with the kernel's handlers, EOI and irq_exit (which may
 * switch threads), interrupts masked. The spurious vector is only counted: the LAPIC wants
 * no EOI for it. */
void pc_interrupt_vector(unsigned vector)
{
	if (vector == PC_VECTOR_SPURIOUS) {
		irq_spurious();
		return;
	}
	if (timer_fired_early(vector)) {
		lapic_eoi();
		return;
	}
	irq_handle(vector);
	lapic_eoi();
	irq_exit();
}

/* Called by traps.S, interrupts masked, for one vector the LAPIC delivered in kernel code. */
void pc_interrupt(struct trap_frame *frame)
{
	pc_interrupt_vector((unsigned)frame->vector);
}
