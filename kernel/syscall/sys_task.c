/* Process syscalls: clone, fork, vfork, execve, wait4/waitid, process groups and
 * sessions. */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "syscalls.h"

#define EXEC_STRINGS_MAX (256UL << 10) /* argv and envp strings together (E2BIG past it) */
#define EXEC_VECTOR_MAX 16384	       /* pointers in argv and envp together */
#define EXEC_STRING_MAX (32UL << 12)   /* one string, NUL included (Linux's MAX_ARG_STRLEN) */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define INT_MIN_PID ((int)0x80000000u)

long sys_clone(struct process *p, const unsigned long *a)
{
	struct clone_args_k args = {.flags = a[0], .stack = a[1], .parent_tid = a[2],
				    .child_tid = a[GUEST_CLONE_CHILD_TID_ARG],
				    .tls = a[GUEST_CLONE_TLS_ARG]};

	(void)p;
	return task_clone(task_current(), &args);
}

/* clone3 is optional: libcs fall back to clone when it is missing. */
long sys_clone3(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	return -ENOSYS;
}

long sys_fork(struct process *p, const unsigned long *a)
{
	struct clone_args_k args = {.flags = SIGCHLD};

	(void)p;
	(void)a;
	return task_clone(task_current(), &args);
}

long sys_vfork(struct process *p, const unsigned long *a)
{
	struct clone_args_k args = {.flags = CLONE_VM | CLONE_VFORK | SIGCHLD};

	(void)p;
	(void)a;
	return task_clone(task_current(), &args);
}

/* Arguments of execve in kernel memory. */
struct exec_args {
	char path[PROC_PATH_MAX];
	char *strings; /* EXEC_STRINGS_MAX bytes */
	size_t used;
	const char **vec; /* argv, NULL, envp, NULL */
	size_t nvec;
};

/* Copies the NULL-terminated vector of user strings at uv (0: empty) into x, followed by
 * NULL. Returns where it starts in x->vec, or -EFAULT, -E2BIG. */
static long exec_copy_vector(struct vm_space *vm, struct exec_args *x, uintptr_t uv)
{
	size_t start = x->nvec;

	for (size_t i = 0; uv; i++) {
		uint64_t ptr;
		if (vm_copy_from_user(vm, &ptr, uv + i * sizeof(ptr), sizeof(ptr)) < 0)
			return -EFAULT;
		if (!ptr)
			break;
		if (x->nvec + 2 >= EXEC_VECTOR_MAX)
			return -E2BIG;
		long n = vm_copy_string(vm, x->strings + x->used, ptr,
					MIN(EXEC_STRING_MAX, EXEC_STRINGS_MAX - x->used));
		if (n < 0)
			return n == -ENAMETOOLONG ? -E2BIG : n;
		x->vec[x->nvec++] = x->strings + x->used;
		x->used += (size_t)n + 1;
	}
	x->vec[x->nvec++] = NULL;
	return (long)start;
}

/* execve of the user path at upath with user vectors uargv and uenvp. */
static long exec_from_user(struct process *p, uintptr_t upath, uintptr_t uargv, uintptr_t uenvp)
{
	struct exec_args *x = kzalloc(sizeof(*x));
	long err = -ENOMEM, envp = 0;

	if (!x)
		return err;
	x->strings = kmalloc(EXEC_STRINGS_MAX);
	x->vec = kmalloc(EXEC_VECTOR_MAX * sizeof(*x->vec));
	if (x->strings && x->vec)
		err = vm_copy_string(p->vm, x->path, upath, sizeof(x->path));
	if (err >= 0)
		err = exec_copy_vector(p->vm, x, uargv);
	if (err >= 0)
		err = envp = exec_copy_vector(p->vm, x, uenvp);
	if (err >= 0)
		err = task_execve(task_current(), x->path, x->vec, x->vec + envp);
	kfree(x->strings);
	kfree(x->vec);
	kfree(x);
	return err;
}

long sys_execve(struct process *p, const unsigned long *a)
{
	return exec_from_user(p, a[0], a[1], a[2]);
}

/* execveat: paths relative to the working directory (AT_FDCWD) or absolute ones, until
 * descriptors name directories. */
long sys_execveat(struct process *p, const unsigned long *a)
{
	char first;

	if (a[4] & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (vm_copy_from_user(p->vm, &first, a[1], 1) < 0)
		return -EFAULT;
	if (first != '/' && (int)a[0] != AT_FDCWD)
		return -EBADF;
	return exec_from_user(p, a[1], a[2], a[3]);
}

/* Linux's struct rusage on both ISAs: two struct timevals, then 14 counters. */
struct user_rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t counters[14];
};

/* Writes a struct rusage for cpu_ns of CPU time at uaddr (nothing when 0): all of it as
 * user time (the kernel does not split the two); the counters read zero. */
