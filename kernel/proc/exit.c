/*
 * How processes end and are reaped: exit and exit_group, zombies, reparenting of orphans
 * to init (pid 1), SIGCHLD to the parent, and wait4/waitid's search of the children.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/proc.h>
#include <amphi/vm.h>

void task_exit(struct task *t, int code)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	t->exit_code = code;
	atomic_store_relaxed(&t->exiting, true);
	spin_unlock_irqrestore(&proc_lock, flags);
}

void process_exit_group_locked(struct process *p, int status)
{
	struct list_node *pos;

	if (p->group_exit)
		return;
	atomic_store_relaxed(&p->group_exit, true);
	p->exit_status = status;
	list_for_each(pos, &p->tasks)
		task_kick(list_entry(pos, struct task, node));
}

void process_exit_group(struct process *p, int status)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	process_exit_group_locked(p, status);
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Wakes every task of p: a child changed state (proc_lock held). */
static void process_kick_all(struct process *p)
{
	struct list_node *pos;

	list_for_each(pos, &p->tasks)
		task_kick(list_entry(pos, struct task, node));
}

void task_vfork_release(struct task *t)
{
	struct task *parent = t->vfork_parent;

	if (!parent)
		return;
	parent->vfork_released = true;
	task_kick(parent);
	t->vfork_parent = NULL;
}

/* Releases a vfork parent waiting for p (proc_lock held). */
static void process_vfork_release(struct process *p)
{
	if (!p->vfork_parent)
		return;
	p->vfork_done = true;
	task_kick(p->vfork_parent);
	p->vfork_parent = NULL;
}

/* Takes reaped child c out of the tree and the table (proc_lock held). */
static void process_reap(struct process *c)
{
	c->state = PROC_REAPED;
	list_del(&c->sibling);
	list_init(&c->sibling);
	pid_detach_process(c);
	process_put_locked(c);
}

/* True when p's parent asked for no zombies (SIGCHLD ignored, or SA_NOCLDWAIT). */
static bool process_autoreap(const struct process *parent)
{
	const struct proc_sigaction *a = &parent->actions[SIGCHLD - 1];

	return a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

/* Tells p's parent that p ended: its exit signal, and wakes its waiters; reaps p at once
 * when nobody will (proc_lock held). */
static void process_notify_parent(struct process *p)
{
	struct process *parent = p->parent;
	int st = p->exit_status;
	struct ksiginfo info = {.signo = p->exit_signal, .pid = (int)p->pid,
				.code = (st & 0x7f) ? CLD_KILLED : CLD_EXITED,
				.status = (st & 0x7f) ? st & 0x7f : (st >> 8) & 0xff};

	if (!parent) {
		if (p->pid != INIT_PID || p->exit_signal)
			process_reap(p); /* an orphan of a dead init */
		return;
	}
	if (p->exit_signal == SIGCHLD && process_autoreap(parent)) {
		process_reap(p);
		return;
	}
	if (p->exit_signal)
		signal_send_process(parent, &info);
	process_kick_all(parent);
}

/* The process orphans are given to: init, unless it is the one ending or gone. */
static struct process *process_reaper_for(struct process *dying)
{
	struct process *init = pid_process(INIT_PID);

	return init && init != dying && init->state == PROC_LIVE ? init : NULL;
}

/* Gives p's children to init (proc_lock held); zombies among them are init's to reap. */
static void process_reparent_children(struct process *p)
{
	struct process *init = process_reaper_for(p);

	while (!list_empty(&p->children)) {
		struct process *c = list_entry(list_first(&p->children), struct process, sibling);
		list_del(&c->sibling);
		c->parent = init;
		if (init)
			list_add_tail(&init->children, &c->sibling);
		else
			list_init(&c->sibling);
		if (c->state == PROC_ZOMBIE) {
			c->exit_signal = SIGCHLD;
			process_notify_parent(c);
		}
	}
}

/* Gives back p's address space and program file, before anyone hears of its end (a wait
 * that reaps p, or the OOM killer waiting for it, finds its memory free), as Linux's
 * exit_mm comes before exit_notify. */
static void process_release_memory(struct process *p)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct vm_space *vm = p->vm;
	struct vm_object *exe = p->exe_file;

	p->vm = NULL;
	p->exe_file = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (vm)
		vm_space_put(vm);
	if (exe)
		vm_object_put(exe);
}

