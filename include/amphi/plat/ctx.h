/* plat/ctx.h: kernel thread contexts and stacks. A context is a stack pointer with the
 * callee-saved state pushed below it; switching saves the executing one and resumes another. */
#pragma once

#include <amphi/types.h>

/* A kernel stack: usable range [lo, lo + size), with a guard page below lo where the
 * platform can map one (hosted: always; metal: not yet, stacks come from the page allocator). */
struct plat_stack {
	void *lo;
	size_t size;
	void *priv; /* the platform's bookkeeping */
};

/* A saved kernel context. The kernel embeds it in its thread and never reads it. */
struct plat_ctx {
	uintptr_t sp;			/* saved stack pointer */
	const struct plat_stack *stack; /* the stack it runs on */
	void *fiber;			/* hosted: sanitizer fiber handle; unused on metal */
};

/* Allocates a stack of at least size bytes. Returns 0, or -ENOMEM. */
int plat_stack_alloc(struct plat_stack *s, size_t size);

/* Frees a stack from plat_stack_alloc; nothing may run on it any more. */
void plat_stack_free(struct plat_stack *s);

/* Prepares ctx so that the first plat_ctx_switch to it calls entry(arg) on stack, with
 * interrupts as the switching code left them. entry must not return. */
void plat_ctx_init(struct plat_ctx *ctx, const struct plat_stack *stack, void (*entry)(void *arg),
		   void *arg);

/* Describes the context already executing (the boot or a CPU's first stack) so that it can
 * be switched away from and back to. */
void plat_ctx_init_current(struct plat_ctx *ctx, const struct plat_stack *stack);

/* Saves the executing context into *from and resumes *to; returns when another switch
 * resumes from. Everything is saved before from->sp is written, so another CPU may resume
 * from as soon as it sees from->sp. Called with interrupts masked. */
void plat_ctx_switch(struct plat_ctx *from, struct plat_ctx *to);

/* Releases what the platform attached to a context that will never run again. */
void plat_ctx_destroy(struct plat_ctx *ctx);
