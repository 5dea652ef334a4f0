/*
 * Lock tests: N threads x M increments under each kind of lock give exactly N x M, with a
 * timer interrupt taking the same spinlock throughout. The manual suite lockdep_bugs plants
 * the bugs the lock checker must report (the harness asserts each report).
 */
#include <amphi/atomic.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

#define STRESS_INCREMENTS 500
#define STRESS_MIN_TICKS 5 /* timer interrupts that must land during a spinlock run */
#define STRESS_MAX_THREADS 16

enum stress_lock { STRESS_SPIN, STRESS_MUTEX, STRESS_SEM };

struct stress {
	enum stress_lock kind;
	struct spinlock spin;
	struct mutex mutex;
	struct semaphore sem;
	long counter; /* guarded by the lock under test */
	long inside;  /* threads inside the critical section */
	long max_inside;
	struct ktimer tick;
	bool tick_stop;
	long ticks; /* timer callbacks, which also increment counter */
	long done;  /* increments made by the workers */
};

/* Takes the lock under test. */
static irqflags_t stress_lock(struct stress *s)
{
	switch (s->kind) {
	case STRESS_SPIN:
		return spin_lock_irqsave(&s->spin);
	case STRESS_MUTEX:
		mutex_lock(&s->mutex);
		return 0;
	default:
		sem_down(&s->sem);
		return 0;
	}
}

/* Releases the lock under test. */
static void stress_unlock(struct stress *s, irqflags_t flags)
{
	switch (s->kind) {
	case STRESS_SPIN:
		spin_unlock_irqrestore(&s->spin, flags);
		return;
	case STRESS_MUTEX:
		mutex_unlock(&s->mutex);
		return;
	default:
		sem_up(&s->sem);
	}
}

/* True while a spinlock run has not yet seen its timer interrupts land (bounded, so a
 * timer that never fires ends the run and fails the tick check instead of hanging). */
static bool stress_wants_ticks(struct stress *s, long i)
{
	return s->kind == STRESS_SPIN && atomic_load(&s->ticks) < STRESS_MIN_TICKS &&
	       i < 10000L * STRESS_INCREMENTS;
}

/* One worker: increments with a scheduling point between read and write, at least
 * STRESS_INCREMENTS times and, for the spinlock, until the timer has fired meanwhile. */
static void stress_worker(void *arg)
{
	struct stress *s = arg;
	long i;

	for (i = 0; i < STRESS_INCREMENTS || stress_wants_ticks(s, i); i++) {
		irqflags_t flags = stress_lock(s);
		long inside = ++s->inside;
		s->max_inside = MAX(s->max_inside, inside);
		long v = s->counter;
		plat_sched_point(PLAT_POINT_YIELD);
		s->counter = v + 1;
		s->inside--;
		stress_unlock(s, flags);
	}
	atomic_fetch_add(&s->done, i);
}

/* Interrupt-context user of the spinlock: increments, re-arms every 20 us until stopped. */
static void stress_tick(struct ktimer *kt)
{
	struct stress *s = container_of(kt, struct stress, tick);

	spin_lock(&s->spin);
	s->counter++;
	atomic_fetch_add(&s->ticks, 1); /* workers read it unlocked (stress_wants_ticks) */
	spin_unlock(&s->spin);
	if (!atomic_load(&s->tick_stop))
		ktimer_start(kt, plat_time_ns() + 20000);
}

/* Runs 2 threads per CPU (4 at least) against s->kind and checks the count. */
static void stress_run(struct ktest *t, struct stress *s)
{
	struct thread *th[STRESS_MAX_THREADS];
	int n = (int)MIN(MAX(2 * smp_cpus_online(), 4u), STRESS_MAX_THREADS);

	spin_lock_init(&s->spin, "stress_spin");
	mutex_init(&s->mutex, "stress_mutex");
	sem_init(&s->sem, "stress_sem", 1);
	ktimer_init(&s->tick, stress_tick);
	if (s->kind == STRESS_SPIN)
		ktimer_start(&s->tick, plat_time_ns() + 20000);
	for (int i = 0; i < n; i++) {
		th[i] = thread_create("stress", stress_worker, s, 0, 0);
		KTEST_ASSERT(t, th[i] != NULL);
	}
	for (int i = 0; i < n; i++)
		thread_join(th[i]);
	atomic_store(&s->tick_stop, true);
	ktimer_cancel(&s->tick);
	ktimer_cancel(&s->tick); /* a callback running during the first may have re-armed */
	KTEST_EXPECT(t, s->done >= (long)n * STRESS_INCREMENTS);
	KTEST_EXPECT_EQ(t, s->counter, s->done + s->ticks);
	KTEST_EXPECT_EQ(t, s->max_inside, 1);
	if (s->kind == STRESS_SPIN)
		KTEST_EXPECT(t, s->ticks >= STRESS_MIN_TICKS);
}

