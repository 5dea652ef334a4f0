/* The console lock: one message at a time from any CPU, and never a deadlock on it. */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/console.h>
#include <amphi/plat.h>

#define CONSOLE_SPIN_LIMIT 10000000UL

static int console_owner = -1; /* CPU holding the console */
static unsigned console_depth; /* nested takes by the owner */

irqflags_t console_lock(void)
{
	irqflags_t flags = plat_irq_save();
	int me = (int)plat_cpu_id();

	if (atomic_load(&console_owner) == me) {
		console_depth++;
		return flags;
	}
	for (unsigned long spins = 0; spins < CONSOLE_SPIN_LIMIT; spins++) {
		int free = -1;
		if (atomic_cas(&console_owner, &free, me))
			break;
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	atomic_store(&console_owner, me); /* taken, or taken over from a stopped holder */
	console_depth = 1;
	return flags;
}

void console_unlock(irqflags_t flags)
{
	if (--console_depth == 0)
		atomic_store(&console_owner, -1);
	plat_irq_restore(flags);
}
