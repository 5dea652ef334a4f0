/*
 * Lock debugging: owners, recursion, lock order and sleeping under spinlocks.
 *
 * Locks are grouped in classes by name. Taking a lock of class B while holding one of class
 * A records the dependency A -> B (with both call sites, the first time it is seen); taking
 * it while B -> ... -> A is already recorded is an inversion that can deadlock, even if this
 * run never did, and panics naming both locks and where each was taken.
 */
#include <amphi/atomic.h>
#include <amphi/cmdline.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/string.h>

#include "lockdep.h"

#ifndef AMPHI_LOCK_DEBUG
#define AMPHI_LOCK_DEBUG 1
#endif

#define LOCKDEP_CLASSES 256
#define LOCKDEP_EDGES 1024
#define LOCKDEP_WORDS (LOCKDEP_CLASSES / 64)

/* A recorded dependency: a lock of class `to` taken at to_site while holding one of class
 * `from` taken at from_site. */
struct lockdep_edge {
	unsigned short from, to;
	uintptr_t from_site, to_site;
};

static struct {
	bool enabled;
	struct spinlock lock; /* raw: guards everything below */
	const char *class_name[LOCKDEP_CLASSES];
	unsigned class_count;
	uint64_t deps[LOCKDEP_CLASSES][LOCKDEP_WORDS];
	struct lockdep_edge edges[LOCKDEP_EDGES];
	unsigned edge_count;
} lockdep = {.enabled = AMPHI_LOCK_DEBUG, .lock = SPINLOCK_INIT("lockdep")};

void lockdep_init(const char *cmdline)
{
	char value[8];

	if (cmdline_get(cmdline, "lockdep", value, sizeof(value)) > 0)
		lockdep.enabled = AMPHI_LOCK_DEBUG && strcmp(value, "off") != 0;
	if (!AMPHI_LOCK_DEBUG)
		kprintf("lockdep: not built in (AMPHI_LOCK_DEBUG=0)\n");
}

/* Prints "<label> "name" at symbol" for a lock and a call site. */
static void lockdep_print_site(const char *label, const char *name, uintptr_t site)
{
	char sym[128];

	if (plat_symbolize(site, sym, sizeof(sym)) < 0)
		ksnprintf(sym, sizeof(sym), "0x%lx", (unsigned long)site);
	kprintf("lockdep:   %s \"%s\" at %s\n", label, name, sym);
}

/* The class of lock, registering it on first use (under lockdep.lock). */
static unsigned lockdep_class_locked(struct lock_debug *lock)
{
	unsigned short id = atomic_load_relaxed(&lock->class_id);

	if (id)
		return id;
	for (unsigned i = 1; i <= lockdep.class_count && !id; i++)
		if (strcmp(lockdep.class_name[i], lock->name) == 0)
			id = (unsigned short)i;
	if (!id) {
		if (lockdep.class_count + 1 >= LOCKDEP_CLASSES)
			panic("lockdep: more than %d lock classes", LOCKDEP_CLASSES - 1);
		lockdep.class_name[++lockdep.class_count] = lock->name;
		id = (unsigned short)lockdep.class_count;
	}
	atomic_store_relaxed(&lock->class_id, id);
	return id;
}

/* True when the graph has a path from class a to class b (breadth first). */
static bool lockdep_path(unsigned a, unsigned b)
{
	uint64_t seen[LOCKDEP_WORDS] = {0};
	unsigned short queue[LOCKDEP_CLASSES];
	unsigned head = 0, tail = 0;

	queue[tail++] = (unsigned short)a;
	seen[a / 64] |= 1ULL << (a % 64);
	while (head < tail) {
		unsigned c = queue[head++];
		if (c == b)
			return true;
		for (unsigned n = 1; n <= lockdep.class_count; n++) {
			bool dep = lockdep.deps[c][n / 64] & (1ULL << (n % 64));
			bool new = !(seen[n / 64] & (1ULL << (n % 64)));
			if (dep && new) {
				seen[n / 64] |= 1ULL << (n % 64);
				queue[tail++] = (unsigned short)n;
			}
		}
	}
	return false;
}

/* The first recorded edge out of class from that starts a path to class to. */
static const struct lockdep_edge *lockdep_edge_towards(unsigned from, unsigned to)
{
	for (unsigned i = 0; i < lockdep.edge_count; i++) {
		const struct lockdep_edge *e = &lockdep.edges[i];
		if (e->from == from && (e->to == to || lockdep_path(e->to, to)))
			return e;
	}
	return NULL;
}

/* Panics for taking lock at where while holding h, the reverse of a recorded order. */
static NORETURN void lockdep_report_inversion(const struct held_lock *h,
					      const struct lock_debug *lock, uintptr_t where)
{
	const struct lockdep_edge *e = lockdep_edge_towards(lock->class_id, h->lock->class_id);

	kprintf("lockdep: lock order inversion on CPU %u\n", plat_cpu_id());
	lockdep_print_site("taking", lock->name, where);
	lockdep_print_site("while holding", h->lock->name, h->taken_at);
	if (e) {
		kprintf("lockdep:   but earlier the reverse order was seen:\n");
		lockdep_print_site("held", lockdep.class_name[e->from], e->from_site);
		lockdep_print_site("then took", lockdep.class_name[e->to], e->to_site);
	}
	panic("lock order inversion: \"%s\" taken while holding \"%s\"", lock->name, h->lock->name);
}

