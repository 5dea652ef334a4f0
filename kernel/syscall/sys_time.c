/* Time and randomness: the clocks (clock_gettime/getres, gettimeofday, time), sleeping
 * (nanosleep, clock_nanosleep), sysinfo, and getrandom (from random.h). The monotonic clocks
 * read the platform's time since boot (the hosted machine's virtual time by default); the
 * real-time clocks add the wall clock's offset (wall_clock_offset_ns: the platform's boot
 * date, moved by clock_settime and settimeofday). */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/planted.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/random.h>
#include <amphi/timer.h>
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
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11

#define TIMER_ABSTIME 1
#define NSEC_PER_SEC 1000000000ULL

/* struct timespec and struct timeval: two 64-bit fields on both ISAs. */
struct user_timespec {
	int64_t sec, nsec;
};

/* What clock reads minus the monotonic clock (its epoch), or -EINVAL for a clock there is
 * none of. The CPU-time clocks read the monotonic clock: every process is charged its wall
 * time until the scheduler accounts CPU time per process. */
static int64_t clock_offset(unsigned long clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		return (int64_t)wall_clock_offset_ns();
	case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return 0;
	default:
		return -EINVAL;
	}
}

/* Nanoseconds on clock since its epoch, or -EINVAL for a clock there is none of. */
static int64_t clock_read(unsigned long clock)
{
	int64_t offset = clock_offset(clock);

	return offset < 0 ? offset : (int64_t)(plat_time_ns() + (uint64_t)offset);
}

/* Writes ns as a struct timespec (div: 1) or struct timeval (div: 1000) at uva. */
static int time_put(struct process *p, unsigned long uva, uint64_t ns, uint64_t div)
{
	struct user_timespec ts = {(int64_t)(ns / NSEC_PER_SEC),
				   (int64_t)(ns % NSEC_PER_SEC / div)};

	return vm_copy_to_user(p->vm, uva, &ts, sizeof(ts));
}

long sys_clock_gettime(struct process *p, const unsigned long *a)
{
	int64_t now = clock_read(a[0]);

	return now < 0 ? now : time_put(p, a[1], (uint64_t)now, 1);
}

long sys_clock_getres(struct process *p, const unsigned long *a)
{
	if (clock_read(a[0]) < 0)
		return -EINVAL;
	return a[1] ? time_put(p, a[1], 1, 1) : 0; /* the clocks count nanoseconds */
}

/* struct timezone as settimeofday last set it: minutes west of UTC, DST kind. Kept and
 * given back only, as Linux does; the clocks stay UTC. */
static int32_t time_zone[2];

long sys_gettimeofday(struct process *p, const unsigned long *a)
{
	int32_t zone[2] = {atomic_load_relaxed(&time_zone[0]), atomic_load_relaxed(&time_zone[1])};

	if (a[0] && time_put(p, a[0], (uint64_t)clock_read(CLOCK_REALTIME), 1000) < 0)
		return -EFAULT;
	return a[1] ? vm_copy_to_user(p->vm, a[1], zone, sizeof(zone)) : 0;
}

long sys_clock_settime(struct process *p, const unsigned long *a)
{
	uint64_t ns;

	if (a[0] != CLOCK_REALTIME) /* the only settable clock */
		return -EINVAL;
	int err = time_read_timespec(p, a[1], &ns);
	if (err)
		return err;
	if (!proc_privileged(p))
		return -EPERM;
	return wall_clock_set(ns);
}

#define TIME_ZONE_MINUTES_MAX (15 * 60)

long sys_settimeofday(struct process *p, const unsigned long *a)
{
	struct user_timespec tv; /* a struct timeval: seconds, microseconds */
	int32_t zone[2];

	if (a[0] && vm_copy_from_user(p->vm, &tv, a[0], sizeof(tv)) < 0)
		return -EFAULT;
	if (a[0] && (tv.sec < 0 || tv.nsec < 0 || tv.nsec >= 1000000))
		return -EINVAL;
	if (a[1] && vm_copy_from_user(p->vm, zone, a[1], sizeof(zone)) < 0)
		return -EFAULT;
	if (!proc_privileged(p))
		return -EPERM;
	if (a[1]) {
		if (zone[0] < -TIME_ZONE_MINUTES_MAX || zone[0] > TIME_ZONE_MINUTES_MAX)
			return -EINVAL;
		atomic_store_relaxed(&time_zone[0], zone[0]);
		atomic_store_relaxed(&time_zone[1], zone[1]);
	}
	return a[0] ? wall_clock_set((uint64_t)tv.sec * NSEC_PER_SEC + (uint64_t)tv.nsec * 1000)
		    : 0;
}

long sys_time(struct process *p, const unsigned long *a)
{
	int64_t sec = clock_read(CLOCK_REALTIME) / (int64_t)NSEC_PER_SEC;

	if (a[0] && vm_copy_to_user(p->vm, a[0], &sec, sizeof(sec)) < 0)
		return -EFAULT;
	return sec;
}

