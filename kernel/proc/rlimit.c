/*
 * Resource limits and credentials, as Linux keeps them per process: soft and hard limits
 * that fork copies and exec keeps, and real, effective and saved user ids. A process with
 * effective uid 0 holds every capability (CAP_SYS_RESOURCE among them): it may raise hard
 * limits, and RLIMIT_NPROC does not bind it.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/proc.h>

#define RLIMIT_NPROC_DEFAULT 4096 /* Linux's: half of threads-max */
#define RLIMIT_STACK_DEFAULT (8ULL << 20)
#define RLIMIT_NOFILE_DEFAULT 1024 /* the hard limit is VFS_FD_MAX, Linux's nr_open here */
#define RLIMIT_MEMLOCK_DEFAULT (8ULL << 20)
#define RLIMIT_MSGQUEUE_DEFAULT 819200

void rlimit_init(struct process *p)
{
	for (unsigned r = 0; r < RLIM_NLIMITS; r++)
		p->rlim[r] = (struct proc_rlimit){RLIM_INFINITY, RLIM_INFINITY};
	p->rlim[RLIMIT_STACK].cur = RLIMIT_STACK_DEFAULT;
	p->rlim[RLIMIT_CORE].cur = 0;
	p->rlim[RLIMIT_NPROC] = (struct proc_rlimit){RLIMIT_NPROC_DEFAULT, RLIMIT_NPROC_DEFAULT};
	p->rlim[RLIMIT_SIGPENDING] = p->rlim[RLIMIT_NPROC];
	p->rlim[RLIMIT_NOFILE] = (struct proc_rlimit){RLIMIT_NOFILE_DEFAULT, VFS_FD_MAX};
	p->rlim[RLIMIT_MEMLOCK] =
	    (struct proc_rlimit){RLIMIT_MEMLOCK_DEFAULT, RLIMIT_MEMLOCK_DEFAULT};
	p->rlim[RLIMIT_MSGQUEUE] =
	    (struct proc_rlimit){RLIMIT_MSGQUEUE_DEFAULT, RLIMIT_MSGQUEUE_DEFAULT};
	p->rlim[RLIMIT_NICE] = p->rlim[RLIMIT_RTPRIO] = (struct proc_rlimit){0, 0};
}

uint64_t rlimit_cur(const struct process *p, unsigned resource)
{
	return atomic_load_relaxed(&p->rlim[resource].cur);
}

bool proc_privileged(const struct process *p)
{
	return atomic_load_relaxed(&p->euid) == 0;
}

int rlimit_set(struct process *p, const struct process *by, unsigned resource,
	       const struct proc_rlimit *want, struct proc_rlimit *old)
{
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (want && want->cur > want->max)
		return -EINVAL;
	if (want && resource == RLIMIT_NOFILE && want->max > VFS_FD_MAX)
		return -EPERM;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct proc_rlimit *lim = &p->rlim[resource];
	int err = want && want->max > lim->max && !proc_privileged(by) ? -EPERM : 0;
	if (!err && old)
		*old = *lim;
	if (!err && want) {
		atomic_store_relaxed(&lim->cur, want->cur);
		atomic_store_relaxed(&lim->max, want->max);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}
