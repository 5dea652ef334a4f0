/* Process syscalls: identity, exit, names, TLS, limits, and signal-action bookkeeping. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
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

long sys_getuid(struct process *p, const unsigned long *a)
{
	(void)a;
	return atomic_load_relaxed(&p->uid);
}

long sys_geteuid(struct process *p, const unsigned long *a)
{
	(void)a;
	return atomic_load_relaxed(&p->euid);
}

/* Every process is in group 0: groups are not modelled yet. */
long sys_getgid(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	return 0;
}

long sys_getegid(struct process *p, const unsigned long *a)
{
	return sys_getgid(p, a);
}

/* setuid(uid) as Linux: privileged, all three ids become uid (and the privilege goes);
 * otherwise only the effective id may change, to the real or saved one (-EPERM). */
long sys_setuid(struct process *p, const unsigned long *a)
{
	unsigned uid = (unsigned)a[0];

	if (uid == ~0u)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	long err = 0;
	if (proc_privileged(p)) {
		err = proc_set_user(p, uid);
		if (!err) {
			p->suid = uid;
			atomic_store_relaxed(&p->euid, uid);
		}
	} else if (uid == p->uid || uid == p->suid) {
		atomic_store_relaxed(&p->euid, uid);
	} else {
		err = -EPERM;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
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

/* syslog(2) actions (Linux's SYSLOG_ACTION_*) */
enum {
	SYSLOG_CLOSE,
	SYSLOG_OPEN,
	SYSLOG_READ,
	SYSLOG_READ_ALL,
	SYSLOG_READ_CLEAR,
	SYSLOG_CLEAR,
	SYSLOG_CONSOLE_OFF,
	SYSLOG_CONSOLE_ON,
	SYSLOG_CONSOLE_LEVEL,
	SYSLOG_SIZE_UNREAD,
	SYSLOG_SIZE_BUFFER,
};

/* syslog READ_ALL and READ_CLEAR: the log's last len bytes into buf; returns the count. */
static long syslog_read(struct process *p, unsigned long buf, long len, bool clear)
{
	if (!buf || len < 0)
		return -EINVAL;
	size_t n = (size_t)len < KLOG_SIZE ? (size_t)len : KLOG_SIZE;
	char *tmp = n ? kmalloc(n) : NULL;
	if (n && !tmp)
		return -ENOMEM;
	n = klog_read(tmp, n);
	long r = n && vm_copy_to_user(p->vm, buf, tmp, n) < 0 ? -EFAULT : (long)n;
	kfree(tmp);
	if (clear && r >= 0)
		klog_clear();
	return r;
}

/* syslog(type, buf, len) as Linux with dmesg_restrict off: anyone reads the log and its
 * size; clearing it and the console settings need root. The log has no reader that waits
 * for new messages (READ), and the console level is not kept. */
long sys_syslog(struct process *p, const unsigned long *a)
{
	int type = (int)a[0];
	long len = (long)(int)a[2];

	if (type != SYSLOG_READ_ALL && type != SYSLOG_SIZE_BUFFER && type != SYSLOG_CLOSE &&
	    type != SYSLOG_OPEN && !proc_privileged(p))
		return type < SYSLOG_CLOSE || type > SYSLOG_SIZE_BUFFER ? -EINVAL : -EPERM;
	switch (type) {
	case SYSLOG_CLOSE:
	case SYSLOG_OPEN:
	case SYSLOG_CONSOLE_OFF:
	case SYSLOG_CONSOLE_ON:
		return 0;
	case SYSLOG_READ_ALL:
	case SYSLOG_READ_CLEAR:
		return syslog_read(p, a[1], len, type == SYSLOG_READ_CLEAR);
	case SYSLOG_CLEAR:
		klog_clear();
		return 0;
	case SYSLOG_CONSOLE_LEVEL:
		return len < 1 || len > 8 ? -EINVAL : 0;
	case SYSLOG_SIZE_UNREAD:
		return (long)klog_read(NULL, KLOG_SIZE);
	case SYSLOG_SIZE_BUFFER:
		return KLOG_SIZE;
	default:
		return -EINVAL;
	}
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

/* The live process prlimit64 names (0: the caller) with a reference for the caller, once
 * the caller may touch its limits (the same user in all three ids, or privileged), in
 * *target. Returns 0, -ESRCH, -EPERM. */
static int rlimit_target(struct process *p, int pid, struct process **target)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct process *t = pid == 0 ? p : pid > 0 ? pid_process((unsigned)pid) : NULL;
	int err = !t || t->state != PROC_LIVE ? -ESRCH : 0;

	if (!err && t != p && !proc_privileged(p) &&
	    !(t->uid == p->uid && t->euid == p->uid && t->suid == p->uid))
		err = -EPERM;
	if (!err)
		t->refs++;
	spin_unlock_irqrestore(&proc_lock, flags);
	*target = t;
	return err;
}

/* prlimit64(pid, resource, new, old), in Linux's order: the new limits are read first
 * (-EFAULT), then the process found (-ESRCH, -EPERM), the limits checked and set, and the
 * old ones written (-EFAULT after the change). */
long sys_prlimit64(struct process *p, const unsigned long *a)
{
	struct proc_rlimit want, old;
	struct process *t;

	if (a[2] && vm_copy_from_user(p->vm, &want, a[2], sizeof(want)) < 0)
		return -EFAULT;
	long err = rlimit_target(p, (int)a[0], &t);
	if (err)
		return err;
	err = rlimit_set(t, p, (unsigned)a[1], a[2] ? &want : NULL, a[3] ? &old : NULL);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	process_put_locked(t);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!err && a[3] && vm_copy_to_user(p->vm, a[3], &old, sizeof(old)) < 0)
		err = -EFAULT;
	return err;
}

/* getrlimit(resource, old): the caller's limits. */
long sys_getrlimit(struct process *p, const unsigned long *a)
{
	struct proc_rlimit old;
	int err = rlimit_set(p, p, (unsigned)a[0], NULL, &old);

	return err ? err : vm_copy_to_user(p->vm, a[1], &old, sizeof(old));
}

/* setrlimit(resource, new): prlimit64 on the caller without the old limits; a NULL new
 * is a bad pointer here. */
long sys_setrlimit(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {0, a[0], a[1], 0};

	return a[1] ? sys_prlimit64(p, args) : -EFAULT;
}
