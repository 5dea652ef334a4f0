/*
 * Signals: sending (to a process, where any thread that does not block it takes it, or to
 * one thread), and delivery on the way back to user mode: the default action (end the
 * group, stop it, or nothing), or a handler entered through a frame the guest ISA lays
 * out (arch_signal_push), with restarts of interrupted syscalls as SA_RESTART says.
 * Standard signals do not queue: a second one while one is pending is merged, as on Linux.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define SIG_STOPS (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))
#define SIG_DEFAULT_IGNORE \
	(SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH))
#define SS_ONSTACK 1
#define SS_DISABLE 2

/* The action for sig in p. */
static const struct proc_sigaction *signal_action(const struct process *p, int sig)
{
	return &p->actions[sig - 1];
}

/* True when sig, sent now, would have no effect in p: ignored, by SIG_IGN or by
 * default (proc_lock held). */
static bool signal_ignored(const struct process *p, int sig)
{
	const struct proc_sigaction *a = signal_action(p, sig);

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return a->handler == SIG_IGN || (a->handler == SIG_DFL && (SIG_DEFAULT_IGNORE & SIG_BIT(sig)));
}

bool signal_pending(const struct task *t)
{
	const struct process *p = t->proc;
	uint64_t pending = atomic_load_relaxed(&t->pending) | atomic_load_relaxed(&p->shared_pending);

	return (pending & ~atomic_load_relaxed(&t->sigmask)) || atomic_load_relaxed(&t->exiting) ||
	       atomic_load_relaxed(&p->group_exit) || atomic_load_relaxed(&t->call_expired);
}

bool task_interrupted(void)
{
	struct task *t = task_current();

	return t && signal_pending(t);
}

/* True when some task of p blocks sig: an ignored signal then stays pending, as Linux
 * keeps it for a sigwait or a later change of action (proc_lock held). */
static bool signal_blocked_by_any(const struct process *p, int sig)
{
	const struct list_node *pos;

	list_for_each(pos, &p->tasks)
	{
		const struct task *t = list_entry(pos, struct task, node);
		if ((t->sigmask | t->sigwait_set) & SIG_BIT(sig))
			return true;
	}
	return false;
}

/* Tells p's parent that p stopped or continued (CLD_STOPPED / CLD_CONTINUED) unless it
 * asked not to know (SA_NOCLDSTOP), and wakes its waiters (proc_lock held). */
static void signal_notify_parent_stop(struct process *p, int code, int sig)
{
	struct process *parent = p->parent;
	struct list_node *pos;

	if (!parent)
		return;
	if (!(signal_action(parent, SIGCHLD)->flags & SA_NOCLDSTOP)) {
		struct ksiginfo info = {.signo = SIGCHLD, .code = code, .pid = (int)p->pid,
					.status = sig};
		signal_send_process(parent, &info);
	}
	list_for_each(pos, &parent->tasks)
		task_kick(list_entry(pos, struct task, node));
}

/* Kicks every task of p that may take sig: one that does not block it, or waits for it
 * in rt_sigtimedwait (proc_lock held). */
static void signal_kick_takers(struct process *p, int sig)
{
	struct list_node *pos;

	list_for_each(pos, &p->tasks)
	{
		struct task *t = list_entry(pos, struct task, node);
		if (!(t->sigmask & SIG_BIT(sig)) || (t->sigwait_set & SIG_BIT(sig)) || sig == SIGKILL)
			task_kick(t);
	}
}

/* What sending sig does before it is queued: SIGCONT resumes a stopped p and drops its
 * pending stops; a stop drops a pending SIGCONT; SIGKILL ends p (proc_lock held). */
static void signal_prepare(struct process *p, int sig)
{
	struct list_node *pos;

	if (sig == SIGKILL) {
		p->stopped = false;
		process_exit_group_locked(p, SIGKILL);
		return;
	}
	if (SIG_STOPS & SIG_BIT(sig)) {
		signal_discard(p, SIG_BIT(SIGCONT));
		return;
	}
	if (sig != SIGCONT)
		return;
	signal_discard(p, SIG_STOPS);
	if (p->stopped) {
		p->stopped = false;
		p->report_stop = false;
		p->report_cont = true;
		signal_notify_parent_stop(p, CLD_CONTINUED, SIGCONT);
		list_for_each(pos, &p->tasks)
			task_kick(list_entry(pos, struct task, node));
	}
}

