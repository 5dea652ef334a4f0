/* poll, ppoll, select and pselect6 over any descriptors: each file's poll events are read,
 * and when none is ready the caller sleeps until a file's events change (vfs_poll_notify)
 * or the timeout, in the kernel's time (the hosted machine's virtual time by default).
 * Signal masks are accepted and ignored until signals are delivered. */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "sys_fs.h"
#include "syscalls.h"

#define POLL_FOREVER (~0ULL)
#define FD_SETSIZE_BITS 64
#define SELECT_IN (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLERR)
#define SELECT_EX POLLPRI

struct uapi_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* The events of descriptor fd that matter to a poller asking for events. */
static unsigned poll_fd(struct process *p, int fd, unsigned events)
{
	if (fd < 0)
		return 0;
	struct file *f = sys_file(p, (unsigned long)fd);
	if (!f)
		return POLLNVAL;
	unsigned ready = vfs_poll(f);
	file_put(f);
	return ready & (events | POLLERR | POLLHUP | POLLNVAL);
}

/* The monotonic deadline sec seconds and nsec nanoseconds from now: 0, or -EINVAL for a
 * negative or unnormalized time. Times past 30 years are forever. */
static int poll_deadline_in(int64_t sec, int64_t nsec, uint64_t *deadline)
{
	if (sec < 0 || nsec < 0 || nsec >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)sec * 1000000000ULL + (uint64_t)nsec;
	*deadline = sec > 1000000000LL ? POLL_FOREVER : plat_time_ns() + ns;
	return 0;
}

/* The monotonic deadline of a user struct timespec at uts (none when 0). */
static int poll_deadline(struct process *p, uintptr_t uts, uint64_t *deadline)
{
	int64_t ts[2];

	*deadline = POLL_FOREVER;
	if (!uts)
		return 0;
	if (vm_copy_from_user(p->vm, ts, uts, sizeof(ts)) < 0)
		return -EFAULT;
	return poll_deadline_in(ts[0], ts[1], deadline);
}

/* One pass over the poll array: fills revents, returns how many are ready. */
static int poll_scan(struct process *p, struct uapi_pollfd *fds, unsigned long n)
{
	int ready = 0;

	for (unsigned long i = 0; i < n; i++) {
		fds[i].revents = (int16_t)poll_fd(p, fds[i].fd, (uint16_t)fds[i].events);
		ready += fds[i].revents != 0;
	}
	return ready;
}

static long poll_run(struct process *p, uintptr_t ufds, unsigned long n, uint64_t deadline)
{
	if (n > rlimit_cur(p, RLIMIT_NOFILE))
		return -EINVAL; /* as Linux: more entries than descriptors */
	struct uapi_pollfd *fds = kmalloc(n ? n * sizeof(*fds) : 1);
	if (!fds)
		return -ENOMEM;
	long r = vm_copy_from_user(p->vm, fds, ufds, n * sizeof(*fds)) < 0 ? -EFAULT : 0;
	while (!r) {
		uint64_t seq = vfs_poll_seq();
		r = poll_scan(p, fds, n);
		if (r || plat_time_ns() >= deadline)
			break;
		if (task_interrupted()) {
			r = -ERESTARTNOHAND; /* EINTR once a handler ran, as Linux's poll */
			break;
		}
		vfs_poll_wait(seq, deadline);
	}
	if (r >= 0 && vm_copy_to_user(p->vm, ufds, fds, n * sizeof(*fds)) < 0)
		r = -EFAULT;
	kfree(fds);
	return r;
}

long sys_poll(struct process *p, const unsigned long *a)
{
	int timeout = (int)a[2];
	uint64_t deadline = timeout < 0 ? POLL_FOREVER
					: plat_time_ns() + (uint64_t)timeout * 1000000ULL;

	return poll_run(p, a[0], a[1], deadline);
}

long sys_ppoll(struct process *p, const unsigned long *a)
{
	uint64_t deadline;
	int err = poll_deadline(p, a[2], &deadline);

	return err ? err : poll_run(p, a[0], a[1], deadline);
}

/* --- select --- */

