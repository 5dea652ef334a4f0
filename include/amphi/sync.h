/*
 * sync.h: spinlocks, mutexes, semaphores, wait queues and completions.
 *
 * Spinlocks disable preemption while held; the _irqsave variants also mask interrupts and
 * are the only ones an interrupt handler may share with threads. Mutexes, semaphores and
 * completions sleep, so they are for threads only, never while holding a spinlock.
 *
 * Lock debugging (owner tracking, recursion, lock order, sleeping while holding a
 * spinlock) is built in when AMPHI_LOCK_DEBUG is 1 (CMake option, default on) and runs
 * unless the kernel command line says lockdep=off. Each violation panics with both locks
 * and where each was taken.
 */
#pragma once

#include <amphi/list.h>
#include <amphi/plat/irq.h>
#include <amphi/types.h>

struct thread;

/* A lock's identity for the order checker: every lock initialized with the same name
 * string is one class, as locks of the same kind are taken in the same order. */
struct lock_debug {
	const char *name;
	struct thread *owner;	 /* holding thread (NULL: free, or held outside threads) */
	int owner_cpu;		 /* holding CPU, -1 when free */
	uintptr_t taken_at;	 /* return address of the lock call */
	unsigned short class_id; /* 0 until first taken */
	bool sleeps;		 /* a mutex or semaphore (may sleep) */
};

struct spinlock {
	uint32_t next_ticket; /* ticket lock: fair among CPUs */
	uint32_t now_serving;
	struct lock_debug dbg;
};

#define SPINLOCK_INIT(name_)                         \
	{                                            \
		0, 0,                                \
		{                                    \
			name_, NULL, -1, 0, 0, false \
		}                                    \
	}

/* Makes l an unlocked spinlock named name (the name is its lock-order class). */
void spin_lock_init(struct spinlock *l, const char *name);

/* Takes l, spinning; disables preemption until spin_unlock. */
void spin_lock(struct spinlock *l);

/* Releases l, taken by this CPU with spin_lock. */
void spin_unlock(struct spinlock *l);

/* Takes l like spin_lock when it is free: returns true, or false at once. */
bool spin_trylock(struct spinlock *l);

/* Masks interrupts, then takes l; returns the interrupt state for spin_unlock_irqrestore. */
irqflags_t spin_lock_irqsave(struct spinlock *l);

/* Releases l, then restores the interrupt state from spin_lock_irqsave. */
void spin_unlock_irqrestore(struct spinlock *l, irqflags_t flags);

/* True when the executing CPU holds l. */
bool spin_held(const struct spinlock *l);

/* Lock-free wait for the scheduler's run-queue locks, which are handed from one thread to
 * the next across a context switch and so cannot be tracked per thread. */
void raw_spin_lock(struct spinlock *l);
void raw_spin_unlock(struct spinlock *l);

/* --- wait queues: threads sleeping until a condition holds --- */

struct waitq {
	struct spinlock lock;
	struct list_node waiters;
};

#define WAITQ_INIT(wq, name_)                                 \
	{                                                     \
		SPINLOCK_INIT(name_), LIST_INIT((wq).waiters) \
	}

/* Makes wq empty. */
void waitq_init(struct waitq *wq, const char *name);

/* Wakes up to n threads waiting on wq (oldest first); returns how many it woke. */
unsigned waitq_wake(struct waitq *wq, unsigned n);

/* waitq_wake for code that holds wq->lock. */
unsigned waitq_wake_locked(struct waitq *wq, unsigned n);

/* For code that holds wq->lock (taken with spin_lock_irqsave) and has found its condition
 * false: sleeps until woken or the deadline, releasing the lock meanwhile and holding it
 * again on return. Returns 0 when woken, -ETIMEDOUT. May block. */
int waitq_sleep_locked(struct waitq *wq, uint64_t deadline_ns);

/* --- mutexes: sleeping locks with an owner --- */

struct mutex {
	struct waitq wq;
	struct thread *holder;
	struct lock_debug dbg;
};

/* Makes m an unlocked mutex named name. */
void mutex_init(struct mutex *m, const char *name);

/* Takes m, sleeping while another thread holds it. May block. */
void mutex_lock(struct mutex *m);

/* Takes m when free: true, else false at once. */
bool mutex_trylock(struct mutex *m);

/* Releases m, held by the calling thread; wakes one waiter. */
void mutex_unlock(struct mutex *m);

/* --- counting semaphores --- */

struct semaphore {
	struct waitq wq;
	long count;
	struct lock_debug dbg;
};

/* Makes s a semaphore with count units available. */
void sem_init(struct semaphore *s, const char *name, long count);

/* Takes one unit, sleeping while none is available. May block. */
void sem_down(struct semaphore *s);

/* Takes one unit, waiting at most until the monotonic deadline: 0 or -ETIMEDOUT. May block. */
int sem_down_until(struct semaphore *s, uint64_t deadline_ns);

/* Returns one unit and wakes a waiter. Any context. */
void sem_up(struct semaphore *s);

/* --- completions: one-shot (or counted) events --- */

struct completion {
	struct waitq wq;
	long done; /* signals not yet consumed; COMPLETION_ALL after complete_all */
};

/* Makes c not done. */
void completion_init(struct completion *c, const char *name);

/* Signals c once: one waiter proceeds (or the next one to wait). Any context. */
void complete(struct completion *c);

/* Signals c for good: every present and future waiter proceeds. Any context. */
void complete_all(struct completion *c);

/* Waits until c is signalled. May block. */
void wait_for_completion(struct completion *c);

/* Waits until c is signalled or the monotonic deadline: 0 or -ETIMEDOUT. May block. */
int wait_for_completion_until(struct completion *c, uint64_t deadline_ns);

/* --- lock debugging --- */

/* Reads lockdep= from the command line (on by default where built in). */
void lockdep_init(const char *cmdline);

/* Panics when the calling thread holds a spinlock or has preemption disabled: what is
 * about to happen may sleep. where is the caller's return address for the report. */
void lockdep_assert_may_sleep(uintptr_t where);