void signal_send_process(struct process *p, const struct ksiginfo *info)
{
	int sig = info->signo;

	if (sig <= 0 || sig > PROC_NSIG || p->state != PROC_LIVE)
		return;
	signal_prepare(p, sig);
	if (sig == SIGKILL || (signal_ignored(p, sig) && !signal_blocked_by_any(p, sig)))
		return;
	if (!(p->shared_pending & SIG_BIT(sig)))
		p->shared_info[sig - 1] = *info;
	p->shared_pending |= SIG_BIT(sig);
	signal_kick_takers(p, sig);
}

/* What signal_send_group sends, and to how many. */
struct signal_group_job {
	unsigned pgrp;
	const struct ksiginfo *info;
	int hits;
};

/* Sends the job's signal to q when it is in the group (a pid_for_each callback). */
static int signal_group_one(struct process *q, void *ctx)
{
	struct signal_group_job *g = ctx;

	if (q->pgid == g->pgrp) {
		g->hits++;
		signal_send_process(q, g->info);
	}
	return 0;
}

int signal_send_group(unsigned pgrp, const struct ksiginfo *info)
{
	struct signal_group_job g = {pgrp, info, 0};

	pid_for_each(signal_group_one, &g);
	return g.hits;
}

void signal_send_task(struct task *t, const struct ksiginfo *info)
{
	int sig = info->signo;
	struct process *p = t->proc;

	if (sig <= 0 || sig > PROC_NSIG || p->state != PROC_LIVE)
		return;
	signal_prepare(p, sig);
	if (sig == SIGKILL ||
	    (signal_ignored(p, sig) && !((t->sigmask | t->sigwait_set) & SIG_BIT(sig))))
		return;
	if (!(t->pending & SIG_BIT(sig)))
		t->info[sig - 1] = *info;
	t->pending |= SIG_BIT(sig);
	task_kick(t);
}

/* How the console names fault signal sig with code. */
static const char *signal_fault_name(int sig, int code)
{
	switch (sig) {
	case SIGSEGV:
		return code == SEGV_MAPERR	? "SIGSEGV (unmapped address)"
		       : code == SEGV_ACCERR ? "SIGSEGV (access not allowed)"
					     : "SIGSEGV (general protection)";
	case SIGFPE:
		return code == FPE_INTDIV ? "SIGFPE (integer division)" : "SIGFPE";
	case SIGTRAP:
		return "SIGTRAP (breakpoint)";
	case SIGBUS:
		return "SIGBUS (misaligned)";
	default:
		return "SIGILL";
	}
}

/* Sends t the synchronous signal info describes (signal_fault, signal_trap). */
static void signal_raise_sync(struct task *t, struct ksiginfo info)
{
	struct process *p = t->proc;
	int sig = info.signo, code = info.code;
	uintptr_t addr = info.addr;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct proc_sigaction *a = &p->actions[sig - 1];
	/* a fault the program blocks or ignores cannot be skipped: the default action */
	if ((t->sigmask & SIG_BIT(sig)) || a->handler == SIG_IGN) {
		a->handler = SIG_DFL;
		t->sigmask &= ~SIG_BIT(sig);
	}
	bool fatal = a->handler == SIG_DFL;
	t->info[sig - 1] = info;
	t->pending |= SIG_BIT(sig);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (fatal) /* as Linux's show_unhandled_signals */
		kprintf("amphi: pid %u (%s): %s at %#lx, pc %#lx\n", p->pid, p->comm,
			signal_fault_name(sig, code), (unsigned long)addr,
			(unsigned long)arch_user_pc(&t->regs));
}

void signal_fault(struct task *t, int sig, int code, uintptr_t addr, unsigned access)
{
	signal_raise_sync(t, (struct ksiginfo){.signo = sig, .code = code, .addr = addr,
					       .access = access});
}

void signal_trap(struct task *t, int sig, int code, uintptr_t addr, unsigned trap)
{
	signal_raise_sync(t, (struct ksiginfo){.signo = sig, .code = code, .addr = addr,
					       .trap = trap});
}

