/*
 * Time. plat_time_ns is either a virtual clock (the default), which advances only with
 * simulated events (a quantum per scheduling point, and a jump to the earliest timer when
 * every CPU is idle, so an idle CPU's timer fires exactly at its deadline), so runs do
 * not depend on host load; or real time (--time real): the host's cycle counter scaled to
 * nanoseconds by a rate measured against CLOCK_MONOTONIC over the first 2 ms (read
 * meanwhile), when the counter has a constant rate (a read then costs a fraction of a clock_gettime, and the scheduler reads
 * the clock at every switch), else CLOCK_MONOTONIC itself. Each CPU has a one-shot timer
 * whose line, the private interrupt SIM_TIMER_INTID of the GIC model, goes high when its
 * deadline passes and stays high until the next plat_timer_set. With real time a host thread sleeps until the
 * earliest deadline and fires it, so scheduling points read no clock; it is woken only
 * when a deadline earlier than the one it sleeps for is armed (a later one just costs it
 * a wake-up with nothing due). With virtual time the CPUs themselves check at their
 * scheduling points, a compare against the earliest deadline, and when idle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#include <amphi/plat.h>

#include "host_cycles.h"
#include "sim.h"

/* Real time on the cycle counter: its rate is measured over the first this long of the
 * run, on CLOCK_MONOTONIC meanwhile. */
#define CLOCK_CALIBRATE_NS 2000000ULL
/* The counter-based clock starts this far ahead of CLOCK_MONOTONIC's reading, more than
 * a sample's pairing error, so the switch never moves the clock back. */
#define CLOCK_SWITCH_AHEAD_NS 1000ULL
/* ... from the samples of each end whose counter reads lie closest together of this many */
#define CLOCK_CALIBRATE_TRIES 8
#define SIM_VIRTUAL_EPOCH_NS (1767225600ULL * 1000000000ULL) /* 2026-01-01 00:00 UTC */

static struct {
	enum sim_time_mode mode;
	uint64_t virtual_ns; /* atomic: the virtual clock */
	uint64_t host_boot;  /* CLOCK_MONOTONIC at boot (real mode) */
	uint64_t epoch;	     /* CLOCK_REALTIME at boot (real mode) */
	/* real mode on the cycle counter (cycle_mult != 0, atomic, set once by the timer
	 * thread when calibrate_at has passed): now = ((counter - cycles_boot) * cycle_mult
	 * >> 32) + CLOCK_SWITCH_AHEAD_NS, cycles_boot being the counter at host_boot */
	uint64_t cycles_boot;
	uint64_t cycle_mult;
	uint64_t calibrate_at; /* host time to measure the counter's rate; 0: never */
	/* atomic: the earliest deadline not yet fired (UINT64_MAX for none), or an earlier
	 * time: a CPU moving its own deadline later leaves it be (plat_timer_set) */
	uint64_t next_due;
	pthread_cond_t timer_wake; /* the timer thread's (real time) */
	bool timer_thread;
	uint64_t timer_thread_until; /* under the lock: the deadline it sleeps for */
} sim_clock = {.next_due = UINT64_MAX};

uint64_t sim_host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Real mode: nanoseconds since boot. */
static uint64_t clock_real_now(void)
{
	uint64_t mult = __atomic_load_n(&sim_clock.cycle_mult, __ATOMIC_ACQUIRE);

	if (!mult)
		return sim_host_now() - sim_clock.host_boot;
	uint64_t cycles = sim_host_cycles() - sim_clock.cycles_boot;

	return (uint64_t)(((unsigned __int128)cycles * mult) >> 32) + CLOCK_SWITCH_AHEAD_NS;
}

uint64_t sim_time_now(void)
{
	if (sim_clock.mode == SIM_TIME_REAL)
		return clock_real_now();
	return __atomic_load_n(&sim_clock.virtual_ns, __ATOMIC_ACQUIRE);
}

bool sim_time_tick(uint64_t ns)
{
	uint64_t now;

	if (sim_clock.mode == SIM_TIME_REAL)
		return false; /* the timer thread fires real-time deadlines */
	if (sim_deterministic()) {
		/* only the baton holder moves the clock: no locked instruction needed */
		now = __atomic_load_n(&sim_clock.virtual_ns, __ATOMIC_RELAXED) + ns;
		__atomic_store_n(&sim_clock.virtual_ns, now, __ATOMIC_RELEASE);
	} else {
		/* Parallel CPUs: while one is being woken, the host's wake-up latency (tens of
		 * us) must not become simulated time that the CPUs still running would race
		 * through. */
		if (__atomic_load_n(&sim_machine.waking, __ATOMIC_ACQUIRE))
			ns = 0;
		now = __atomic_add_fetch(&sim_clock.virtual_ns, ns, __ATOMIC_ACQ_REL);
	}
	return now >= __atomic_load_n(&sim_clock.next_due, __ATOMIC_ACQUIRE);
}

