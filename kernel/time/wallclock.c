/* The wall clock: the platform's boot date (its RTC, read once) plus the monotonic clock,
 * and what clock_settime and settimeofday moved it by since. Readers take no lock: the
 * shift is one atomic word, so a reader sees the clock before or after a set, never
 * between. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/timer.h>

static int64_t wall_clock_shift; /* set time minus the platform's date, in nanoseconds */

uint64_t wall_clock_offset_ns(void)
{
	return plat_time_epoch_ns() + (uint64_t)atomic_load_relaxed(&wall_clock_shift);
}

uint64_t wall_clock_ns(void)
{
	return wall_clock_offset_ns() + plat_time_ns();
}

int wall_clock_set(uint64_t ns)
{
	uint64_t now = plat_time_ns();

	if (ns < now)
		return -EINVAL;
	atomic_store_relaxed(&wall_clock_shift, (int64_t)(ns - now - plat_time_epoch_ns()));
	return 0;
}
