/*
 * timer.h: one-shot kernel timers. Each CPU keeps its pending timers in a pairing heap
 * ordered by deadline (ties in the order they were started) and programs its one-shot
 * hardware timer for the earliest of them and the scheduler's slice deadline.
 * Callbacks run in interrupt context on the CPU that started the timer.
 */
#pragma once

#include <amphi/types.h>

struct ktimer {
	uint64_t deadline;
	uint64_t seq;
	uint64_t expired_at; /* the clock when its CPU's timer interrupt ran it */
	void (*fn)(struct ktimer *t);
	struct ktimer *child, *sibling, *prev; /* pairing heap links */
	int cpu;			       /* heap it is in, -1 when not pending */
};

/* Sets up this CPU's timer heap and, on the first call, the timer interrupt handler.
 * Called on every CPU. */
void time_cpu_init(void);

/* Prepares t to call fn when it expires. */
void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t));

/* Starts t on this CPU for the monotonic time deadline_ns (re-starting a pending t moves
 * it). Any context. */
void ktimer_start(struct ktimer *t, uint64_t deadline_ns);

/* Stops t if pending and waits for a running callback of t to finish; returns true when it
 * was pending. Must not be called from t's own callback. */
bool ktimer_cancel(struct ktimer *t);

/* Reprograms this CPU's hardware timer after the slice deadline changed. */
void time_reprogram(void);

/* time_reprogram after the scheduler armed the slice deadline of cpu, the executing CPU,
 * anew; cheap when the hardware already holds an earlier deadline. Interrupts masked. */
void time_slice_rearmed(unsigned cpu);

/* The wall clock in nanoseconds since 1970-01-01 UTC: the platform's boot date
 * (plat_time_epoch_ns) plus the time since boot, moved by wall_clock_set. Any context. */
uint64_t wall_clock_ns(void);

/* What the wall clock reads minus the monotonic clock (never negative). Any context. */
uint64_t wall_clock_offset_ns(void);

/* Sets the wall clock to ns since 1970: 0, or -EINVAL for a time before the machine
 * booted (the wall clock may not run behind the monotonic clock, as on Linux). */
int wall_clock_set(uint64_t ns);
