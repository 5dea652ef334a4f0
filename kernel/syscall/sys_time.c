/* Time and randomness: clock_gettime and getrandom (from random.h). */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/random.h>
#include <amphi/vm.h>

#include "syscalls.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

/* clock_gettime: every clock reads the platform's monotonic time since boot (the hosted
 * machine's virtual time by default); a wall clock arrives with an RTC. */
long sys_clock_gettime(struct process *p, const unsigned long *a)
{
	if (a[0] > CLOCK_BOOTTIME)
		return -EINVAL;
	uint64_t now = plat_time_ns();
	int64_t ts[2] = {(int64_t)(now / 1000000000ULL), (int64_t)(now % 1000000000ULL)};
	return vm_copy_to_user(p->vm, a[1], ts, sizeof(ts));
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4
#define GETRANDOM_MAX (32 << 20)

long sys_getrandom(struct process *p, const unsigned long *a)
{
	size_t len = MIN(a[1], (size_t)GETRANDOM_MAX);

	if (a[2] & ~(unsigned long)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	uint8_t chunk[256];

	for (size_t done = 0; done < len; done += sizeof(chunk)) {
		size_t n = MIN(sizeof(chunk), len - done);
		random_bytes(chunk, n);
		if (vm_copy_to_user(p->vm, a[0] + done, chunk, n) < 0)
			return done ? (long)done : -EFAULT;
	}
	return (long)len;
}