void process_exit_last(struct process *p)
{
	process_files_exit(p);
	process_release_memory(p);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	process_vfork_release(p);
	process_reparent_children(p);
	p->state = PROC_ZOMBIE;
	bool first = !p->parent && p->pid == INIT_PID && !p->exit_signal;
	process_notify_parent(p);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (first)
		complete_all(&p->exited);
}

/* What a wait looks for, and what it found. */
struct wait_search {
	struct process *self;
	int idtype;
	unsigned id;
	int options;
	struct wait_result *res;
	bool found, any;
};

/* True when child c is one the wait's idtype/id and __WALL/__WCLONE select. */
static bool wait_matches(const struct wait_search *w, const struct process *c)
{
	bool clone_child = c->exit_signal != SIGCHLD;

	if (!(w->options & __WALL) && clone_child != !!(w->options & __WCLONE))
		return false;
	switch (w->idtype) {
	case P_PID:
		return c->pid == w->id;
	case P_PGID:
		return c->pgid == w->id;
	default:
		return true;
	}
}

/* Reports c's exit into w (and reaps it unless WNOWAIT). */
static void wait_take_exit(struct wait_search *w, struct process *c)
{
	int st = c->exit_status;

	*w->res = (struct wait_result){c->pid, st, (st & 0x7f) ? CLD_KILLED : CLD_EXITED,
				       (st & 0x7f) ? st & 0x7f : (st >> 8) & 0xff,
				       c->cpu_ns_exited + c->cpu_ns_children};
	if (!(w->options & WNOWAIT)) {
		w->self->cpu_ns_children += w->res->cpu_ns;
		process_reap(c);
	}
}

/* Looks at child c for a state change the wait asks for; true when it took one. */
static bool wait_check_child(struct wait_search *w, struct process *c)
{
	bool keep = w->options & WNOWAIT;

	if (c->state == PROC_ZOMBIE && (w->options & WEXITED)) {
		wait_take_exit(w, c);
		return true;
	}
	if (c->state != PROC_LIVE)
		return false;
	if (c->stopped && c->report_stop && (w->options & WUNTRACED)) {
		*w->res = (struct wait_result){c->pid, (c->stop_sig << 8) | 0x7f, CLD_STOPPED,
					       c->stop_sig, 0};
		c->report_stop = keep;
		return true;
	}
	if (c->report_cont && (w->options & WCONTINUED)) {
		*w->res = (struct wait_result){c->pid, 0xffff, CLD_CONTINUED, SIGCONT, 0};
		c->report_cont = keep;
		return true;
	}
	return false;
}

/* The wait's condition (a task_wait_event callback): a child to report, or none at all. */
static bool wait_search_done(void *ctx)
{
	struct wait_search *w = ctx;
	struct list_node *pos, *next;

	w->any = false;
	for (pos = w->self->children.next; pos != &w->self->children; pos = next) {
		next = pos->next;
		struct process *c = list_entry(pos, struct process, sibling);
		if (!wait_matches(w, c))
			continue;
		w->any = true;
		if (wait_check_child(w, c)) {
			w->found = true;
			return true;
		}
	}
	return !w->any || (w->options & WNOHANG);
}

long proc_wait(struct task *t, int idtype, unsigned id, int options, struct wait_result *res)
{
	struct wait_search w = {t->proc, idtype, id, options, res, false, false};
	int err = task_wait_event(wait_search_done, &w, UINT64_MAX);

	if (err)
		return -ERESTARTSYS;
	if (w.found)
		return res->pid;
	return w.any ? 0 : -ECHILD;
}