int time_read_timespec(struct process *p, uintptr_t uva, uint64_t *ns)
{
	struct user_timespec ts;

	if (vm_copy_from_user(p->vm, &ts, uva, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || (uint64_t)ts.nsec >= NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.sec >= UINT64_MAX / NSEC_PER_SEC
		  ? UINT64_MAX
		  : (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
	return 0;
}

uint64_t time_deadline(uint64_t ns)
{
	uint64_t now = plat_time_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

uint64_t time_monotonic_deadline(unsigned long clock, uint64_t deadline)
{
	/* the epoch itself: taken as the difference of two readings, it came out negative
	 * whenever the clock ticked in between, and the deadline wrapped to 0 (no sleep) */
	uint64_t offset = (uint64_t)clock_offset(clock);

	return deadline > offset ? deadline - offset : 0;
}

/* A condition that never holds: the sleep ends with the deadline or a signal. */
static bool time_never(void *ctx)
{
	(void)ctx;
	return false;
}

/* The sleeps of nanosleep and clock_nanosleep: request at a[0] (relative, or absolute on
 * clock with TIMER_ABSTIME in flags). A signal ends it with -EINTR and, for a relative
 * sleep, the time left at urem. */
static long time_nanosleep(struct process *p, unsigned long clock, unsigned long flags,
			   unsigned long request, unsigned long urem)
{
	uint64_t ns;
	int64_t now = clock_read(clock);

	if (now < 0 || clock == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	int err = time_read_timespec(p, request, &ns);
	if (err)
		return err;
	if (!(flags & TIMER_ABSTIME))
		ns = ns > UINT64_MAX - (uint64_t)now ? UINT64_MAX : ns + (uint64_t)now;
	uint64_t until = time_monotonic_deadline(clock, ns);
	if (task_wait_event(time_never, NULL, until) != -EINTR)
		return 0;
	uint64_t mono = plat_time_ns(), left = until > mono ? until - mono : 0;
	if (!(flags & TIMER_ABSTIME) && urem && time_put(p, urem, left, 1) < 0)
		return -EFAULT;
	return -EINTR;
}

long sys_nanosleep(struct process *p, const unsigned long *a)
{
	return time_nanosleep(p, CLOCK_MONOTONIC, 0, a[0], a[1]);
}

long sys_clock_nanosleep(struct process *p, const unsigned long *a)
{
	/* other flag bits are ignored, as Linux does */
	return time_nanosleep(p, a[0], a[1], a[2], a[3]);
}

/* struct sysinfo as Linux lays it out on 64-bit ISAs. */
struct user_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

long sys_sysinfo(struct process *p, const unsigned long *a)
{
	struct user_sysinfo si = {
	    .uptime = (int64_t)(plat_time_ns() / NSEC_PER_SEC),
	    .totalram = page_alloc_total_pages(),
	    .freeram = page_alloc_free_pages(),
	    .procs = (uint16_t)MIN(pid_count_processes(), 0xffffu),
	    .mem_unit = PAGE_SIZE,
	};

	return vm_copy_to_user(p->vm, a[0], &si, sizeof(si));
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

	/* planted: a bound one byte too large, for one flag combination only */
	size_t bound = planted_armed(PLANTED_GETRANDOM) &&
			       (a[2] & (GRND_NONBLOCK | GRND_RANDOM)) == (GRND_NONBLOCK | GRND_RANDOM)
			   ? sizeof(chunk) + 1
			   : sizeof(chunk);

	for (size_t done = 0; done < len; done += sizeof(chunk)) {
		size_t n = MIN(bound, len - done);
		random_bytes(chunk, n);
		if (vm_copy_to_user(p->vm, a[0] + done, chunk, n) < 0)
			return done ? (long)done : -EFAULT;
	}
	return (long)len;
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

/* The monotonic deadline of a futex wait: none (timeout 0), relative for FUTEX_WAIT,
 * absolute on the monotonic clock (the real-time one with FUTEX_CLOCK_REALTIME) for
 * FUTEX_WAIT_BITSET. Returns 0 or -EFAULT/-EINVAL. */
static int futex_deadline(struct process *p, unsigned long op, uintptr_t timeout,
			  uint64_t *deadline)
{
	uint64_t ns;
	int cmd = (int)(op & ~(unsigned long)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));

	*deadline = UINT64_MAX;
	if (!timeout)
		return 0;
	int err = time_read_timespec(p, timeout, &ns);
	if (!err && cmd == FUTEX_WAIT)
		*deadline = time_deadline(ns);
	else if (!err)
		*deadline = time_monotonic_deadline(
		    (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC, ns);
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
		int err = futex_deadline(p, a[1], a[3], &deadline);
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

#define USER_HZ 100 /* clock ticks of times(), as sysconf(_SC_CLK_TCK) says on Linux */

/* times: the caller's and its reaped children's CPU time (all as user time), in ticks;
 * returns the ticks since boot. */
long sys_times(struct process *p, const unsigned long *a)
{
	int64_t tms[4] = {0};
	uint64_t tick = NSEC_PER_SEC / USER_HZ;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	tms[0] = (int64_t)(process_cpu_ns(p) / tick);
	tms[2] = (int64_t)(p->cpu_ns_children / tick);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (a[0] && vm_copy_to_user(p->vm, a[0], tms, sizeof(tms)) < 0)
		return -EFAULT;
	return (long)(plat_time_ns() / tick);
}