void signal_discard(struct process *p, uint64_t set)
{
	struct list_node *pos;

	p->shared_pending &= ~set;
	list_for_each(pos, &p->tasks)
		list_entry(pos, struct task, node)->pending &= ~set;
}

void signal_exec_reset(struct task *t)
{
	struct process *p = t->proc;

	for (int i = 0; i < PROC_NSIG; i++) {
		struct proc_sigaction *a = &p->actions[i];
		uint64_t handler = a->handler == SIG_IGN ? SIG_IGN : SIG_DFL;
		if (a->handler != SIG_IGN)
			*a = (struct proc_sigaction){.handler = handler};
	}
}

int signal_take(struct task *t, uint64_t set, struct ksiginfo *info)
{
	struct process *p = t->proc;
	uint64_t mine = t->pending & set, shared = p->shared_pending & set;
	bool own = mine != 0;
	uint64_t from = own ? mine : shared;

	if (!from)
		return 0;
	int sig = __builtin_ctzll(from) + 1;
	if (own) {
		t->pending &= ~SIG_BIT(sig);
		*info = t->info[sig - 1];
	} else {
		p->shared_pending &= ~SIG_BIT(sig);
		*info = p->shared_info[sig - 1];
	}
	return sig;
}

/* The stop condition (a task_wait_event callback): continued or killed. */
static bool signal_stop_over(void *ctx)
{
	struct task *t = ctx;

	return !t->proc->stopped || t->exiting || t->proc->group_exit;
}

/* Stops t's process for sig (proc_lock held on entry, released on return): the parent
 * learns of it, and t sleeps until SIGCONT or SIGKILL. */