static int rusage_put(struct process *p, uintptr_t uaddr, uint64_t cpu_ns)
{
	struct user_rusage ru;

	memset(&ru, 0, sizeof(ru));
	ru.utime_sec = (int64_t)(cpu_ns / 1000000000);
	ru.utime_usec = (int64_t)(cpu_ns % 1000000000 / 1000);
	return uaddr ? vm_copy_to_user(p->vm, uaddr, &ru, sizeof(ru)) : 0;
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

long sys_getrusage(struct process *p, const unsigned long *a)
{
	int who = (int)a[0];
	uint64_t ns;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	ns = who == RUSAGE_SELF	    ? process_cpu_ns(p)
	     : who == RUSAGE_THREAD ? thread_cpu_ns(task_current()->kthread)
				    : p->cpu_ns_children;
	spin_unlock_irqrestore(&proc_lock, flags);
	return rusage_put(p, a[1], ns) < 0 ? -EFAULT : 0;
}

long sys_wait4(struct process *p, const unsigned long *a)
{
	int pid = (int)a[0], options = (int)a[2];
	struct wait_result res;
	int idtype = pid < -1 ? P_PGID : pid == -1 ? P_ALL : pid == 0 ? P_PGID : P_PID;
	unsigned id = pid < -1 ? (unsigned)-pid : pid == 0 ? p->pgid : (unsigned)pid;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT_MIN_PID)
		return -ESRCH;
	long r = proc_wait(task_current(), idtype, id, options | WEXITED, &res);
	if (r <= 0)
		return r;
	if (a[1] && vm_copy_to_user(p->vm, a[1], &res.status, sizeof(res.status)) < 0)
		return -EFAULT;
	return rusage_put(p, a[3], res.cpu_ns) < 0 ? -EFAULT : r;
}

long sys_waitid(struct process *p, const unsigned long *a)
{
	int idtype = (int)a[0], options = (int)a[3];
	unsigned id = (unsigned)a[1];
	struct wait_result res = {0};
	int32_t info[32];

	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)) || idtype < P_ALL || idtype > P_PGID)
		return -EINVAL;
	if (idtype == P_PID && (int)id <= 0)
		return -EINVAL;
	if (idtype == P_PGID && id == 0)
		id = p->pgid;
	long r = proc_wait(task_current(), idtype, id, options, &res);
	if (r < 0)
		return r;
	memset(info, 0, sizeof(info));
	if (r > 0) {
		info[0] = SIGCHLD;
		info[2] = res.code;
		info[4] = (int32_t)res.pid;
		info[6] = res.value;
	}
	if (a[2] && vm_copy_to_user(p->vm, a[2], info, sizeof(info)) < 0)
		return -EFAULT;
	return rusage_put(p, a[4], res.cpu_ns) < 0 ? -EFAULT : 0;
}

/* The process id names (0: p itself), or NULL (proc_lock held). */
static struct process *task_target(struct process *p, int id)
{
	struct task *t;

	if (id == 0)
		return p;
	t = id > 0 ? pid_task((unsigned)id) : NULL;
	if (t)
		return t->proc;
	struct process *q = id > 0 ? pid_process((unsigned)id) : NULL;
	return q && q->state == PROC_LIVE ? q : NULL;
}

long sys_setpgid(struct process *p, const unsigned long *a)
{
	int pid = (int)a[0], pgid = (int)a[1];
	long err = 0;

	if (pgid < 0)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct process *q = task_target(p, pid);
	unsigned want = pgid ? (unsigned)pgid : q ? q->pid : 0;
	if (!q || (q != p && q->parent != p))
		err = -ESRCH;
	else if (q->sid != p->sid || q->sid == q->pid)
		err = -EPERM; /* another session, or a session leader */
	else if (want != q->pid && !pgrp_in_session(want, p->sid))
		err = -EPERM; /* no such group in the session */
	if (!err)
		q->pgid = want;
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}

/* getpgid and getsid: field of process pid (0: the caller). */
static long task_get_id(struct process *p, int pid, bool session)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct process *q = pid < 0 ? NULL : task_target(p, pid);
	long r = !q ? -ESRCH : session ? (long)q->sid : (long)q->pgid;

	spin_unlock_irqrestore(&proc_lock, flags);
	return r;
}

long sys_getpgid(struct process *p, const unsigned long *a)
{
	return task_get_id(p, (int)a[0], false);
}

long sys_getpgrp(struct process *p, const unsigned long *a)
{
	(void)a;
	return task_get_id(p, 0, false);
}

long sys_getsid(struct process *p, const unsigned long *a)
{
	return task_get_id(p, (int)a[0], true);
}

/* True when some process is in group pgid (a pid_for_each callback). */
static int pgid_used(struct process *q, void *ctx)
{
	return q->pgid == *(unsigned *)ctx;
}

long sys_setsid(struct process *p, const unsigned long *a)
{
	long r;

	(void)a;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	unsigned pid = p->pid;
	if (pid_for_each(pgid_used, &pid)) {
		r = -EPERM; /* a group leader cannot leave its group */
	} else {
		p->sid = p->pgid = pid;
		r = pid;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return r;
}

long sys_sched_yield(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	thread_yield();
	return 0;
}

/* sched_getaffinity: every online CPU (threads are not pinned), in a mask of
 * SCHED_MASK_BYTES; the size given must hold it and be a multiple of a long. */
#define SCHED_MASK_BYTES 8

long sys_sched_getaffinity(struct process *p, const unsigned long *a)
{
	uint64_t mask = (uint64_t)smp_online_mask();

	if (a[1] < SCHED_MASK_BYTES || (a[1] & (sizeof(long) - 1)))
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	bool found = (int)a[0] >= 0 && ((int)a[0] == 0 || pid_task((unsigned)a[0]));
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!found)
		return -ESRCH;
	return vm_copy_to_user(p->vm, a[2], &mask, sizeof(mask)) < 0 ? -EFAULT : SCHED_MASK_BYTES;
}

/* getgroups: processes have no supplementary groups. */
long sys_getgroups(struct process *p, const unsigned long *a)
{
	(void)p;
	return (int)a[0] < 0 ? -EINVAL : 0;
}
