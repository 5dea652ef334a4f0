/*
 * Placeholder: a one-CPU hosted machine with a virtual clock, until the simulated CPUs,
 * interrupt controller and timer land. Time advances 100 ns per scheduling point; an idle
 * CPU jumps to its timer deadline. The timer interrupt is delivered directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <amphi/arch.h>
#include <amphi/irq.h>
#include <amphi/plat.h>

#include "sim.h"

#define UP_TIMER_IRQ 30

static bool up_irq_on;
static uint64_t up_now = 1;
static uint64_t up_deadline = UINT64_MAX;
static bool up_timer_unmasked;

static void up_chip_nop(void) {}
static void up_chip_mask(unsigned irq) { if (irq == UP_TIMER_IRQ) up_timer_unmasked = false; }
static void up_chip_unmask(unsigned irq) { if (irq == UP_TIMER_IRQ) up_timer_unmasked = true; }
static void up_chip_send_ipi(cpumask_t t, enum ipi i) { (void)t; (void)i; }
static unsigned up_chip_ipi_irq(enum ipi i) { return 1 + (unsigned)i; }
static bool up_chip_is_percpu(unsigned irq) { return irq < 32; }

static const struct irq_chip up_chip = {"placeholder", up_chip_nop, up_chip_mask, up_chip_unmask,
					up_chip_send_ipi, up_chip_ipi_irq, up_chip_is_percpu};

void sim_up_register_chip(void);
void sim_up_register_chip(void) { irq_chip_register(&up_chip); }

static void up_deliver(void)
{
	if (!up_irq_on || !up_timer_unmasked || up_now < up_deadline)
		return;
	up_irq_on = false;
	irq_handle(UP_TIMER_IRQ);
	irq_exit();
	up_irq_on = true;
}

unsigned plat_cpu_count(void) { return 1; }
unsigned plat_cpu_id(void) { return 0; }
int plat_cpu_start(unsigned cpu, void *top, void (*entry)(void *), void *arg)
{
	(void)cpu; (void)top; (void)entry; (void)arg;
	return -EINVAL;
}
void plat_cpu_idle(void)
{
	if (up_deadline == UINT64_MAX) {
		fprintf(stderr, "amphi: idle with no timer armed: deadlock\n");
		exit(5);
	}
	if (up_now < up_deadline)
		up_now = up_deadline;
}
void plat_cpu_park(void) { for (;;) pause(); }
void plat_sched_point(enum plat_point why) { (void)why; up_now += 100; up_deliver(); }

irqflags_t plat_irq_save(void) { bool was = up_irq_on; up_irq_on = false; return was; }
void plat_irq_restore(irqflags_t f) { if (f) plat_irq_enable(); else up_irq_on = false; }
void plat_irq_enable(void) { up_irq_on = true; up_deliver(); }
void plat_irq_disable(void) { up_irq_on = false; }
bool plat_irq_enabled(void) { return up_irq_on; }

uint64_t plat_time_ns(void) { return up_now; }
void plat_timer_set(uint64_t d) { up_deadline = d; }
unsigned plat_timer_irq(void) { return UP_TIMER_IRQ; }

int plat_stack_alloc(struct plat_stack *s, size_t size)
{
	struct sim_stack *ss = malloc(sizeof(*ss));
	if (!ss || sim_stack_create(ss, size) < 0) {
		free(ss);
		return -ENOMEM;
	}
	s->lo = ss->lo;
	s->size = (size_t)(ss->hi - ss->lo);
	s->priv = ss;
	return 0;
}
void plat_stack_free(struct plat_stack *s) { (void)s; }
void plat_ctx_init(struct plat_ctx *ctx, const struct plat_stack *stack, void (*entry)(void *), void *arg)
{
	ctx->sp = arch_ctx_init_stack((uintptr_t)stack->lo + stack->size, entry, arg);
	ctx->stack = stack;
}
void plat_ctx_init_current(struct plat_ctx *ctx, const struct plat_stack *stack) { ctx->stack = stack; }
void plat_ctx_switch(struct plat_ctx *from, struct plat_ctx *to) { arch_ctx_switch(&from->sp, to->sp); }
void plat_ctx_destroy(struct plat_ctx *ctx) { (void)ctx; }
