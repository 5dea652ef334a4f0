/*
 * Interrupt masking and delivery on the simulated CPUs. The mask is a per-CPU flag (lazy
 * masking: plat_irq_save is a load and a store, no system call). An interrupt is taken when
 * the GIC model signals one to the CPU (its irq_line) and the flag is unmasked: at
 * scheduling points, when interrupts are unmasked, after register writes, and in parallel
 * mode from a host signal (SIGUSR1) that raising it sends to the CPU's thread. Taking one
 * masks the flag and calls the controller driver's entry, which acknowledges, handles and
 * ends it; the entry may switch threads in irq_exit, and the interrupted context unmasks
 * again when it is resumed, on whichever CPU that is.
 *
 * The signal handler takes nothing while its CPU runs sim code that holds locks (in_sim),
 * nor under TSan (see tool_signal_may_switch): the interrupt stays pending and is taken at
 * the next unmask or point instead.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <amphi/plat.h>

#include "sim.h"

#define SIM_IRQ_SIGNAL SIGUSR1

static void (*sim_irq_entry)(void);

void sim_irq_set_entry(void (*entry)(void))
{
	sim_irq_entry = entry;
}

void sim_irq_take(void)
{
	struct sim_cpu *self = sim_cpu_self();

	while (self && self->irq_on && !self->in_sim && sim_irq_entry &&
	       __atomic_load_n(&self->irq_line, __ATOMIC_ACQUIRE)) {
		self->irq_on = 0;
		sim_irq_entry();
		self = sim_cpu_self(); /* the context may have been resumed on another CPU */
		self->irq_on = 1;
	}
}

/* The interrupt signal of parallel mode: takes the interrupt if that is safe now. */
static void irq_on_signal(int sig)
{
	int saved_errno = errno;

	(void)sig;
	if (tool_signal_may_switch())
		sim_irq_take();
	errno = saved_errno;
}

void sim_irq_init(void)
{
	struct sigaction sa = {.sa_handler = irq_on_signal};

	if (sim_deterministic())
		return;
	/* SA_NODEFER: the handler may switch threads and never return to unblock it */
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIM_IRQ_SIGNAL, &sa, NULL) < 0) {
		perror("amphi: interrupt signal");
		exit(SIM_EXIT_HOST);
	}
}

void sim_irq_raise(struct sim_cpu *cpu)
{
	sim_sched_kick(cpu);
	if (!sim_deterministic() && cpu->state == SIM_CPU_RUNNABLE && cpu != sim_cpu_self())
		pthread_kill(cpu->thread, SIM_IRQ_SIGNAL);
}

irqflags_t plat_irq_save(void)
{
	struct sim_cpu *self = sim_cpu_self();
	irqflags_t flags = (irqflags_t)self->irq_on;

	self->irq_on = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return flags;
}

void plat_irq_restore(irqflags_t flags)
{
	if (flags)
		plat_irq_enable();
	else
		plat_irq_disable();
}

void plat_irq_enable(void)
{
	struct sim_cpu *self = sim_cpu_self();

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	self->irq_on = 1;
	sim_sched_point_cpu(self, PLAT_POINT_IRQ_ON); /* takes what is pending */
}

void plat_irq_disable(void)
{
	sim_cpu_self()->irq_on = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

bool plat_irq_enabled(void)
{
	return sim_cpu_self()->irq_on;
}
