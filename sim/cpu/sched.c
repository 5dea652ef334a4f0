/*
 * The schedule of the simulated CPUs.
 *
 * Deterministic mode: one CPU runs at a time, the one holding the baton. At every
 * scheduling point (plat_sched_point, interrupts unmasked, idle, park, CPU start) a
 * seeded PRNG (splitmix64) decides which runnable CPU holds it next; a CPU spinning for
 * another always hands it over when another can run. Virtual time advances a quantum per
 * point, and jumps to the earliest timer when every CPU is idle. Every decision and event
 * is folded into a running 64-bit hash (a multiply-xor mix per event), printed at power
 * off: the same seed gives the same hash.
 *
 * Only the baton holder changes the schedule's state (the PRNG, the hash, which CPUs are
 * runnable; the real-time timer thread aside, which only wakes idle CPUs), and the baton
 * passes under the machine lock. So a point that keeps the baton, the common case, takes no
 * lock: it draws from the PRNG, folds its event and returns; the lock is taken only to hand
 * the baton over or to fire a timer that came due.
 *
 * Parallel mode: every CPU thread runs freely; points only advance virtual time and take
 * pending interrupts, and an idle CPU sleeps on its condition variable.
 */
#include <sched.h>

#include <amphi/plat.h>

#include "sim.h"

#define SCHED_QUANTUM_NS 1000 /* virtual time per scheduling point */
#define SCHED_SWITCH_ODDS 4   /* a point hands the baton over about once in this many */
#define TRACE_HASH_START 0xcbf29ce484222325ULL

static struct {
	uint64_t prng;	   /* splitmix64 state */
	uint64_t hash;	   /* the trace hash */
	unsigned holder;   /* deterministic: the CPU that may run */
	uint64_t progress; /* atomic: progress notes of threads that are no CPU */
} sched = {.hash = TRACE_HASH_START};

void sim_sched_init(uint64_t seed)
{
	sched.prng = seed;
}

/* The next number of the schedule's PRNG (splitmix64). */
static uint64_t sched_random(void)
{
	uint64_t z = (sched.prng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_trace_event(uint64_t kind, uint64_t a, uint64_t b)
{
	if (!sim_deterministic())
		return;
	/* the three words, each spread by its own odd multiplier, then one multiply-xor step
	 * of the running hash */
	uint64_t event =
	    kind * 0x9e3779b97f4a7c15ULL ^ a * 0xc2b2ae3d27d4eb4fULL ^ b * 0x165667b19e3779f9ULL;
	uint64_t h = (sched.hash ^ event) * 0xff51afd7ed558ccdULL;

	sched.hash = h ^ (h >> 32);
}

uint64_t sim_trace_hash(void)
{
	return sched.hash;
}

void sim_progress_note(void)
{
	struct sim_cpu *self = sim_cpu_self();

	if (self)
		sim_progress_note_cpu(self);
	else
		__atomic_fetch_add(&sched.progress, 1, __ATOMIC_RELAXED);
}

uint64_t sim_progress_count(void)
{
	uint64_t sum = __atomic_load_n(&sched.progress, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		sum += __atomic_load_n(&sim_machine.cpu[i].progress, __ATOMIC_RELAXED);
	return sum;
}

/* Lock held: the runnable CPUs other than skip, in id order, into ids; returns how many. */
static unsigned sched_runnable(unsigned *ids, const struct sim_cpu *skip)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		const struct sim_cpu *cpu = &sim_machine.cpu[i];
		if (cpu != skip && cpu->state == SIM_CPU_RUNNABLE)
			ids[n++] = i;
	}
	return n;
}

/* Deterministic, self holds the baton (no lock needed): true when self runs on after
 * point why: it is runnable, and no other CPU is or the PRNG keeps self (never at a
 * spin). Draws from the PRNG only when the baton could pass. */
static bool sched_keeps(const struct sim_cpu *self, int why)
{
	unsigned runnable = __atomic_load_n(&sim_machine.runnable, __ATOMIC_RELAXED);

	if (self->state != SIM_CPU_RUNNABLE)
		return false;
	if (runnable <= 1)
		return true;
	return why != PLAT_POINT_SPIN && sched_random() % SCHED_SWITCH_ODDS != 0;
}

/* Lock held, deterministic, self holds the baton and the PRNG passed it on (or self
 * cannot run): the runnable CPU the PRNG picks among the others; self or NULL when there
 * is none. */
static struct sim_cpu *sched_pick_other(struct sim_cpu *self)
{
	unsigned ids[SIM_MAX_CPUS];
	unsigned n = sched_runnable(ids, self);

	if (n == 0)
		return self->state == SIM_CPU_RUNNABLE ? self : NULL;
	return &sim_machine.cpu[ids[sched_random() % n]];
}

/* Lock held, deterministic, self holds the baton: the CPU that runs after point why, or
 * NULL when none can. */
static struct sim_cpu *sched_pick(struct sim_cpu *self, int why)
{
	return sched_keeps(self, why) ? self : sched_pick_other(self);
}

/* Lock held: gives the baton to cpu. */
static void sched_give(struct sim_cpu *cpu, int why)
{
	sim_trace_event(SIM_TRACE_RUN, cpu->id, (uint64_t)why);
	if (sched.holder == cpu->id)
		return;
	sched.holder = cpu->id;
	pthread_cond_signal(&cpu->wake);
}

void sim_sched_hand_to(struct sim_cpu *self, struct sim_cpu *to)
{
	sched_give(to, PLAT_POINT_YIELD);
	sim_sched_wait_turn(self);
}

/* Lock held: self runs again after a kick; the clock may move on. */
static void sched_woken(struct sim_cpu *self)
{
	if (!self->waking)
		return;
	self->waking = false;
	__atomic_sub_fetch(&sim_machine.waking, 1, __ATOMIC_RELEASE);
}

/* Lock held: true when every started CPU is idle or parked. */
static bool sched_all_stopped(void)
{
	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		if (sim_machine.cpu[i].state == SIM_CPU_RUNNABLE)
			return false;
	}
	return true;
}