static void sync_spinlock_stress(struct ktest *t)
{
	static struct stress s;

	s = (struct stress){.kind = STRESS_SPIN};
	stress_run(t, &s);
}

static void sync_mutex_stress(struct ktest *t)
{
	static struct stress s;

	s = (struct stress){.kind = STRESS_MUTEX};
	stress_run(t, &s);
}

static void sync_semaphore_stress(struct ktest *t)
{
	static struct stress s;

	s = (struct stress){.kind = STRESS_SEM};
	stress_run(t, &s);
}

static void sync_trylocks(struct ktest *t)
{
	struct spinlock l = SPINLOCK_INIT("test_try");
	struct mutex m;

	mutex_init(&m, "test_try_mutex");
	KTEST_EXPECT(t, spin_trylock(&l));
	KTEST_EXPECT(t, spin_held(&l));
	spin_unlock(&l);
	KTEST_EXPECT(t, !spin_held(&l));
	KTEST_EXPECT(t, mutex_trylock(&m));
	mutex_unlock(&m);
}

/* Holds a semaphore of 2 units briefly, recording how many hold it at once. */
static void sem_holder(void *arg)
{
	struct stress *s = arg;

	for (int i = 0; i < 50; i++) {
		sem_down(&s->sem);
		long inside = atomic_fetch_add(&s->inside, 1) + 1;
		long seen = atomic_load(&s->max_inside);
		while (inside > seen && !atomic_cas(&s->max_inside, &seen, inside))
			;
		thread_yield();
		atomic_fetch_sub(&s->inside, 1);
		sem_up(&s->sem);
	}
}

static void sync_semaphore_counts(struct ktest *t)
{
	static struct stress s;
	struct thread *th[6];

	s = (struct stress){.kind = STRESS_SEM};
	sem_init(&s.sem, "test_sem2", 2);
	for (int i = 0; i < 6; i++) {
		th[i] = thread_create("sem2", sem_holder, &s, 0, 0);
		KTEST_ASSERT(t, th[i] != NULL);
	}
	for (int i = 0; i < 6; i++)
		thread_join(th[i]);
	KTEST_EXPECT(t, s.max_inside <= 2);
	KTEST_EXPECT(t, s.max_inside >= 1);
	KTEST_EXPECT_EQ(t, s.sem.count, 2);
}

static const struct ktest_case sync_cases[] = {
    KTEST_CASE(sync_trylocks),	       KTEST_CASE(sync_spinlock_stress),
    KTEST_CASE(sync_mutex_stress),     KTEST_CASE(sync_semaphore_stress),
    KTEST_CASE(sync_semaphore_counts), {0},
};
KTEST_SUITE(sync_suite, "sync", sync_cases);

/* --- planted lock bugs: each must end in a lock checker panic --- */

static struct spinlock bug_a = SPINLOCK_INIT("bug_lock_a");
static struct spinlock bug_b = SPINLOCK_INIT("bug_lock_b");

/* Takes a then b (recorded), later b then a: an inversion even though nothing deadlocks. */
static void lock_order_inversion(struct ktest *t)
{
	spin_lock(&bug_a);
	spin_lock(&bug_b);
	spin_unlock(&bug_b);
	spin_unlock(&bug_a);
	spin_lock(&bug_b);
	spin_lock(&bug_a); /* the checker panics here */
	spin_unlock(&bug_a);
	spin_unlock(&bug_b);
	ktest_fail(t, __FILE__, __LINE__, "the lock order inversion was not caught");
}

/* Sleeps while holding a spinlock. */
static void sleep_under_spinlock(struct ktest *t)
{
	struct mutex m;

	mutex_init(&m, "bug_mutex");
	spin_lock(&bug_a);
	mutex_lock(&m); /* may sleep: the checker panics here */
	mutex_unlock(&m);
	spin_unlock(&bug_a);
	ktest_fail(t, __FILE__, __LINE__, "sleeping under a spinlock was not caught");
}

/* Takes a spinlock its CPU already holds. */
static void recursive_spinlock(struct ktest *t)
{
	spin_lock(&bug_b);
	spin_lock(&bug_b); /* the checker panics instead of spinning forever */
	ktest_fail(t, __FILE__, __LINE__, "the recursion was not caught");
}

static const struct ktest_case lockdep_bug_cases[] = {
    KTEST_CASE(lock_order_inversion),
    KTEST_CASE(sleep_under_spinlock),
    KTEST_CASE(recursive_spinlock),
    {0},
};
KTEST_SUITE_MANUAL(lockdep_bugs_suite, "lockdep_bugs", lockdep_bug_cases);