/* Records the dependency held -> lock, panicking when it closes a cycle. */
static void lockdep_add_dep(const struct held_lock *h, struct lock_debug *lock, uintptr_t where)
{
	unsigned from = lockdep_class_locked(h->lock), to = lockdep_class_locked(lock);

	if (lockdep.deps[from][to / 64] & (1ULL << (to % 64)))
		return;
	if (from == to || lockdep_path(to, from)) {
		raw_spin_unlock(&lockdep.lock);
		lockdep_report_inversion(h, lock, where);
	}
	atomic_fetch_or(&lockdep.deps[from][to / 64], 1ULL << (to % 64));
	if (lockdep.edge_count < LOCKDEP_EDGES)
		lockdep.edges[lockdep.edge_count++] = (struct lockdep_edge){
		    (unsigned short)from, (unsigned short)to, h->taken_at, where};
}

/* Panics for taking lock again while this CPU or thread holds it. */
static NORETURN void lockdep_report_recursion(const struct lock_debug *lock, uintptr_t where)
{
	kprintf("lockdep: recursive locking on CPU %u\n", plat_cpu_id());
	lockdep_print_site("taking", lock->name, where);
	lockdep_print_site("already held, taken", lock->name, lock->taken_at);
	panic("recursive locking: \"%s\" taken again by its holder", lock->name);
}

/* True when the caller (this thread, or for spinlocks this CPU) holds lock. */
static bool lockdep_holder_is_me(const struct lock_debug *lock)
{
	struct thread *me = thread_current();

	if (lock->sleeps)
		return me && atomic_load(&lock->owner) == me;
	return atomic_load(&lock->owner_cpu) == (int)plat_cpu_id();
}

/* True when every dependency from me's held locks to lock is recorded already, the common
 * case: read without lockdep.lock, as class ids and dependency bits are only ever set, and
 * a zero read too early just sends the caller the locked way. */
static bool lockdep_deps_known(const struct thread *me, const struct lock_debug *lock)
{
	unsigned to = atomic_load_relaxed(&lock->class_id);

	if (!to)
		return false;
	for (unsigned i = 0; i < me->held_count; i++) {
		unsigned from = atomic_load_relaxed(&me->held[i].lock->class_id);
		uint64_t word = from ? atomic_load_relaxed(&lockdep.deps[from][to / 64]) : 0;
		if (!(word & (1ULL << (to % 64))))
			return false;
	}
	return true;
}

void lockdep_acquire(struct lock_debug *lock, uintptr_t where)
{
	struct thread *me = thread_current();

	if (!lockdep.enabled)
		return;
	if (lockdep_holder_is_me(lock))
		lockdep_report_recursion(lock, where);
	if (!me || !me->held_count || lockdep_deps_known(me, lock))
		return;
	irqflags_t flags = plat_irq_save();
	raw_spin_lock(&lockdep.lock);
	for (unsigned i = 0; i < me->held_count; i++)
		lockdep_add_dep(&me->held[i], lock, where);
	raw_spin_unlock(&lockdep.lock);
	plat_irq_restore(flags);
}

void lockdep_acquired(struct lock_debug *lock, uintptr_t where)
{
	struct thread *me = thread_current();

	atomic_store(&lock->owner, me);
	atomic_store(&lock->owner_cpu, (int)plat_cpu_id());
	lock->taken_at = where;
	if (!lockdep.enabled || !me)
		return;
	if (me->held_count == LOCKDEP_HELD_MAX)
		panic("lockdep: thread \"%s\" holds more than %d locks", me->name,
		      LOCKDEP_HELD_MAX);
	me->held[me->held_count++] = (struct held_lock){lock, where};
}

/* Removes lock from t's held locks; false when it is not there. */
static bool lockdep_pop(struct thread *t, const struct lock_debug *lock)
{
	for (unsigned i = t->held_count; i-- > 0;) {
		if (t->held[i].lock != lock)
			continue;
		for (unsigned j = i + 1; j < t->held_count; j++)
			t->held[j - 1] = t->held[j];
		t->held_count--;
		return true;
	}
	return false;
}

void lockdep_release(struct lock_debug *lock, uintptr_t where)
{
	struct thread *me = thread_current();

	if (lockdep.enabled && !lockdep_holder_is_me(lock)) {
		kprintf("lockdep: releasing a lock this %s does not hold\n",
			lock->sleeps ? "thread" : "CPU");
		lockdep_print_site("releasing", lock->name, where);
		if (lock->owner_cpu >= 0)
			lockdep_print_site("held by CPU, taken", lock->name, lock->taken_at);
		panic("lock \"%s\" released by a non-owner", lock->name);
	}
	if (lockdep.enabled && me)
		lockdep_pop(me, lock);
	atomic_store(&lock->owner, NULL);
	atomic_store(&lock->owner_cpu, -1);
}

void lockdep_assert_may_sleep(uintptr_t where)
{
	struct thread *me = thread_current();

	if (!lockdep.enabled || !me)
		return;
	for (unsigned i = 0; i < me->held_count; i++) {
		if (me->held[i].lock->sleeps)
			continue;
		kprintf("lockdep: sleeping while holding a spinlock, on CPU %u\n", plat_cpu_id());
		lockdep_print_site("a call that may sleep, while holding", me->held[i].lock->name,
				   where);
		lockdep_print_site("which was taken", me->held[i].lock->name, me->held[i].taken_at);
		panic("sleeping while holding spinlock \"%s\"", me->held[i].lock->name);
	}
	if (me->preempt_count > 0 || irq_in_handler())
		panic("sleeping in atomic context (preempt count %d%s)", me->preempt_count,
		      irq_in_handler() ? ", in an interrupt handler" : "");
}
