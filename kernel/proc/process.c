/*
 * Processes and tasks: allocation, the kernel thread that runs a task's user code, how a
 * task sleeps in a syscall (interrupted by signals), and the reaper that frees the kernel
 * threads of tasks that ended (a thread cannot free its own stack).
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/timer.h>
#include <amphi/vm.h>

static struct list_node reaper_list = LIST_INIT(reaper_list); /* struct task, by dead */
static struct semaphore reaper_sem;
static struct thread *reaper_thread;

struct task *task_current(void)
{
	struct thread *t = thread_current();

	return t ? t->task : NULL;
}

struct process *process_current(void)
{
	struct task *t = task_current();

	return t ? t->proc : NULL;
}

struct process *process_alloc(void)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1; /* the unreaped state's */
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->tasks);
	list_init(&p->hash);
	rlimit_init(p);
	completion_init(&p->exited, "process_exited");
	return p;
}

void process_put_locked(struct process *p)
{
	if (p->refs == 0)
		panic("process_put: pid %u has no references left", p->pid);
	if (--p->refs == 0)
		kfree(p);
}

struct task *task_alloc(struct process *p)
{
	struct task *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->proc = p;
	list_init(&t->node);
	list_init(&t->hash);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	p->refs++;
	spin_unlock_irqrestore(&proc_lock, flags);
	return t;
}

void task_free_unstarted(struct task *t)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	process_put_locked(t->proc);
	spin_unlock_irqrestore(&proc_lock, flags);
	kfree(t);
}

void task_kick(struct task *t)
{
	struct thread *k = t->kthread;

	if (!k || thread_wake(k))
		return;
	/* running: its user code stops at the next interrupt, which this one is */
	if (atomic_load_relaxed(&k->on_cpu) && k->cpu != plat_cpu_id())
		ipi_send(1ULL << k->cpu, IPI_RESCHEDULE);
}

/* A timeout of task_wait_event. */
struct task_timer {
	struct ktimer timer;
	struct thread *thread;
};

/* Timer callback: wakes the sleeper, which finds its deadline passed. */
static void task_timer_expired(struct ktimer *kt)
{
	thread_wake(container_of(kt, struct task_timer, timer)->thread);
}

/* task_wait_event; signals interrupt it when interruptible. */
static int task_wait(bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns,
		     bool interruptible)
{
	struct task *t = task_current();
	struct task_timer tt = {.thread = thread_current()};
	int err;

	ktimer_init(&tt.timer, task_timer_expired);
	for (;;) {
		irqflags_t flags = spin_lock_irqsave(&proc_lock);
		err = done(ctx)				  ? 0
		      : interruptible && signal_pending(t) ? -EINTR
				 : plat_time_ns() >= deadline_ns ? -ETIMEDOUT : 1;
		if (err <= 0) {
			spin_unlock_irqrestore(&proc_lock, flags);
			break;
		}
		/* marked asleep under the lock its wakers take: no wake-up is lost */
		thread_prepare_sleep();
		if (deadline_ns != UINT64_MAX)
			ktimer_start(&tt.timer, deadline_ns);
		spin_unlock(&proc_lock);
		schedule();
		plat_irq_restore(flags);
	}
	ktimer_cancel(&tt.timer);
	return err;
}

int task_wait_event(bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns)
{
	return task_wait(done, ctx, deadline_ns, true);
}

int task_wait_event_killable(bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns)
{
	return task_wait(done, ctx, deadline_ns, false);
}

/* The reaper: joins the kernel threads of ended tasks and frees them. */
static void reaper_main(void *arg)
{
	(void)arg;
	for (;;) {
		sem_down(&reaper_sem);
		irqflags_t flags = spin_lock_irqsave(&proc_lock);
		struct task *t = list_entry(list_first(&reaper_list), struct task, dead);
		list_del(&t->dead);
		spin_unlock_irqrestore(&proc_lock, flags);
		thread_join(t->kthread);
		flags = spin_lock_irqsave(&proc_lock);
		process_put_locked(t->proc);
		spin_unlock_irqrestore(&proc_lock, flags);
		kfree(t);
	}
}

