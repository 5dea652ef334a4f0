/* Signal syscalls: actions, masks, sending (kill, tkill, tgkill), waiting (pause,
 * rt_sigsuspend), the alternate stack and the return from a handler. */
#include <amphi/errno.h>
#include <amphi/vm.h>

#include "syscalls.h"

#define SIGSET_SIZE 8
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define SS_ONSTACK 1
#define SS_DISABLE 2

long sys_rt_sigaction(struct process *p, const unsigned long *a)
{
	struct proc_sigaction act, old;
	int sig = (int)a[0];

	if (a[3] != SIGSET_SIZE || sig < 1 || sig > PROC_NSIG)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && vm_copy_from_user(p->vm, &act, a[1], sizeof(act)) < 0)
		return -EFAULT;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	old = p->actions[sig - 1];
	if (a[1]) {
		act.mask &= ~SIG_UNBLOCKABLE;
		p->actions[sig - 1] = act;
		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && sig == SIGCHLD))
			signal_discard(p, SIG_BIT(sig)); /* as Linux does */
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	if (a[2] && vm_copy_to_user(p->vm, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();
	uint64_t set, old = t->sigmask;
	long err = 0;

	if (a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (a[1] && vm_copy_from_user(p->vm, &set, a[1], sizeof(set)) < 0)
		return -EFAULT;
	if (a[1] && a[0] > SIG_SETMASK)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	old = t->sigmask;
	if (a[1]) {
		uint64_t mask = a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set;
		t->sigmask = mask & ~SIG_UNBLOCKABLE;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	if (a[2] && vm_copy_to_user(p->vm, a[2], &old, sizeof(old)) < 0)
		err = -EFAULT;
	return err;
}

long sys_rt_sigpending(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();

	if (a[1] != SIGSET_SIZE)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	uint64_t set = (t->pending | p->shared_pending) & t->sigmask;
	spin_unlock_irqrestore(&proc_lock, flags);
	return vm_copy_to_user(p->vm, a[0], &set, sizeof(set));
}

/* What kill -1 sends, and to how many. */
struct kill_all_job {
	struct process *self;
	const struct ksiginfo *info;
	int hits;
};

/* Sends the job's signal to q unless it is init or the caller (a pid_for_each callback). */
static int kill_all_one(struct process *q, void *ctx)
{
	struct kill_all_job *k = ctx;

	if (q->pid == 1 || q == k->self)
		return 0;
	k->hits++;
	signal_send_process(q, k->info);
	return 0;
}

/* kill's targets for pid (proc_lock held): returns how many it reached. */
static int kill_targets(struct process *p, int pid, const struct ksiginfo *info)
{
	struct kill_all_job all = {p, info, 0};
	struct task *t;

	if (pid > 0) {
		t = pid_task((unsigned)pid);
		if (t)
			signal_send_process(t->proc, info);
		return t ? 1 : 0;
	}
	if (pid == 0 || pid < -1)
		return signal_send_group(pid == 0 ? p->pgid : (unsigned)-pid, info);
	pid_for_each(kill_all_one, &all);
	return all.hits;
}

long sys_kill(struct process *p, const unsigned long *a)
{
	int pid = (int)a[0], sig = (int)a[1];
	struct ksiginfo info = {.signo = sig, .code = SI_USER, .pid = (int)p->pid};

	if (sig < 0 || sig > PROC_NSIG)
		return -EINVAL;
	if (pid == (int)0x80000000u)
		return -ESRCH;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	int hits = kill_targets(p, pid, &info);
	spin_unlock_irqrestore(&proc_lock, flags);
	return hits ? 0 : -ESRCH;
}

/* tgkill and tkill: sig to thread tid, of group tgid unless tgid is 0. */
static long kill_thread(struct process *p, int tgid, int tid, int sig)
{
	struct ksiginfo info = {.signo = sig, .code = SI_TKILL, .pid = (int)p->pid};
	long err = -ESRCH;

	if (tid <= 0 || tgid < 0 || sig < 0 || sig > PROC_NSIG)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct task *t = pid_task((unsigned)tid);
	if (t && (!tgid || t->proc->pid == (unsigned)tgid)) {
		signal_send_task(t, &info);
		err = 0;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}

long sys_tkill(struct process *p, const unsigned long *a)
{
	return kill_thread(p, 0, (int)a[0], (int)a[1]);
}

long sys_tgkill(struct process *p, const unsigned long *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return kill_thread(p, (int)a[0], (int)a[1], (int)a[2]);
}

/* A condition that never holds: the wait ends with a signal. */
static bool signal_never(void *ctx)
{
	(void)ctx;
	return false;
}

long sys_pause(struct process *p, const unsigned long *a)
{
	(void)p;
	(void)a;
	task_wait_event(signal_never, NULL, UINT64_MAX);
	return -ERESTARTNOHAND;
}

long sys_rt_sigsuspend(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();
	uint64_t mask;

	if (a[1] != SIGSET_SIZE)
		return -EINVAL;
	if (vm_copy_from_user(p->vm, &mask, a[0], sizeof(mask)) < 0)
		return -EFAULT;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	spin_unlock_irqrestore(&proc_lock, flags);
	task_wait_event(signal_never, NULL, UINT64_MAX);
	return -ERESTARTNOHAND;
}

/* stack_t */
struct sigaltstack_user {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

long sys_sigaltstack(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();
	uintptr_t sp = arch_user_sp(&t->regs);
	bool on = t->altstack_sp && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
	struct sigaltstack_user old = {t->altstack_sp, on ? SS_ONSTACK : t->altstack_sp ? 0 : SS_DISABLE,
				       0, t->altstack_size}, ss;

	if (a[0]) {
		if (vm_copy_from_user(p->vm, &ss, a[0], sizeof(ss)) < 0)
			return -EFAULT;
		if (on)
			return -EPERM;
		if (ss.ss_flags != 0 && ss.ss_flags != SS_DISABLE)
			return -EINVAL;
		if (ss.ss_flags == 0 && ss.ss_size < GUEST_MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (a[1] && vm_copy_to_user(p->vm, a[1], &old, sizeof(old)) < 0)
		return -EFAULT;
	if (a[0]) {
		t->altstack_sp = ss.ss_flags == SS_DISABLE ? 0 : ss.ss_sp;
		t->altstack_size = ss.ss_flags == SS_DISABLE ? 0 : ss.ss_size;
	}
	return 0;
}

/* Returns the restored result register, so dispatch leaves it as the frame had it. */
long sys_rt_sigreturn(struct process *p, const unsigned long *a)
{
	struct task *t = task_current();

	(void)a;
	(void)p;
	if (signal_return(t) < 0)
		signal_fault(t, SIGSEGV, SI_KERNEL, 0, 0); /* a bad frame, as Linux's force_sig */
	t->in_syscall = false; /* not a result to restart */
	return arch_syscall_result(&t->regs);
}

/* What rt_sigtimedwait waits for. */
struct sigwait {
	struct task *task;
	uint64_t set;
};

/* A signal of the set is pending (a task_wait_event callback). */
static bool sigwait_done(void *ctx)
{
	struct sigwait *w = ctx;

	return ((w->task->pending | w->task->proc->shared_pending) & w->set) != 0;
}

/* rt_sigtimedwait: takes a signal of the set (blocked ones too, as they are meant to be),
 * waiting up to the relative timeout (none: for ever). Returns the signal, -EAGAIN when
 * the time ran out, -EINTR when a signal outside the set came. */
long sys_rt_sigtimedwait(struct process *p, const unsigned long *a)
{
	struct sigwait w = {task_current(), 0};
	uint64_t deadline = UINT64_MAX, ns;
	struct ksiginfo info;

	if (a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (vm_copy_from_user(p->vm, &w.set, a[0], sizeof(w.set)) < 0)
		return -EFAULT;
	int err = a[2] ? time_read_timespec(p, a[2], &ns) : 0;
	if (err)
		return err;
	if (a[2])
		deadline = time_deadline(ns);
	w.set &= ~SIG_UNBLOCKABLE;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	w.task->sigwait_set = w.set; /* senders keep and wake us for these now */
	spin_unlock_irqrestore(&proc_lock, flags);
	err = task_wait_event(sigwait_done, &w, deadline);
	flags = spin_lock_irqsave(&proc_lock);
	int sig = signal_take(w.task, w.set, &info);
	w.task->sigwait_set = 0;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!sig)
		return err == -ETIMEDOUT ? -EAGAIN : -EINTR;
	uint8_t siginfo[ARCH_SIGINFO_SIZE];
	signal_siginfo(siginfo, &info);
	if (a[1] && vm_copy_to_user(p->vm, a[1], siginfo, sizeof(siginfo)) < 0)
		return -EFAULT;
	return sig;
}
