/* Wait queues and the sleeping locks built on them: mutexes, semaphores, completions. */
#include <amphi/errno.h>
#include <amphi/panic.h>
#include <amphi/sched.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

#include "lockdep.h"

/* One sleeping thread on a wait queue; lives on the sleeper's stack. */
struct waiter {
	struct list_node node;
	struct thread *thread;
	bool woken;
};

/* A waiter's timeout. */
struct wait_timer {
	struct ktimer timer;
	struct thread *thread;
};

void waitq_init(struct waitq *wq, const char *name)
{
	spin_lock_init(&wq->lock, name);
	list_init(&wq->waiters);
}

unsigned waitq_wake_locked(struct waitq *wq, unsigned n)
{
	unsigned woken = 0;

	while (woken < n && !list_empty(&wq->waiters)) {
		struct waiter *w = list_entry(wq->waiters.next, struct waiter, node);
		list_del(&w->node);
		w->woken = true;
		thread_wake(w->thread);
		woken++;
	}
	return woken;
}

unsigned waitq_wake(struct waitq *wq, unsigned n)
{
	irqflags_t flags = spin_lock_irqsave(&wq->lock);
	unsigned woken = waitq_wake_locked(wq, n);

	spin_unlock_irqrestore(&wq->lock, flags);
	return woken;
}

/* Timer callback: wakes the waiter, which finds itself not woken and times out. */
static void waitq_timeout(struct ktimer *kt)
{
	thread_wake(container_of(kt, struct wait_timer, timer)->thread);
}

int waitq_sleep_locked(struct waitq *wq, uint64_t deadline_ns)
{
	struct thread *me = thread_current();
	struct waiter w = {.thread = me};
	struct wait_timer wt = {.thread = me};

	if (plat_time_ns() >= deadline_ns)
		return -ETIMEDOUT;
	ktimer_init(&wt.timer, waitq_timeout);
	list_add_tail(&wq->waiters, &w.node);
	thread_prepare_sleep();
	if (deadline_ns != UINT64_MAX)
		ktimer_start(&wt.timer, deadline_ns);
	spin_unlock(&wq->lock); /* interrupts stay masked until schedule() has run */
	lockdep_assert_may_sleep((uintptr_t)__builtin_return_address(0));
	me->wchan = wq;
	schedule();
	me->wchan = NULL;
	ktimer_cancel(&wt.timer);
	spin_lock(&wq->lock);
	if (w.woken)
		return 0;
	list_del(&w.node);
	return -ETIMEDOUT;
}

/* Sleeps on wq until *units (guarded by wq's lock) is positive or the deadline passes, then
 * takes one unit, unless *units is at least keep (a count that stays, as after
 * complete_all). where is the caller's call site for the lock checker. 0 or -ETIMEDOUT. */
static int waitq_take_unit(struct waitq *wq, long *units, long keep, uint64_t deadline_ns,
			   uintptr_t where)
{
	int err = 0;

	lockdep_assert_may_sleep(where);
	irqflags_t flags = spin_lock_irqsave(&wq->lock);
	while (*units <= 0 && err == 0)
		err = waitq_sleep_locked(wq, deadline_ns);
	if (*units > 0) { /* a unit that arrived with the timeout still counts */
		if (*units < keep)
			(*units)--;
		err = 0;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	return err;
}

/* --- mutexes --- */

void mutex_init(struct mutex *m, const char *name)
{
	waitq_init(&m->wq, name);
	m->holder = NULL;
	m->dbg = (struct lock_debug){name, NULL, -1, 0, 0, true};
}

void mutex_lock(struct mutex *m)
{
	uintptr_t where = (uintptr_t)__builtin_return_address(0);
	struct thread *me = thread_current();

	lockdep_assert_may_sleep(where);
	lockdep_acquire(&m->dbg, where);
	irqflags_t flags = spin_lock_irqsave(&m->wq.lock);
	while (m->holder)
		waitq_sleep_locked(&m->wq, UINT64_MAX);
	m->holder = me;
	spin_unlock_irqrestore(&m->wq.lock, flags);
	lockdep_acquired(&m->dbg, where);
}

bool mutex_trylock(struct mutex *m)
{
	uintptr_t where = (uintptr_t)__builtin_return_address(0);
	irqflags_t flags = spin_lock_irqsave(&m->wq.lock);
	bool taken = m->holder == NULL;

	if (taken)
		m->holder = thread_current();
	spin_unlock_irqrestore(&m->wq.lock, flags);
	if (taken) {
		lockdep_acquire(&m->dbg, where);
		lockdep_acquired(&m->dbg, where);
	}
	return taken;
}

void mutex_unlock(struct mutex *m)
{
	lockdep_release(&m->dbg, (uintptr_t)__builtin_return_address(0));
	irqflags_t flags = spin_lock_irqsave(&m->wq.lock);
	if (m->holder != thread_current())
		panic("mutex_unlock: \"%s\" is not held by the caller", m->dbg.name);
	m->holder = NULL;
	waitq_wake_locked(&m->wq, 1);
	spin_unlock_irqrestore(&m->wq.lock, flags);
}

/* --- semaphores --- */

void sem_init(struct semaphore *s, const char *name, long count)
{
	waitq_init(&s->wq, name);
	s->count = count;
	s->dbg = (struct lock_debug){name, NULL, -1, 0, 0, true};
}

int sem_down_until(struct semaphore *s, uint64_t deadline_ns)
{
	return waitq_take_unit(&s->wq, &s->count, __LONG_MAX__, deadline_ns,
			       (uintptr_t)__builtin_return_address(0));
}

void sem_down(struct semaphore *s)
{
	sem_down_until(s, UINT64_MAX);
}

void sem_up(struct semaphore *s)
{
	irqflags_t flags = spin_lock_irqsave(&s->wq.lock);

	s->count++;
	waitq_wake_locked(&s->wq, 1);
	spin_unlock_irqrestore(&s->wq.lock, flags);
}

/* --- completions --- */

#define COMPLETION_ALL (__LONG_MAX__ / 2)

void completion_init(struct completion *c, const char *name)
{
	waitq_init(&c->wq, name);
	c->done = 0;
}

void complete(struct completion *c)
{
	irqflags_t flags = spin_lock_irqsave(&c->wq.lock);

	if (c->done < COMPLETION_ALL)
		c->done++;
	waitq_wake_locked(&c->wq, 1);
	spin_unlock_irqrestore(&c->wq.lock, flags);
}

void complete_all(struct completion *c)
{
	irqflags_t flags = spin_lock_irqsave(&c->wq.lock);

	c->done = COMPLETION_ALL;
	waitq_wake_locked(&c->wq, ~0u);
	spin_unlock_irqrestore(&c->wq.lock, flags);
}

int wait_for_completion_until(struct completion *c, uint64_t deadline_ns)
{
	return waitq_take_unit(&c->wq, &c->done, COMPLETION_ALL, deadline_ns,
			       (uintptr_t)__builtin_return_address(0));
}

void wait_for_completion(struct completion *c)
{
	wait_for_completion_until(c, UINT64_MAX);
}
