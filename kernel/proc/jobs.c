/*
 * Job control as a tty sees processes (struct tty_jobs, include/amphi/tty.h): the caller's
 * process group and session, its signal state, and signals to a whole group.
 */
#include <amphi/proc.h>
#include <amphi/tty.h>

static void jobs_signal_group(unsigned pgrp, int sig)
{
	struct ksiginfo info = {.signo = sig, .code = SI_KERNEL};

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	signal_send_group(pgrp, &info);
	spin_unlock_irqrestore(&proc_lock, flags);
}

static unsigned jobs_caller_pgrp(void)
{
	struct process *p = process_current();

	return p ? p->pgid : 0;
}

static unsigned jobs_caller_sid(void)
{
	struct process *p = process_current();

	return p ? p->sid : 0;
}

static bool jobs_caller_ignores(int sig)
{
	struct task *t = task_current();

	if (!t || sig < 1 || sig > PROC_NSIG)
		return false;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	bool ignores = (t->sigmask & SIG_BIT(sig)) || t->proc->actions[sig - 1].handler == SIG_IGN;
	spin_unlock_irqrestore(&proc_lock, flags);
	return ignores;
}

static bool jobs_caller_interrupted(void)
{
	struct task *t = task_current();

	if (!t)
		return false;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	bool pending = signal_pending(t);
	spin_unlock_irqrestore(&proc_lock, flags);
	return pending;
}

/* True when q is in the group and session asked for (a pid_for_each callback). */
static int jobs_in_session(struct process *q, void *ctx)
{
	const unsigned *want = ctx; /* {pgrp, sid} */

	return q->pgid == want[0] && q->sid == want[1];
}

bool pgrp_in_session(unsigned pgrp, unsigned sid)
{
	unsigned want[2] = {pgrp, sid};

	return pid_for_each(jobs_in_session, want);
}

static bool jobs_group_in_session(unsigned pgrp, unsigned sid)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	bool found = pgrp_in_session(pgrp, sid);
	spin_unlock_irqrestore(&proc_lock, flags);
	return found;
}

const struct tty_jobs proc_tty_jobs = {
	.signal_group = jobs_signal_group,
	.caller_pgrp = jobs_caller_pgrp,
	.caller_sid = jobs_caller_sid,
	.caller_ignores = jobs_caller_ignores,
	.caller_interrupted = jobs_caller_interrupted,
	.group_in_session = jobs_group_in_session,
};
