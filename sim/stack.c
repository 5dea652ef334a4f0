/*
 * Kernel stacks. Each is mapped above a PROT_NONE guard page, registered with Valgrind
 * (so switching onto it is not mistaken for a huge stack frame) and recorded here so the
 * fault handler can walk frame pointers on it without reading wild memory. Entering a
 * stack is announced to ASan's fiber API.
 */
#include <errno.h>
#include <sys/mman.h>
#include <valgrind/valgrind.h>

#include "sim.h"
#if SIM_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define SIM_MAX_STACKS 4096

/* Every stack ever created; entries are written once, before the stack is used. */
static struct {
	struct sim_stack *stacks[SIM_MAX_STACKS];
	unsigned count;
} sim_stack_registry;

int sim_stack_create(struct sim_stack *s, size_t size)
{
	size = (size + SIM_PAGE_SIZE - 1) & ~(SIM_PAGE_SIZE - 1);
	if (sim_stack_registry.count == SIM_MAX_STACKS)
		return -ENOMEM;
	uint8_t *base = mmap(NULL, size + SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mprotect(base, SIM_PAGE_SIZE, PROT_NONE) < 0) {
		int err = -errno;
		munmap(base, size + SIM_PAGE_SIZE);
		return err;
	}
	s->lo = base + SIM_PAGE_SIZE;
	s->hi = s->lo + size;
	s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, s->hi - 1); /* inclusive end */
	sim_stack_registry.stacks[sim_stack_registry.count++] = s;
	return 0;
}

bool sim_stack_holds(uintptr_t addr, size_t len)
{
	for (unsigned i = 0; i < sim_stack_registry.count; i++) {
		const struct sim_stack *s = sim_stack_registry.stacks[i];
		if (addr >= (uintptr_t)s->lo && addr <= (uintptr_t)s->hi &&
		    len <= (uintptr_t)s->hi - addr)
			return true;
	}
	return false;
}

bool sim_stack_in_guard(uintptr_t addr)
{
	for (unsigned i = 0; i < sim_stack_registry.count; i++) {
		const struct sim_stack *s = sim_stack_registry.stacks[i];
		if (addr >= (uintptr_t)s->lo - SIM_PAGE_SIZE && addr < (uintptr_t)s->lo)
			return true;
	}
	return false;
}

#if SIM_ASAN
/* The ASan fake stack of the context being left. The process never returns to main's
 * stack, so nothing reads it back, but ASan needs somewhere to put it. */
static void *sim_fiber_fake_stack;
#endif

void sim_stack_enter(struct sim_stack *s, void (*fn)(void *), void *arg)
{
#if SIM_ASAN
	__sanitizer_start_switch_fiber(&sim_fiber_fake_stack, s->lo, (size_t)(s->hi - s->lo));
#endif
	sim_stack_call(s->hi, fn, arg);
}

void sim_stack_entered(void)
{
#if SIM_ASAN
	const void *old_bottom;
	size_t old_size;

	__sanitizer_finish_switch_fiber(NULL, &old_bottom, &old_size);
#endif
}
