/* plat/time.h: the monotonic clock and each CPU's one-shot timer. */
#pragma once

#include <amphi/types.h>

/* Nanoseconds since boot on a clock shared by every CPU; never goes backwards. In the
 * hosted machine's virtual-time mode it advances only with simulated events. */
uint64_t plat_time_ns(void);

/* The wall-clock time, in nanoseconds since 1970-01-01 UTC, at which plat_time_ns() was 0,
 * or 0 when the platform has no clock to tell. The hosted machine gives the host's time in
 * real-time mode and a fixed date in virtual-time mode, so runs stay reproducible. */
uint64_t plat_time_epoch_ns(void);

/* Arms the executing CPU's one-shot timer for the monotonic time deadline_ns, replacing any
 * earlier deadline; a deadline already past fires at once; UINT64_MAX disarms. The timer's
 * interrupt (plat_timer_irq) stays asserted until the next plat_timer_set call. */
void plat_timer_set(uint64_t deadline_ns);

/* The per-CPU interrupt number the one-shot timer raises. */
unsigned plat_timer_irq(void);

/* True when the clock is virtual (the hosted machine's default): time advances only with
 * simulated events, and a timer fires exactly at its deadline when the CPU is idle. */
bool plat_time_is_virtual(void);
