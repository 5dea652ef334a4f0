/*
 * The parts of plat.h that every bare-metal platform implements the same way. Built only
 * for metal targets: the hosted platform has a symbol table and memory checkers, and its
 * console is a terminal or a pipe, not a serial line.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/serial.h>

void serial_write(const char *buf, size_t n, void (*putc)(char c))
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			putc('\r');
		putc(buf[i]);
	}
}

/* No symbol table on metal: backtraces show raw addresses (addr2line on amphi.elf). */
int plat_symbolize(uintptr_t pc, char *buf, size_t len)
{
	(void)pc;
	(void)buf;
	(void)len;
	return -ENOSYS;
}

/* No memory checker runs on metal: the four hooks below do nothing. */
void plat_mem_alloc_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_free_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_noaccess(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_undefined(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* The serial console is a terminal, and its signal keys are plain input already. */
bool plat_console_is_terminal(void)
{
	return true;
}

void plat_console_pass_signals(void)
{
}

/* RAM on metal is always there. */
void plat_mem_prepare(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* Metal stacks come from the page allocator; there is no guard page yet (the direct map
 * uses large pages). */
int plat_stack_alloc(struct plat_stack *s, size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	s->lo = page_alloc(order);
	if (!s->lo)
		return -ENOMEM;
	s->size = PAGE_SIZE << order;
	s->priv = (void *)(uintptr_t)order;
	return 0;
}

/* Returns the stack's pages. */
void plat_stack_free(struct plat_stack *s)
{
	page_free(s->lo, (unsigned)(uintptr_t)s->priv);
	s->lo = NULL;
}

/* The new context's first switch enters entry(arg) at the top of its stack. */
void plat_ctx_init(struct plat_ctx *ctx, const struct plat_stack *stack, void (*entry)(void *arg),
		   void *arg)
{
	uintptr_t top = (uintptr_t)stack->lo + stack->size;

	ctx->sp = arch_ctx_init_stack(top, entry, arg);
	ctx->stack = stack;
	ctx->fiber = NULL;
}

/* The running context needs no preparation on metal: the switch saves it. */
void plat_ctx_init_current(struct plat_ctx *ctx, const struct plat_stack *stack)
{
	ctx->sp = 0;
	ctx->stack = stack;
	ctx->fiber = NULL;
}

/* The switch is the ISA's; a user program's FP/SIMD registers, which the CPU keeps live
 * across its syscalls, are saved first. */
void plat_ctx_switch(struct plat_ctx *from, struct plat_ctx *to)
{
	plat_user_save_fp();
	arch_ctx_switch(&from->sp, to->sp);
}

/* Nothing is attached to a metal context. */
void plat_ctx_destroy(struct plat_ctx *ctx)
{
	(void)ctx;
}

/* A metal machine's exit device carries no status (aarch64 PSCI) or only its low 7 bits
 * (x86 isa-debug-exit), so the power-off line is printed even under "quiet": a runner
 * takes the status from it. */
void plat_poweroff_report(void)
{
	kprintf_set_quiet(false);
}

/* User space on metal: the lower half, its top page left unmapped (Linux's TASK_SIZE). */
#define METAL_USER_TOP (USER_VA_END - PAGE_SIZE)

bool plat_user_range_ok(uintptr_t start, uintptr_t end)
{
	return start < end && end <= METAL_USER_TOP;
}

uintptr_t plat_user_stack_top(void)
{
	return METAL_USER_TOP;
}

/* Metal devices see physical addresses (no IOMMU is set up), and all of RAM and the image
 * sit in the kernel's map. */
int plat_dma_map(const void *va, size_t len, paddr_t *bus)
{
	(void)len;
	*bus = plat_virt_to_phys(va);
	return 0;
}