/* Starts the reaper on first use (before any task can end). Returns 0 or -ENOMEM. */
static int reaper_start(void)
{
	static struct spinlock once = SPINLOCK_INIT("reaper_start");
	irqflags_t flags = spin_lock_irqsave(&once);
	bool first = !reaper_thread;

	if (first)
		sem_init(&reaper_sem, "reaper", 0);
	spin_unlock_irqrestore(&once, flags);
	if (first)
		reaper_thread = thread_create("reaper", reaper_main, NULL, 0, 0);
	return reaper_thread ? 0 : -ENOMEM;
}

/* Clears and wakes t's clear_child_tid word (thread exit, exec), as pthread_join expects. */
static void task_clear_tid(struct task *t)
{
	uint32_t zero = 0;

	if (!t->clear_child_tid || !t->proc->vm)
		return;
	if (vm_copy_to_user(t->proc->vm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake(t->proc->vm, t->clear_child_tid, 1, ~0u);
	t->clear_child_tid = 0;
}

/* t's kernel thread is about to end: takes t out of its process and the table, ends the
 * process when t was its last task, and hands t to the reaper. */
static void task_leave(struct task *t)
{
	struct process *p = t->proc;

	task_clear_tid(t);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	task_vfork_release(t);
	pid_detach(t);
	list_del(&t->node);
	p->cpu_ns_exited += thread_cpu_ns(t->kthread);
	bool last = --p->live_tasks == 0;
	if (last && !p->group_exit)
		p->exit_status = (t->exit_code & 0xff) << 8;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (last)
		process_exit_last(p);
	fork_uncount_task(t->nproc_uid);
	flags = spin_lock_irqsave(&proc_lock);
	list_add_tail(&reaper_list, &t->dead);
	spin_unlock_irqrestore(&proc_lock, flags);
	sem_up(&reaper_sem);
}

/* What a refused access means for t: SIGSEGV with SEGV_MAPERR (nothing mapped there) or
 * SEGV_ACCERR (the mapping forbids it), at the faulting address; no page for it, the OOM
 * killer, after which the access runs again. */
static void task_fault(struct task *t, const struct plat_user_fault *f)
{
	if (f->error == -ENOMEM) {
		oom_kill(t);
		return;
	}
	signal_fault(t, SIGSEGV, f->error == -EFAULT ? SEGV_MAPERR : SEGV_ACCERR, f->addr,
		     f->access);
}

/* The signal Linux sends for trap f: SIGFPE, SIGTRAP, SIGBUS or SIGSEGV, with its si_code. */
static void task_trap(struct task *t, const struct plat_user_fault *f)
{
	switch (f->error) {
	case PLAT_TRAP_DIVIDE:
		signal_trap(t, SIGFPE, FPE_INTDIV, f->addr, PLAT_TRAP_DIVIDE);
		break;
	case PLAT_TRAP_FP:
		signal_trap(t, SIGFPE, FPE_FLTINV, f->addr, PLAT_TRAP_FP);
		break;
	case PLAT_TRAP_BREAKPOINT:
		signal_trap(t, SIGTRAP, GUEST_BREAKPOINT_SI_CODE, f->addr, PLAT_TRAP_BREAKPOINT);
		break;
	case PLAT_TRAP_ALIGN:
		signal_trap(t, SIGBUS, BUS_ADRALN, f->addr, PLAT_TRAP_ALIGN);
		break;
	case PLAT_TRAP_PROTECTION: /* Linux: SI_KERNEL, no address */
		signal_trap(t, SIGSEGV, SI_KERNEL, 0, PLAT_TRAP_PROTECTION);
		break;
	default:
		panic("task_trap: trap %d is none of plat_user_trap's", f->error);
	}
}

bool task_leaving(const struct task *t)
{
	return atomic_load_relaxed(&t->exiting) || atomic_load_relaxed(&t->proc->group_exit);
}

uint64_t process_cpu_ns(const struct process *p)
{
	uint64_t ns = p->cpu_ns_exited;
	const struct list_node *pos;

	list_for_each(pos, &p->tasks)
	{
		const struct task *t = list_entry(pos, struct task, node);
		if (t->kthread)
			ns += thread_cpu_ns(t->kthread);
	}
	return ns;
}

/* A task's kernel thread: runs its user code, handling what stops it, and delivers
 * signals on each way back. */
/* Makes the calling kernel thread t's. */
static void task_enter(struct task *t)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	t->kthread = thread_current();
	t->kthread->task = t;
	spin_unlock_irqrestore(&proc_lock, flags);
}

static void task_main(void *arg)
{
	struct task *t = arg;
	struct plat_user_fault fault;

	task_enter(t);
	signal_deliver(t);
	while (!task_leaving(t)) {
		switch (plat_user_run(t->proc->vm, &t->regs, &fault)) {
		case PLAT_USER_SYSCALL:
			syscall_dispatch(t);
			break;
		case PLAT_USER_FAULT:
			task_fault(t, &fault);
			break;
		case PLAT_USER_ILLEGAL:
			signal_fault(t, SIGILL, ILL_ILLOPC, arch_user_pc(&t->regs), 0);
			break;
		case PLAT_USER_TRAP:
			task_trap(t, &fault);
			break;
		default: /* an interrupt: taken already; preemption happened if due */
			break;
		}
		signal_deliver(t);
	}
	task_leave(t);
}

int task_attach(struct task *t, bool leader)
{
	struct process *p = t->proc;
	int err = reaper_start();

	if (err)
		return err;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	int id = pid_attach(t, leader);
	if (id > 0) {
		if (leader && !p->pgid)
			p->pgid = p->sid = p->pid; /* the first process leads its own session */
		list_add_tail(&p->tasks, &t->node);
		p->live_tasks++;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return id < 0 ? id : 0;
}

void task_unattach(struct task *t, bool leader)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	list_del(&t->node);
	t->proc->live_tasks--;
	pid_detach(t);
	if (leader)
		pid_detach_process(t->proc);
	spin_unlock_irqrestore(&proc_lock, flags);
}

int task_run(struct task *t)
{
	return thread_create(t->proc->comm, task_main, t, 0, 0) ? 0 : -ENOMEM;
}

/* A served task's kernel thread: its body instead of user code. */
static void task_served_main(void *arg)
{
	struct task *t = arg;

	task_enter(t);
	t->served(t);
	task_leave(t);
}

int task_run_served(struct task *t, void (*body)(struct task *t), cpumask_t affinity)
{
	t->served = body;
	return thread_create(t->proc->comm, task_served_main, t, 0, affinity) ? 0 : -ENOMEM;
}

struct process *process_start(const char *path, const char *const *argv,
			      const char *const *envp,
			      struct fd_table *fds, struct fs_context *fs, int *err,
			      const char **why)
{
	struct process *p = process_alloc();
	struct task *t = p ? task_alloc(p) : NULL;

	*err = -ENOMEM;
	if (!t) {
		kfree(p);
		fd_table_put(fds);
		fs_context_put(fs);
		return NULL;
	}
	p->fds = fds;
	p->fs = fs;
	*err = fork_count_task(p, &t->nproc_uid);
	bool counted = !*err;
	if (!*err)
		*err = exec_first(t, path, argv, envp, why);
	if (!*err)
		*err = task_attach(t, true);
	if (!*err && task_run(t) < 0) {
		task_unattach(t, true);
		*err = -ENOMEM;
	}
	if (!*err)
		return p;
	if (counted)
		fork_uncount_task(t->nproc_uid);
	if (p->vm)
		vm_space_put(p->vm);
	if (p->exe_file)
		vm_object_put(p->exe_file);
	process_files_exit(p);
	kfree(t);
	kfree(p);
	return NULL;
}

int process_wait(struct process *p)
{
	wait_for_completion(&p->exited);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	int status = p->exit_status;
	p->state = PROC_REAPED;
	pid_detach_process(p);
	process_put_locked(p);
	spin_unlock_irqrestore(&proc_lock, flags);
	return status;
}