static void signal_stop(struct task *t, int sig, irqflags_t flags)
{
	struct process *p = t->proc;
	struct list_node *pos;

	if (!p->stopped) {
		p->stopped = true;
		p->stop_sig = sig;
		p->report_stop = true;
		p->report_cont = false;
		signal_notify_parent_stop(p, CLD_STOPPED, sig);
		list_for_each(pos, &p->tasks)
			task_kick(list_entry(pos, struct task, node));
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	task_wait_event_killable(signal_stop_over, t, UINT64_MAX);
}

void signal_siginfo(uint8_t *out, const struct ksiginfo *info)
{
	int32_t head[4] = {info->signo, 0, info->code, 0};

	memset(out, 0, ARCH_SIGINFO_SIZE);
	memcpy(out, head, sizeof(head));
	if (info->signo == SIGSEGV || info->signo == SIGBUS || info->signo == SIGILL ||
	    info->signo == SIGFPE || info->signo == SIGTRAP) {
		uint64_t addr = info->addr;
		memcpy(out + 16, &addr, sizeof(addr));
		return;
	}
	int32_t ids[3] = {info->pid, info->uid, info->status};
	memcpy(out + 16, ids, sizeof(ids));
}

/* True when sp lies on t's alternate signal stack. */
static bool signal_on_altstack(const struct task *t, uintptr_t sp)
{
	return t->altstack_sp && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

/* What a pending syscall result becomes when a handler runs: -EINTR, or a restart when
 * SA_RESTART allows it. */
static void signal_syscall_interrupted(struct task *t, const struct proc_sigaction *a)
{
	long r = arch_syscall_result(&t->regs);

	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	if (r == -ERESTARTSYS && (a->flags & SA_RESTART))
		arch_syscall_restart(&t->regs, t->syscall_nr, t->syscall_arg0);
	else if (r == -ERESTARTSYS || r == -ERESTARTNOHAND)
		arch_syscall_set_result(&t->regs, -EINTR);
}

/* Enters the handler a for sig: a frame on the right stack, then the new mask. Returns 0,
 * or -EFAULT when the frame cannot be written. */
static int signal_handle(struct task *t, int sig, const struct ksiginfo *info,
			 const struct proc_sigaction *a)
{
	uint8_t siginfo[ARCH_SIGINFO_SIZE];
	uintptr_t sp = arch_user_sp(&t->regs);
	bool on_alt = signal_on_altstack(t, sp);
	struct arch_sigframe f = {
	    .signo = sig, .siginfo = siginfo, .handler = a->handler, .flags = a->flags,
	    .restorer = a->restorer, .mask = t->restore_sigmask ? t->saved_sigmask : t->sigmask,
	    .sp = sp, .ss_sp = t->altstack_sp, .ss_size = t->altstack_size,
	    .ss_flags = !t->altstack_sp ? SS_DISABLE : on_alt ? SS_ONSTACK : 0,
	    .fault_addr = info->addr, .fault_access = info->access,
	    .fault_mapped = info->code == SEGV_ACCERR, .fault_trap = info->trap};

	signal_siginfo(siginfo, info);
	signal_syscall_interrupted(t, a);
	if ((a->flags & SA_ONSTACK) && t->altstack_sp && !on_alt) {
		f.sp = t->altstack_sp + t->altstack_size;
		f.on_altstack = true;
	}
	plat_user_save_fp(); /* the frame takes the FP registers from t->regs */
	if (arch_signal_push(t->proc->vm, &t->regs, &f) < 0)
		return -EFAULT;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	t->restore_sigmask = false;
	t->sigmask |= a->mask | ((a->flags & SA_NODEFER) ? 0 : SIG_BIT(sig));
	t->sigmask &= ~SIG_UNBLOCKABLE;
	if (a->flags & SA_RESETHAND)
		t->proc->actions[sig - 1] = (struct proc_sigaction){.handler = SIG_DFL};
	spin_unlock_irqrestore(&proc_lock, flags);
	return 0;
}

/* The default action of sig for t (proc_lock held on entry, released on return). */
static void signal_default(struct task *t, int sig, irqflags_t flags)
{
	if (SIG_DEFAULT_IGNORE & SIG_BIT(sig)) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return;
	}
	if (SIG_STOPS & SIG_BIT(sig)) {
		signal_stop(t, sig, flags);
		return;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	process_exit_group(t->proc, sig); /* no core dumps: WCOREDUMP stays clear */
}

/* A syscall no handler interrupted: restarted when it asked to be. */
static void signal_no_handler(struct task *t)
{
	long r = arch_syscall_result(&t->regs);

	if (t->in_syscall && (r == -ERESTARTSYS || r == -ERESTARTNOHAND))
		arch_syscall_restart(&t->regs, t->syscall_nr, t->syscall_arg0);
	t->in_syscall = false;
	if (t->restore_sigmask) {
		irqflags_t flags = spin_lock_irqsave(&proc_lock);
		t->sigmask = t->saved_sigmask;
		t->restore_sigmask = false;
		spin_unlock_irqrestore(&proc_lock, flags);
	}
}

void signal_deliver(struct task *t)
{
	struct ksiginfo info;

	for (;;) {
		irqflags_t flags = spin_lock_irqsave(&proc_lock);
		if (t->exiting || t->proc->group_exit) {
			spin_unlock_irqrestore(&proc_lock, flags);
			return;
		}
		if (t->proc->stopped) { /* another thread took the stop signal */
			spin_unlock_irqrestore(&proc_lock, flags);
			task_wait_event_killable(signal_stop_over, t, UINT64_MAX);
			continue;
		}
		int sig = signal_take(t, ~t->sigmask, &info);
		if (!sig) {
			spin_unlock_irqrestore(&proc_lock, flags);
			signal_no_handler(t);
			return;
		}
		struct proc_sigaction a = *signal_action(t->proc, sig);
		if (a.handler == SIG_IGN) {
			spin_unlock_irqrestore(&proc_lock, flags);
			continue;
		}
		if (a.handler == SIG_DFL) {
			signal_default(t, sig, flags);
			continue;
		}
		spin_unlock_irqrestore(&proc_lock, flags);
		if (signal_handle(t, sig, &info, &a) < 0) {
			kprintf("amphi: pid %u (%s): cannot write a signal frame: SIGSEGV\n",
				t->proc->pid, t->proc->comm);
			process_exit_group(t->proc, SIGSEGV);
		}
	}
}

int signal_return(struct task *t)
{
	uint64_t mask;
	plat_user_save_fp(); /* the frame's FP registers replace t->regs' */
	int err = arch_signal_pop(t->proc->vm, &t->regs, &mask);

	if (err)
		return err;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	spin_unlock_irqrestore(&proc_lock, flags);
	return 0;
}
