/* Time and randomness: clock_gettime and getrandom (from random.h). */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
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

#define NSEC_PER_SEC 1000000000ULL
#define TIMER_ABSTIME 1

int time_read_timespec(struct process *p, uintptr_t uaddr, uint64_t *ns)
{
	int64_t ts[2];

	if (vm_copy_from_user(p->vm, ts, uaddr, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || (uint64_t)ts[1] >= NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts[0] > (UINT64_MAX - (uint64_t)ts[1]) / NSEC_PER_SEC
		  ? UINT64_MAX
		  : (uint64_t)ts[0] * NSEC_PER_SEC + (uint64_t)ts[1];
	return 0;
}

uint64_t time_deadline(uint64_t ns)
{
	uint64_t now = plat_time_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

/* A condition that never holds: the sleep ends with the deadline or a signal. */
static bool time_never(void *ctx)
{
	(void)ctx;
	return false;
}

/* Sleeps until the deadline; on a signal, -EINTR with the time left at urem (relative
 * sleeps). */
static long time_sleep_until(struct process *p, uint64_t deadline, uintptr_t urem)
{
	if (task_wait_event(time_never, NULL, deadline) != -EINTR)
		return 0;
	uint64_t now = plat_time_ns(), left = deadline > now ? deadline - now : 0;
	int64_t rem[2] = {(int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC)};
	if (urem && vm_copy_to_user(p->vm, urem, rem, sizeof(rem)) < 0)
		return -EFAULT;
	return -EINTR;
}

long sys_nanosleep(struct process *p, const unsigned long *a)
{
	uint64_t ns;
	int err = time_read_timespec(p, a[0], &ns);

	return err ? err : time_sleep_until(p, time_deadline(ns), a[1]);
}

/* clock_nanosleep: every clock is the monotonic one (see clock_gettime). */
long sys_clock_nanosleep(struct process *p, const unsigned long *a)
{
	uint64_t ns;

	if (a[0] != CLOCK_REALTIME && a[0] != CLOCK_MONOTONIC && a[0] != CLOCK_BOOTTIME)
		return a[0] <= CLOCK_BOOTTIME ? -ENOTSUP : -EINVAL;
	if (a[1] & ~(unsigned long)TIMER_ABSTIME)
		return -EINVAL;
	int err = time_read_timespec(p, a[2], &ns);
	if (err)
		return err;
	if (a[1] & TIMER_ABSTIME)
		return time_sleep_until(p, ns, 0);
	return time_sleep_until(p, time_deadline(ns), a[3]);
}

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY 0xffffffffu

/* The deadline of a futex wait: none (timeout 0), relative for FUTEX_WAIT, absolute for
 * FUTEX_WAIT_BITSET. Returns 0 or -EFAULT/-EINVAL. */
static int futex_deadline(struct process *p, int cmd, uintptr_t timeout, uint64_t *deadline)
{
	uint64_t ns;

	*deadline = UINT64_MAX;
	if (!timeout)
		return 0;
	int err = time_read_timespec(p, timeout, &ns);
	if (!err)
		*deadline = cmd == FUTEX_WAIT ? time_deadline(ns) : ns;
	return err;
}

long sys_futex(struct process *p, const unsigned long *a)
{
	int cmd = (int)(a[1] & ~(unsigned long)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));
	uint32_t bitset = (cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) ? (uint32_t)a[5]
										  : FUTEX_BITSET_ANY;
	uint64_t deadline;

	if ((a[1] & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	if (!bitset)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET: {
		int err = futex_deadline(p, cmd, a[3], &deadline);
		return err ? err : futex_wait(task_current(), a[0], (uint32_t)a[2], deadline, bitset);
	}
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return (a[0] & 3) ? -EINVAL : futex_wake(p->vm, a[0], (int)MIN(a[2], 0x7fffffffUL), bitset);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(p->vm, a[0], a[4], (int)MIN(a[2], 0x7fffffffUL),
				     (int)MIN(a[3], 0x7fffffffUL), cmd == FUTEX_CMP_REQUEUE,
				     (uint32_t)a[5]);
	default:
		return -ENOSYS;
	}
}
