/*
 * SMP: starting the other CPUs, IPIs, and running functions on other CPUs (TLB shootdown
 * among them). A call request lives on the caller's stack; each target runs it from its
 * IPI_CALL handler, or from a wait with interrupts masked (smp_call_poll), and counts it
 * done.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/timer.h>

#define SMP_CALL_SLOTS 16
#define SMP_START_STACK (16 * 1024)

struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	unsigned pending; /* targets that have not finished */
};

struct smp_call_queue {
	struct spinlock lock;
	struct smp_call *slots[SMP_CALL_SLOTS];
	unsigned head, count;
};

static struct smp_call_queue smp_queues[PLAT_MAX_CPUS];
static cpumask_t smp_online;
static struct plat_stack smp_stacks[PLAT_MAX_CPUS];

unsigned smp_cpus_online(void)
{
	return cpumask_count(atomic_load(&smp_online));
}

cpumask_t smp_online_mask(void)
{
	return atomic_load(&smp_online);
}

/* Runs the call requests queued for this CPU (interrupts masked). */
static void smp_run_queued_calls(void)
{
	struct smp_call_queue *q = &smp_queues[plat_cpu_id()];

	for (;;) {
		raw_spin_lock(&q->lock);
		struct smp_call *call = q->count ? q->slots[q->head] : NULL;
		if (call) {
			q->head = (q->head + 1) % SMP_CALL_SLOTS;
			q->count--;
		}
		raw_spin_unlock(&q->lock);
		if (!call)
			return;
		call->fn(call->arg);
		atomic_fetch_sub(&call->pending, 1);
	}
}

/* The IPI_CALL handler. */
static void smp_call_handler(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	smp_run_queued_calls();
}

void smp_call_poll(void)
{
	irqflags_t flags = plat_irq_save();

	smp_run_queued_calls();
	plat_irq_restore(flags);
}

/* One turn of a wait for other CPUs: with interrupts masked, runs the calls they queued
 * here meanwhile (one of them may be waiting for this CPU to do so). */
static void smp_wait_turn(bool masked)
{
	if (masked)
		smp_call_poll();
	plat_sched_point(PLAT_POINT_SPIN);
	arch_cpu_relax();
}

/* Marks this CPU's state for a reschedule on the way out of the interrupt. */
static void smp_resched_handler(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	sched_set_need_resched();
}

/* Parks this CPU for good. */
static void smp_stop_handler(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	atomic_fetch_and(&smp_online, ~(1ULL << plat_cpu_id()));
	plat_cpu_park();
}

static const irq_handler_t smp_ipi_handlers[IPI_COUNT] = {
    [IPI_RESCHEDULE] = smp_resched_handler,
    [IPI_CALL] = smp_call_handler,
    [IPI_STOP] = smp_stop_handler,
};
static const char *const smp_ipi_names[IPI_COUNT] = {"ipi-resched", "ipi-call", "ipi-stop"};

/* Registers the IPI handlers (boot CPU) or unmasks them (secondaries). */
static void smp_ipi_cpu_init(bool boot)
{
	const struct irq_chip *chip = irq_chip();

	for (unsigned i = 0; i < IPI_COUNT; i++) {
		unsigned irq = chip->ipi_irq((enum ipi)i);
		if (!boot) {
			irq_unmask(irq);
			continue;
		}
		int err = irq_register(irq, smp_ipi_names[i], smp_ipi_handlers[i], NULL);
		if (err)
			panic("smp: cannot register %s on interrupt %u (%d)", smp_ipi_names[i], irq,
			      err);
	}
}

void smp_secondary_entry(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	if (cpu != plat_cpu_id())
		panic("smp: CPU %u started as CPU %u", cpu, plat_cpu_id());
	irq_chip()->cpu_init();
	smp_ipi_cpu_init(false);
	time_cpu_init();
	sched_init_secondary(cpu);
	atomic_fetch_or(&smp_online, 1ULL << cpu); /* now threads may be placed here */
	sched_run_idle();
}

/* Starts CPU cpu on a fresh stack; 0 or a negative errno. */
static int smp_start_cpu(unsigned cpu)
{
	int err = plat_stack_alloc(&smp_stacks[cpu], SMP_START_STACK);

	if (err)
		return err;
	void *top = (char *)smp_stacks[cpu].lo + smp_stacks[cpu].size;
	err = plat_cpu_start(cpu, top, smp_secondary_entry, (void *)(uintptr_t)cpu);
	if (err)
		return err;
	while (!(atomic_load(&smp_online) & (1ULL << cpu))) {
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	return 0;
}

unsigned smp_init(void)
{
	atomic_fetch_or(&smp_online, 1ULL << plat_cpu_id());
	smp_ipi_cpu_init(true);
	for (unsigned cpu = 1; cpu < plat_cpu_count(); cpu++) {
		int err = smp_start_cpu(cpu);
		if (err)
			kprintf("smp: CPU %u did not start (%d)\n", cpu, err);
	}
	kprintf("smp: %u of %u CPUs online\n", smp_cpus_online(), plat_cpu_count());
	return smp_cpus_online();
}

/* Queues call on cpu's queue, waiting for a free slot; masked: the caller's interrupts are
 * masked. */
static void smp_queue_call(unsigned cpu, struct smp_call *call, bool masked)
{
	struct smp_call_queue *q = &smp_queues[cpu];

	for (;;) {
		irqflags_t flags = plat_irq_save();
		raw_spin_lock(&q->lock);
		bool room = q->count < SMP_CALL_SLOTS;
		if (room)
			q->slots[(q->head + q->count++) % SMP_CALL_SLOTS] = call;
		raw_spin_unlock(&q->lock);
		plat_irq_restore(flags);
		if (room)
			return;
		smp_wait_turn(masked);
	}
}

void smp_call_on(cpumask_t targets, void (*fn)(void *arg), void *arg)
{
	struct smp_call call = {fn, arg, 0};
	bool masked = !plat_irq_enabled();

	preempt_disable(); /* "self" must stay this CPU */
	unsigned me = plat_cpu_id();
	cpumask_t others = targets & smp_online_mask() & ~(1ULL << me);
	call.pending = cpumask_count(others);
	for (unsigned cpu = 0; cpu < PLAT_MAX_CPUS; cpu++)
		if (others & (1ULL << cpu))
			smp_queue_call(cpu, &call, masked);
	if (others)
		ipi_send(others, IPI_CALL);
	if (targets & (1ULL << me)) {
		irqflags_t flags = plat_irq_save();
		fn(arg);
		plat_irq_restore(flags);
	}
	while (atomic_load(&call.pending))
		smp_wait_turn(masked);
	preempt_enable();
}

void smp_call_where(const uint64_t *values, uint64_t value, void (*fn)(void *arg), void *arg)
{
	cpumask_t targets = 0;

	for (unsigned cpu = 0; cpu < plat_cpu_count(); cpu++)
		if (atomic_load(&values[cpu]) == value)
			targets |= 1ULL << cpu;
	if (targets)
		smp_call_on(targets, fn, arg);
}

void smp_stop_others(void)
{
	if (!irq_chip() || !(smp_online_mask() & (1ULL << plat_cpu_id())))
		return;
	cpumask_t others = smp_online_mask() & ~(1ULL << plat_cpu_id());
	ipi_send(others, IPI_STOP);
	for (unsigned long spins = 0; spins < 100000000UL; spins++) {
		if (!(smp_online_mask() & others))
			return;
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	kprintf("smp: CPUs %#llx did not stop\n", (unsigned long long)(smp_online_mask() & others));
}
