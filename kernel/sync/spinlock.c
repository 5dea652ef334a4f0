/*
 * Spinlocks: ticket locks, so CPUs get the lock in the order they asked. Every wait calls
 * plat_sched_point(PLAT_POINT_SPIN): on metal that is nothing, in the hosted deterministic
 * machine it hands the one running CPU to another, which is what lets the holder finish.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/sync.h>

#include "lockdep.h"

void spin_lock_init(struct spinlock *l, const char *name)
{
	*l = (struct spinlock)SPINLOCK_INIT(name);
}

/* Waits until l serves ticket. */
static void spin_wait_turn(struct spinlock *l, uint32_t ticket)
{
	while (atomic_load_acquire(&l->now_serving) != ticket) {
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
}

void raw_spin_lock(struct spinlock *l)
{
	plat_sched_point(PLAT_POINT_LOCK);
	spin_wait_turn(l, atomic_fetch_add(&l->next_ticket, 1));
}

void raw_spin_unlock(struct spinlock *l)
{
	atomic_store_release(&l->now_serving, atomic_load_relaxed(&l->now_serving) + 1);
	plat_sched_point(PLAT_POINT_UNLOCK);
}

/* Takes l for a caller at return address where. */
static void spin_lock_at(struct spinlock *l, uintptr_t where)
{
	preempt_disable();
	lockdep_acquire(&l->dbg, where);
	raw_spin_lock(l);
	lockdep_acquired(&l->dbg, where);
}

/* Releases l for a caller at return address where. */
static void spin_unlock_at(struct spinlock *l, uintptr_t where)
{
	lockdep_release(&l->dbg, where);
	raw_spin_unlock(l);
	preempt_enable();
}

void spin_lock(struct spinlock *l)
{
	spin_lock_at(l, (uintptr_t)__builtin_return_address(0));
}

void spin_unlock(struct spinlock *l)
{
	spin_unlock_at(l, (uintptr_t)__builtin_return_address(0));
}

bool spin_trylock(struct spinlock *l)
{
	uintptr_t where = (uintptr_t)__builtin_return_address(0);
	uint32_t ticket = atomic_load(&l->now_serving);

	preempt_disable();
	lockdep_acquire(&l->dbg, where);
	if (atomic_load(&l->next_ticket) != ticket ||
	    !atomic_cas(&l->next_ticket, &ticket, ticket + 1)) {
		preempt_enable();
		return false;
	}
	lockdep_acquired(&l->dbg, where);
	return true;
}

irqflags_t spin_lock_irqsave(struct spinlock *l)
{
	irqflags_t flags = plat_irq_save();

	spin_lock_at(l, (uintptr_t)__builtin_return_address(0));
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, irqflags_t flags)
{
	spin_unlock_at(l, (uintptr_t)__builtin_return_address(0));
	plat_irq_restore(flags);
}

bool spin_held(const struct spinlock *l)
{
	return atomic_load(&l->now_serving) != atomic_load(&l->next_ticket) &&
	       l->dbg.owner_cpu == (int)plat_cpu_id();
}