/* Lock held: recomputes the earliest deadline not yet fired. */
static void clock_update_next_due(void)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		uint64_t timer = __atomic_load_n(&sim_machine.cpu[i].timer, __ATOMIC_RELAXED);
		if (!(timer & SIM_TIMER_FIRED) && timer != SIM_TIMER_OFF && timer < next)
			next = timer;
	}
	__atomic_store_n(&sim_clock.next_due, next, __ATOMIC_RELEASE);
}

/* Lock held: wakes the timer thread when the earliest deadline is before the one it sleeps
 * for (a later one it finds when it wakes). */
static void clock_wake_timer_thread(void)
{
	if (sim_clock.timer_thread &&
	    __atomic_load_n(&sim_clock.next_due, __ATOMIC_RELAXED) < sim_clock.timer_thread_until)
		pthread_cond_signal(&sim_clock.timer_wake);
}

void sim_time_fire_due(void)
{
	uint64_t now = sim_time_now();

	if (now < __atomic_load_n(&sim_clock.next_due, __ATOMIC_ACQUIRE))
		return;
	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		struct sim_cpu *cpu = &sim_machine.cpu[i];
		uint64_t timer = __atomic_load_n(&cpu->timer, __ATOMIC_RELAXED);
		/* its CPU may move the deadline later meanwhile: fire what the swap confirms */
		while (!(timer & SIM_TIMER_FIRED) && timer != SIM_TIMER_OFF && timer <= now) {
			if (__atomic_compare_exchange_n(&cpu->timer, &timer,
							timer | SIM_TIMER_FIRED, false,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				sim_gic_set_level(cpu->id, SIM_TIMER_INTID, true);
				break;
			}
		}
	}
	clock_update_next_due();
	clock_wake_timer_thread();
}

bool sim_time_jump(void)
{
	clock_update_next_due(); /* exact: a deadline moved later leaves it early */
	uint64_t due = __atomic_load_n(&sim_clock.next_due, __ATOMIC_ACQUIRE);

	if (due == UINT64_MAX)
		return false;
	if (due > sim_clock.virtual_ns) {
		__atomic_store_n(&sim_clock.virtual_ns, due, __ATOMIC_RELEASE);
		sim_trace_event(SIM_TRACE_TIME, due, 0);
		sim_progress_note();
	}
	sim_time_fire_due();
	return true;
}

bool sim_time_armed(void)
{
	clock_update_next_due();
	return __atomic_load_n(&sim_clock.next_due, __ATOMIC_ACQUIRE) != UINT64_MAX;
}

uint64_t sim_time_next_host_deadline(void)
{
	uint64_t due = __atomic_load_n(&sim_clock.next_due, __ATOMIC_ACQUIRE);

	if (due == UINT64_MAX)
		return UINT64_MAX;
	/* what is left of it on the machine's clock, which need not keep the host's pace
	 * exactly: a wait that ends early finds nothing due and waits for the rest */
	uint64_t now = sim_time_now();
	return sim_host_now() + (due > now ? due - now : 0);
}

/* A CLOCK_MONOTONIC reading into *host and the cycle counter at that moment into *cycles:
 * the middle of the two counter reads around it, from the try where they lie closest
 * (their distance, in counts, into *spread when not NULL). */
static void clock_sample(uint64_t *host, uint64_t *cycles, uint64_t *spread)
{
	uint64_t best = UINT64_MAX;

	*host = *cycles = 0;
	for (int i = 0; i < CLOCK_CALIBRATE_TRIES; i++) {
		uint64_t before = sim_host_cycles();
		uint64_t now = sim_host_now();
		uint64_t after = sim_host_cycles();
		if (after - before < best) {
			best = after - before;
			*host = now;
			*cycles = before + (after - before) / 2;
		}
	}
	if (spread)
		*spread = best;
}

/* The timer thread, once calibrate_at has passed: measures the cycle counter's rate since
 * boot and moves the clock onto it, unless the samples lie too loose for the switch to
 * stay ahead of CLOCK_MONOTONIC's readings (then CLOCK_MONOTONIC stays). */
static void clock_calibrate(void)
{
	uint64_t host_end, cycles_end, spread;

	sim_clock.calibrate_at = 0;
	clock_sample(&host_end, &cycles_end, &spread);
	if (cycles_end <= sim_clock.cycles_boot || host_end <= sim_clock.host_boot)
		return;
	uint64_t mult = (uint64_t)(((unsigned __int128)(host_end - sim_clock.host_boot) << 32) /
				   (cycles_end - sim_clock.cycles_boot));
	if ((((unsigned __int128)spread * mult) >> 32) > CLOCK_SWITCH_AHEAD_NS / 4)
		return;
	__atomic_store_n(&sim_clock.cycle_mult, mult, __ATOMIC_RELEASE);
}