struct select_sets {
	uint64_t in[VFS_FD_MAX / 64], out[VFS_FD_MAX / 64], ex[VFS_FD_MAX / 64];
};

/* Copies in one user fd_set of n bits (none when uaddr is 0). */
static int select_get(struct process *p, uintptr_t uaddr, uint64_t *set, unsigned long n)
{
	memset(set, 0, VFS_FD_MAX / 8);
	return uaddr ? vm_copy_from_user(p->vm, set, uaddr, ALIGN_UP(n, 64) / 8) : 0;
}

/* One pass over the sets in `want`, writing what is ready to `got`: the count, or -EBADF. */
static long select_scan(struct process *p, const struct select_sets *want,
			struct select_sets *got, unsigned long n)
{
	long ready = 0;

	memset(got, 0, sizeof(*got));
	for (unsigned long fd = 0; fd < n; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		size_t w = fd / 64;
		if (!((want->in[w] | want->out[w] | want->ex[w]) & bit))
			continue;
		unsigned ev = poll_fd(p, (int)fd, SELECT_IN | SELECT_OUT | SELECT_EX);
		if (ev & POLLNVAL)
			return -EBADF;
		got->in[w] |= (ev & SELECT_IN) && (want->in[w] & bit) ? bit : 0;
		got->out[w] |= (ev & SELECT_OUT) && (want->out[w] & bit) ? bit : 0;
		got->ex[w] |= (ev & SELECT_EX) && (want->ex[w] & bit) ? bit : 0;
		ready += !!(got->in[w] & bit) + !!(got->out[w] & bit) + !!(got->ex[w] & bit);
	}
	return ready;
}

/* Copies out the sets that were passed in. */
static int select_put(struct process *p, const unsigned long *a, struct select_sets *got,
		      unsigned long n)
{
	size_t bytes = ALIGN_UP(n, 64) / 8;
	int err = 0;

	if (a[1] && vm_copy_to_user(p->vm, a[1], got->in, bytes) < 0)
		err = -EFAULT;
	if (a[2] && vm_copy_to_user(p->vm, a[2], got->out, bytes) < 0)
		err = -EFAULT;
	if (a[3] && vm_copy_to_user(p->vm, a[3], got->ex, bytes) < 0)
		err = -EFAULT;
	return err;
}

static long select_run(struct process *p, const unsigned long *a, uint64_t deadline)
{
	if ((long)a[0] < 0)
		return -EINVAL;
	unsigned long n = MIN(a[0], (unsigned long)VFS_FD_MAX);
	struct select_sets *s = kmalloc(2 * sizeof(*s));
	if (!s)
		return -ENOMEM;
	long r = select_get(p, a[1], s[0].in, n);
	if (!r)
		r = select_get(p, a[2], s[0].out, n);
	if (!r)
		r = select_get(p, a[3], s[0].ex, n);
	while (!r) {
		uint64_t seq = vfs_poll_seq();
		r = select_scan(p, &s[0], &s[1], n);
		if (r || plat_time_ns() >= deadline)
			break;
		if (task_interrupted()) {
			r = -ERESTARTNOHAND;
			break;
		}
		vfs_poll_wait(seq, deadline);
	}
	if (r >= 0) {
		int err = select_put(p, a, &s[1], n);
		r = err ? err : r;
	}
	kfree(s);
	return r;
}

long sys_select(struct process *p, const unsigned long *a)
{
	int64_t tv[2];
	uint64_t deadline = POLL_FOREVER;

	if (a[4] && vm_copy_from_user(p->vm, tv, a[4], sizeof(tv)) < 0)
		return -EFAULT;
	int err = a[4] ? poll_deadline_in(tv[0], tv[1] < 0 || tv[1] >= 1000000 ? -1 : tv[1] * 1000,
					  &deadline)
		       : 0;
	return err ? err : select_run(p, a, deadline);
}

long sys_pselect6(struct process *p, const unsigned long *a)
{
	uint64_t deadline;
	int err = poll_deadline(p, a[4], &deadline);

	return err ? err : select_run(p, a, deadline);
}
