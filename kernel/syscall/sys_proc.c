/* Process syscalls: identity, exit, names, TLS, limits, and signal-action bookkeeping. */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "syscalls.h"

long sys_exit_group(struct process *p, const unsigned long *a)
{
	process_exit_group(p, (int)(a[0] & 0xff) << 8);
	return 0;
}

long sys_exit(struct process *p, const unsigned long *a)
{
	(void)p;
	task_exit(task_current(), (int)(a[0] & 0xff));
	return 0;
}

long sys_getpid(struct process *p, const unsigned long *a)
{
	(void)a;
	return p->pid;
}

long sys_gettid(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	return task_current()->tid;
}

/* 0 for the first process, whose parent is outside the machine, and for orphans of a dead
 * init. */
long sys_getppid(struct process *p, const unsigned long *a)
{
	(void)a;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	long ppid = p->parent ? (long)p->parent->pid : 0;
	spin_unlock_irqrestore(&proc_lock, flags);
	return ppid;
}

/* Every process runs as root until credentials land. */
long sys_getuid(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	return 0;
}

long sys_geteuid(struct process *p, const unsigned long *a)
{
	return sys_getuid(p, a);
}

long sys_getgid(struct process *p, const unsigned long *a)
{
	return sys_getuid(p, a);
}

long sys_getegid(struct process *p, const unsigned long *a)
{
	return sys_getuid(p, a);
}

/* struct new_utsname: six fields of 65 bytes. */
#define UTS_LEN 65

long sys_uname(struct process *p, const unsigned long *a)
{
	static const char *const fields[6] = {"Linux", "amphi", "6.1.0-amphi", "#1 SMP Amphi",
					      GUEST_ARCH_NAME, "(none)"};
	char buf[6 * UTS_LEN];

	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 6; i++)
		kstrlcpy(buf + i * UTS_LEN, fields[i], UTS_LEN);
	return vm_copy_to_user(p->vm, a[0], buf, sizeof(buf));
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16

long sys_prctl(struct process *p, const unsigned long *a)
{
	char name[PROC_COMM_MAX];

	switch (a[0]) {
	case PR_SET_NAME: {
		long n = vm_copy_string(p->vm, name, a[1], sizeof(name));
		if (n == -EFAULT)
			return n;
		name[sizeof(name) - 1] = '\0'; /* Linux truncates silently */
		kstrlcpy(p->comm, name, sizeof(p->comm));
		return 0;
	}
	case PR_GET_NAME:
		return vm_copy_to_user(p->vm, a[1], p->comm, sizeof(p->comm));
	default:
		return -EINVAL;
	}
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* x86_64 only: the FS and GS bases, the thread pointers of user code. */
long sys_arch_prctl(struct process *p, const unsigned long *a)
{
	struct user_regs *regs = &task_current()->regs;

	switch (a[0]) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (a[1] >= USER_VA_END)
			return -EPERM;
		if (a[0] == ARCH_SET_FS)
			arch_user_set_tls(regs, a[1]);
		else
			arch_user_set_gs(regs, a[1]);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS: {
		uint64_t v = a[0] == ARCH_GET_FS ? arch_user_tls(regs) : arch_user_gs(regs);
		return vm_copy_to_user(p->vm, a[1], &v, sizeof(v));
	}
	default:
		return -EINVAL;
	}
}

long sys_set_tid_address(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();

	(void)p;
	t->clear_child_tid = a[0];
	return t->tid;
}

#define ROBUST_LIST_HEAD_SIZE 24

long sys_set_robust_list(struct process *p, const unsigned long *a)
{
	if (a[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	(void)p;
	task_current()->robust_list = a[0];
	return 0;
}

/* rseq is optional: Linux lets libraries fall back when it is missing. */
long sys_rseq(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	return -ENOSYS;
}

#define RLIMIT_STACK 3
#define RLIMIT_NPROC 6
#define RLIMIT_NLIMITS 16
#define RLIM_INFINITY (~0ULL)

/* prlimit64 on the calling process (or its pid): reports the limits in force (the stack
 * area's size, RLIMIT_NPROC, no others yet); only RLIMIT_NPROC may be set so far. */
long sys_prlimit64(struct process *p, const unsigned long *a)
{
	uint64_t lim[2] = {RLIM_INFINITY, RLIM_INFINITY}, want[2];

	if (a[0] != 0 && a[0] != p->pid)
		return -ESRCH;
	if (a[1] >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (a[2] && vm_copy_from_user(p->vm, want, a[2], sizeof(want)) < 0)
		return -EFAULT;
	if (a[2] && (a[1] != RLIMIT_NPROC || want[0] > want[1]))
		return a[1] != RLIMIT_NPROC ? -EPERM : -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	if (a[1] == RLIMIT_STACK)
		lim[0] = 8UL << 20;
	if (a[1] == RLIMIT_NPROC)
		memcpy(lim, p->rlim_nproc, sizeof(lim));
	if (a[2])
		memcpy(p->rlim_nproc, want, sizeof(want));
	spin_unlock_irqrestore(&proc_lock, flags);
	return a[3] ? vm_copy_to_user(p->vm, a[3], lim, sizeof(lim)) : 0;
}