/* The timer thread (real time): sleeps until the earliest deadline, fires. */
static void *clock_timer_thread(void *unused)
{
	(void)unused;
	prctl(PR_SET_TIMERSLACK, 1UL); /* wake at the deadline, not up to 50 us after it */
	sim_lock();
	for (;;) {
		if (sim_clock.calibrate_at && sim_host_now() >= sim_clock.calibrate_at)
			clock_calibrate();
		sim_time_fire_due();
		sim_clock.timer_thread_until =
		    __atomic_load_n(&sim_clock.next_due, __ATOMIC_RELAXED);
		uint64_t until = sim_time_next_host_deadline();
		if (sim_clock.calibrate_at && sim_clock.calibrate_at < until)
			until = sim_clock.calibrate_at;
		struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u),
				      .tv_nsec = (long)(until % 1000000000u)};
		if (until == UINT64_MAX)
			pthread_cond_wait(&sim_clock.timer_wake, &sim_machine.lock);
		else
			pthread_cond_timedwait(&sim_clock.timer_wake, &sim_machine.lock, &ts);
	}
	return NULL;
}

/* Starts the timer thread; exits when the host refuses. */
static void clock_start_timer_thread(void)
{
	pthread_condattr_t attr;
	pthread_t thread;

	if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&sim_clock.timer_wake, &attr) ||
	    pthread_create(&thread, NULL, clock_timer_thread, NULL)) {
		fputs("amphi: cannot start the timer thread\n", stderr);
		exit(SIM_EXIT_HOST);
	}
	pthread_condattr_destroy(&attr);
	pthread_setname_np(thread, "timer");
	sim_clock.timer_thread = true;
}

/* Real mode: starts the clock at host_boot on CLOCK_MONOTONIC; when the cycle counter's
 * rate is constant, the timer thread measures it CLOCK_CALIBRATE_NS later and moves the
 * clock onto it (clock_calibrate), so boot does not wait for the measurement. */
static void clock_start_real(void)
{
	clock_sample(&sim_clock.host_boot, &sim_clock.cycles_boot, NULL);
	if (sim_host_cycles_invariant())
		sim_clock.calibrate_at = sim_clock.host_boot + CLOCK_CALIBRATE_NS;
}

void sim_time_init(enum sim_time_mode mode)
{
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	sim_clock.mode = mode;
	sim_clock.host_boot = sim_host_now();
	sim_clock.epoch = (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec;
	if (mode == SIM_TIME_REAL) {
		clock_start_real();
		clock_start_timer_thread();
	}
}

uint64_t plat_time_ns(void)
{
	return sim_time_now();
}

void plat_timer_set(uint64_t deadline_ns)
{
	struct sim_cpu *self = sim_cpu_self();
	uint64_t want = deadline_ns < SIM_TIMER_OFF ? deadline_ns : SIM_TIMER_OFF;
	uint64_t timer = __atomic_load_n(&self->timer, __ATOMIC_RELAXED);

	/* The common re-arm, the next slice end, moves an unfired deadline later: no lock.
	 * The line stays low; the earliest deadline on record (next_due) stays at or before
	 * every deadline, so whoever acts on it at worst finds nothing due and recomputes it;
	 * and the swap fails if the old deadline fires meanwhile. */
	if (!(timer & SIM_TIMER_FIRED) && want >= timer &&
	    __atomic_compare_exchange_n(&self->timer, &timer, want, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		return;
	sim_lock();
	__atomic_store_n(&self->timer, want, __ATOMIC_RELAXED);
	sim_gic_set_level(self->id, SIM_TIMER_INTID, false);
	clock_update_next_due();
	/* A deadline already past fires at once. With real time that needs a clock read, done
	 * only when the timer thread sleeps past the deadline: otherwise it wakes by then
	 * anyway, so a past deadline means it is due to run now and fires this one too. */
	if (sim_clock.mode == SIM_TIME_VIRTUAL || deadline_ns < sim_clock.timer_thread_until)
		sim_time_fire_due();
	clock_wake_timer_thread();
	sim_unlock();
}

uint64_t plat_time_epoch_ns(void)
{
	return sim_clock.mode == SIM_TIME_REAL ? sim_clock.epoch : SIM_VIRTUAL_EPOCH_NS;
}

bool plat_time_is_virtual(void)
{
	return sim_clock.mode == SIM_TIME_VIRTUAL;
}

unsigned plat_timer_irq(void)
{
	return SIM_TIMER_INTID;
}
