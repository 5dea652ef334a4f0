/*
 * Kernel stacks. Each is mapped above a PROT_NONE guard page, registered with Valgrind
 * (so switching onto it is not mistaken for a huge stack frame) and recorded here so the
 * fault handler and the watchdog can walk frame pointers on it without reading wild
 * memory, and name an access to its guard page a stack overflow. Entering a stack is
 * announced to the sanitizers.
 */
#include <errno.h>
#include <sys/mman.h>

#include "sim.h"

#define SIM_MAX_STACKS 4096

/* Every live stack. Slots are written under the lock; readers (the fault handler, the
 * watchdog, context switches) read them without it, one word at a time. */
static struct {
	pthread_mutex_t lock;
	struct {
		uintptr_t lo, hi; /* 0, 0: a free slot */
		unsigned valgrind_id;
	} slot[SIM_MAX_STACKS];
	unsigned used; /* slots [0, used) have been handed out at least once */
} sim_stacks = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Records [lo, hi) in a free slot; returns the slot or -ENOMEM. */
static int stack_register(uintptr_t lo, uintptr_t hi)
{
	int found = -ENOMEM;

	pthread_mutex_lock(&sim_stacks.lock);
	for (unsigned i = 0; i < SIM_MAX_STACKS && found < 0; i++) {
		if (__atomic_load_n(&sim_stacks.slot[i].hi, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&sim_stacks.slot[i].lo, lo, __ATOMIC_RELAXED);
		__atomic_store_n(&sim_stacks.slot[i].hi, hi, __ATOMIC_RELEASE);
		if (i >= sim_stacks.used)
			__atomic_store_n(&sim_stacks.used, i + 1, __ATOMIC_RELEASE);
		found = (int)i;
	}
	pthread_mutex_unlock(&sim_stacks.lock);
	return found;
}

int sim_stack_create(struct sim_stack *s, size_t size)
{
	size = (size + SIM_PAGE_SIZE - 1) & ~(SIM_PAGE_SIZE - 1);
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
	int slot = stack_register((uintptr_t)s->lo, (uintptr_t)s->hi);
	if (slot < 0) {
		munmap(base, size + SIM_PAGE_SIZE);
		return slot;
	}
	s->slot = (unsigned)slot;
	s->valgrind_id = tool_stack_register(s->lo, s->hi);
	sim_stacks.slot[slot].valgrind_id = s->valgrind_id;
	return 0;
}

void sim_stack_destroy(unsigned slot)
{
	uint8_t *lo = (uint8_t *)sim_stacks.slot[slot].lo;
	size_t size = sim_stacks.slot[slot].hi - sim_stacks.slot[slot].lo;

	tool_stack_deregister(sim_stacks.slot[slot].valgrind_id);
	tool_asan_unpoison(lo, size); /* frames left poisoned must not outlive the stack */
	pthread_mutex_lock(&sim_stacks.lock);
	__atomic_store_n(&sim_stacks.slot[slot].hi, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&sim_stacks.slot[slot].lo, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sim_stacks.lock);
	if (!sim_snapshot_keeps_stack((uintptr_t)lo))
		munmap(lo - SIM_PAGE_SIZE, size + SIM_PAGE_SIZE);
}

int sim_stack_list(struct sim_stack_info *info, int max)
{
	unsigned used = __atomic_load_n(&sim_stacks.used, __ATOMIC_ACQUIRE);
	int n = 0;

	for (unsigned i = 0; i < used; i++) {
		uintptr_t hi = __atomic_load_n(&sim_stacks.slot[i].hi, __ATOMIC_ACQUIRE);
		if (!hi)
			continue;
		if (n == max)
			return -ENOSPC;
		info[n++] = (struct sim_stack_info){sim_stacks.slot[i].lo, hi, i};
	}
	return n;
}

/* Finds the live stack whose range [lo - below, hi] holds addr; true and *lo, *hi set
 * when there is one. */
static bool stack_lookup(uintptr_t addr, uintptr_t below, uintptr_t *lo, uintptr_t *hi)
{
	unsigned used = __atomic_load_n(&sim_stacks.used, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < used; i++) {
		uintptr_t h = __atomic_load_n(&sim_stacks.slot[i].hi, __ATOMIC_ACQUIRE);
		uintptr_t l = __atomic_load_n(&sim_stacks.slot[i].lo, __ATOMIC_RELAXED);
		if (h && addr >= l - below && addr <= h) {
			*lo = l;
			*hi = h;
			return true;
		}
	}
	return false;
}

bool sim_stack_holds(uintptr_t addr, size_t len)
{
	uintptr_t lo, hi;

	return stack_lookup(addr, 0, &lo, &hi) && addr >= lo && len <= hi - addr;
}

bool sim_stack_in_guard(uintptr_t addr)
{
	uintptr_t lo, hi;

	return stack_lookup(addr, SIM_PAGE_SIZE, &lo, &hi) && addr < lo;
}

bool sim_stack_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	return stack_lookup(addr, 0, lo, hi) && addr >= *lo;
}

void sim_stack_enter(struct sim_stack *s, void (*fn)(void *), void *arg)
{
	/* the thread never returns to the stack it leaves: nothing to save */
	tool_switch_begin(NULL, s->lo, (size_t)(s->hi - s->lo), NULL, true);
	sim_stack_call(s->hi, fn, arg);
}

void sim_stack_entered(void)
{
	tool_switch_end(NULL);
}
