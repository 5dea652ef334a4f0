/*
 * Kernel stacks. Each is mapped above a PROT_NONE guard page, registered with Valgrind
 * (so switching onto it is not mistaken for a huge stack frame) and recorded here so the
 * fault handler can walk frame pointers on it without reading wild memory. Entering a
 * stack is announced to ASan's fiber API.
 */
#include <errno.h>
#include <sys/mman.h>

#include "sim.h"

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
	s->valgrind_id = tool_stack_register(s->lo, s->hi);
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

void sim_stack_enter(struct sim_stack *s, void (*fn)(void *), void *arg)
{
	/* the thread never returns to the stack it leaves: nothing to save */
	tool_switch_begin(NULL, s->lo, (size_t)(s->hi - s->lo), tool_fiber_current(), true);
	sim_stack_call(s->hi, fn, arg);
}

void sim_stack_entered(void)
{
	tool_switch_end(NULL);
}
