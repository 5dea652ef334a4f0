/*
 * Kernel thread contexts and stacks. The switch itself is arch_ctx_switch (callee-saved
 * registers pushed on the stack being left); around it the sanitizers are told which
 * stack comes next (ASan's fake stacks, TSan's fibers). Stacks are mmap'ed above a guard
 * page and registered (mem/stack.c), so an overflow is reported as one.
 */
#include <errno.h>
#include <stdlib.h>

#include <amphi/arch.h>
#include <amphi/plat.h>

#include "sim.h"

/* What a new context calls, kept at the top of its stack. */
struct ctx_start {
	void (*entry)(void *arg);
	void *arg;
};

int plat_stack_alloc(struct plat_stack *s, size_t size)
{
	struct sim_cpu *self = sim_cpu_self();
	struct sim_stack stack;

	self->in_sim++; /* no interrupt may switch away inside mmap's bookkeeping */
	int err = sim_stack_create(&stack, size);
	self->in_sim--;
	if (err)
		return -ENOMEM;
	*s = (struct plat_stack){.lo = stack.lo,
				 .size = (size_t)(stack.hi - stack.lo),
				 .priv = (void *)(uintptr_t)stack.slot};
	return 0;
}

void plat_stack_free(struct plat_stack *s)
{
	struct sim_cpu *self = sim_cpu_self();

	self->in_sim++;
	sim_stack_destroy((unsigned)(uintptr_t)s->priv);
	self->in_sim--;
	s->lo = NULL;
}

/* First function of a new context: completes the switch, then calls its entry. */
static SIM_NORETURN void ctx_first(void *p)
{
	const struct ctx_start *start = p;

	tool_switch_end(NULL);
	start->entry(start->arg);
	abort(); /* entry must not return */
}

void plat_ctx_init(struct plat_ctx *ctx, const struct plat_stack *stack, void (*entry)(void *arg),
		   void *arg)
{
	uintptr_t top = (uintptr_t)stack->lo + stack->size;
	struct ctx_start *start = (struct ctx_start *)(top - 16);

	*start = (struct ctx_start){.entry = entry, .arg = arg};
	ctx->sp = arch_ctx_init_stack(top - 16, ctx_first, start);
	ctx->stack = stack;
	ctx->fiber = tool_fiber_create();
}

void plat_ctx_init_current(struct plat_ctx *ctx, const struct plat_stack *stack)
{
	ctx->sp = 0;
	ctx->stack = stack;
	ctx->fiber = tool_fiber_current();
	sim_cpu_self()->thread_fiber = ctx->fiber;
}

/* The usable range of the stack ctx resumes on, for ASan. */
static void ctx_stack_range(const struct plat_ctx *ctx, uintptr_t *lo, size_t *size)
{
	uintptr_t hi = 0;

	if (ctx->stack) {
		*lo = (uintptr_t)ctx->stack->lo;
		*size = ctx->stack->size;
	} else if (sim_stack_find(ctx->sp, lo, &hi)) {
		*size = hi - *lo;
	} else {
		*lo = 0;
		*size = 0;
	}
}

void plat_ctx_switch(struct plat_ctx *from, struct plat_ctx *to)
{
	struct tool_switch save;
	uintptr_t lo;
	size_t size;

	ctx_stack_range(to, &lo, &size);
	tool_switch_begin(&save, (void *)lo, size, to->fiber, false);
	arch_ctx_switch(&from->sp, to->sp);
	tool_switch_end(&save);
}

void plat_ctx_destroy(struct plat_ctx *ctx)
{
	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		if (ctx->fiber == sim_machine.cpu[i].thread_fiber)
			return; /* a thread's own fiber lives as long as the thread */
	}
	tool_fiber_destroy(ctx->fiber);
	ctx->fiber = NULL;
}