/* Lock held, deterministic, self holds the baton but cannot run: passes it to a runnable
 * CPU, or makes time pass until one is. Returns false when self must wait (until
 * *until on the host clock, UINT64_MAX: for good). */
static bool sched_pass_baton(struct sim_cpu *self, uint64_t *until)
{
	sim_time_fire_due();
	struct sim_cpu *next = sched_pick(self, PLAT_POINT_YIELD);
	if (next) {
		sched_give(next, PLAT_POINT_YIELD);
		return true;
	}
	if (sim_machine.time == SIM_TIME_VIRTUAL)
		return sim_time_jump(); /* false: no timer armed, nothing will ever happen */
	*until = sim_time_next_host_deadline();
	return false;
}

void sim_sched_wait_turn(struct sim_cpu *self)
{
	for (;;) {
		uint64_t until = UINT64_MAX;
		bool holder = sched.holder == self->id;
		if (self->state == SIM_CPU_RUNNABLE && (holder || !sim_deterministic())) {
			sched_woken(self);
			return;
		}
		if (sim_deterministic() && holder) {
			if (sched_pass_baton(self, &until))
				continue;
		} else if (!sim_deterministic() && sim_machine.time == SIM_TIME_VIRTUAL &&
			   sched_all_stopped() && sim_time_jump()) {
			continue;
		}
		sim_cpu_wait(self, until);
	}
}

void sim_sched_kick(struct sim_cpu *cpu)
{
	if (cpu->state != SIM_CPU_IDLE)
		return;
	sim_cpu_set_state(cpu, SIM_CPU_RUNNABLE);
	if (!sim_deterministic() && !cpu->waking) { /* the clock waits for it: sim_time_tick */
		cpu->waking = true;
		__atomic_add_fetch(&sim_machine.waking, 1, __ATOMIC_RELEASE);
	}
	pthread_cond_signal(&cpu->wake);
}

/* Virtual time a point of kind why stands for: a quantum of work, except for unmasking
 * interrupts, which is no work (an interrupt pending at an idle CPU's deadline is taken
 * with the clock still at the deadline). In parallel mode every running CPU moves the one
 * clock, so each moves it by its share: time passes at the pace of one CPU's points, not
 * faster for every CPU that wakes up. */
static uint64_t sched_point_ns(int why)
{
	unsigned running = __atomic_load_n(&sim_machine.runnable, __ATOMIC_RELAXED);

	if (why == PLAT_POINT_IRQ_ON)
		return 0;
	return sim_deterministic() || running <= 1 ? SCHED_QUANTUM_NS : SCHED_QUANTUM_NS / running;
}

/* Moves virtual time on for a point of kind why; true when a timer came due. Real time
 * needs nothing here (the timer thread fires its deadlines), not even a call. */
static bool sched_tick(int why)
{
	return sim_machine.time == SIM_TIME_VIRTUAL && sim_time_tick(sched_point_ns(why));
}

/* Deterministic mode: moves time on, then lets the PRNG pick who runs next. Lock-free
 * while no timer came due and self keeps the baton. */
static void sched_point_deterministic(struct sim_cpu *self, int why)
{
	bool due = sched_tick(why);

	if (!due && sched_keeps(self, why)) {
		sim_trace_event(SIM_TRACE_RUN, self->id, (uint64_t)why);
		return;
	}
	sim_lock();
	struct sim_cpu *next = self;
	if (due) { /* what fired may change who can run: decide afresh */
		sim_time_fire_due();
		next = sched_pick(self, why);
	} else {
		next = sched_pick_other(self);
	}
	if (next != self) {
		sched_give(next, why);
		sim_sched_wait_turn(self);
	} else {
		sim_trace_event(SIM_TRACE_RUN, self->id, (uint64_t)why);
	}
	sim_unlock();
}

/* Parallel mode: moves virtual time on, fires what came due; a spin lets the host run the
 * CPU being waited for. */
static void sched_point_parallel(int why)
{
	if (sched_tick(why)) {
		sim_lock();
		sim_time_fire_due();
		sim_unlock();
	}
	if (why == PLAT_POINT_SPIN)
		sched_yield();
}

void sim_sched_point(int why)
{
	struct sim_cpu *self = sim_cpu_self();

	if (self)
		sim_sched_point_cpu(self, why);
}

void sim_sched_point_cpu(struct sim_cpu *self, int why)
{
	if (why != PLAT_POINT_SPIN) /* spinning for another CPU is no progress */
		sim_progress_note_cpu(self);
	/* what was pending before the point, as the hardware would; taking it may switch
	 * threads and move this context to another CPU */
	self = sim_irq_poll(self);
	if (sim_deterministic())
		sched_point_deterministic(self, why);
	else
		sched_point_parallel(why);
	sim_irq_poll(self); /* and what the point itself made pending */
}

void plat_sched_point(enum plat_point why)
{
	sim_sched_point((int)why);
}
