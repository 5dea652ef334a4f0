/*
 * The served process: syscalls issued by the host of the machine (plat/hostcall.h), as the
 * hosted kernel-as-a-library issues them. It is a process like any other (pid, descriptors,
 * root and working directory, an address space), whose tasks run a loop instead of user
 * code: for each request a task copies the host's buffers into a bounce area of its own
 * user memory, issues the syscall through the dispatcher with those user addresses (so
 * every pointer is checked and copied as for user code), and copies the results back.
 *
 * Several tasks serve, each in a slot the host names its requests by: the process's first
 * task, and the children a served task's clone, fork or vfork makes (threads sharing its
 * address space and descriptors, or processes with copies of them), which run the same
 * loop. They all stay on CPU 0, whose idle thread hands control to the host when nothing
 * there can run (hostcall_still): so a request that blocks leaves the host free to hand
 * another task the next one, and whether a call blocked is read from the machine's state
 * (its task still serving it when the machine is still), never from host timing.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/timer.h>
#include <amphi/vm.h>

#define HOSTCALL_BOUNCE_VA 0x10000000ul	 /* where the bounce area sits in user memory */
#define HOSTCALL_BOUNCE_SIZE (4ul << 20) /* room for every buffer of one request */
#define HOSTCALL_BUF_ALIGN 64ul

/* Copies call's input buffers into vm's bounce area and points their arguments there.
 * Returns 0, -E2BIG when they do not fit, or vm_copy_to_user's error. */
static int hostcall_copy_in(struct vm_space *vm, struct plat_hostcall *call)
{
	unsigned long offset = 0;

	for (unsigned i = 0; i < PLAT_HOSTCALL_BUFS; i++) {
		struct plat_hostcall_buf *b = &call->buf[i];
		if (!b->host)
			continue;
		if (b->arg >= 6 || b->len > HOSTCALL_BOUNCE_SIZE - offset)
			return -E2BIG;
		call->args[b->arg] = HOSTCALL_BOUNCE_VA + offset;
		if (b->flags & PLAT_HOSTCALL_IN) {
			int err = vm_copy_to_user(vm, call->args[b->arg], b->host, b->len);
			if (err)
				return err;
		}
		offset = (offset + b->len + HOSTCALL_BUF_ALIGN - 1) & ~(HOSTCALL_BUF_ALIGN - 1);
	}
	return 0;
}

/* Copies call's output buffers back to the host after the syscall returned result (none
 * after a failure, which leaves them as they were, as Linux does). */
static int hostcall_copy_out(struct vm_space *vm, const struct plat_hostcall *call, long result)
{
	if (result < 0)
		return 0;
	for (unsigned i = 0; i < PLAT_HOSTCALL_BUFS; i++) {
		const struct plat_hostcall_buf *b = &call->buf[i];
		size_t n = b->flags & PLAT_HOSTCALL_OUT ? b->len : 0;
		if (b->flags & PLAT_HOSTCALL_OUT_RESULT)
			n = result > 0 ? (size_t)result < b->len ? (size_t)result : b->len : 0;
		if (!b->host || !n)
			continue;
		int err = vm_copy_from_user(vm, b->host, call->args[b->arg], n);
		if (err)
			return err;
	}
	return 0;
}

/* A served task's place: the host names requests by its index (proc_lock). */
struct hostcall_slot {
	struct task *task;	    /* NULL: free */
	struct plat_hostcall *call; /* the request it serves or was handed, else NULL */
	struct ktimer deadline;	    /* the request's timeout */
};

static struct {
	struct hostcall_slot slot[PLAT_HOSTCALL_TASKS];
	struct plat_hostcall_task view[PLAT_HOSTCALL_TASKS]; /* what the host sees */
	struct task *first; /* the served process's first task: slot 0 */
	bool stopping;	    /* the host has no more requests */
} hostcall;

/* Timer callback: the request outlived its timeout; its wait ends as for a signal. */
static void hostcall_expired(struct ktimer *kt)
{
	struct task *t = container_of(kt, struct hostcall_slot, deadline)->task;

	atomic_store_relaxed(&t->call_expired, true);
	thread_wake(t->kthread);
}

/* Issues call's syscall in the context of s's task, bounded by its timeout. */
static long hostcall_issue(struct hostcall_slot *s, struct plat_hostcall *call)
{
	struct task *t = s->task;

	if (call->timeout_ns) {
		ktimer_init(&s->deadline, hostcall_expired);
		ktimer_start(&s->deadline, plat_time_ns() + call->timeout_ns);
	}
	long result = call->kfn ? call->kfn(call->karg) : syscall_issue(t, call->nr, call->args);
	if (call->timeout_ns) {
		ktimer_cancel(&s->deadline);
		atomic_store_relaxed(&t->call_expired, false);
	}
	return result;
}

/* Runs one request in the context of s's task; its result. */
static long hostcall_run(struct hostcall_slot *s, struct plat_hostcall *call)
{
	struct task *t = s->task;
	struct vm_space *vm = t->proc->vm;
	long result = call->kfn ? 0 : hostcall_copy_in(vm, call);

	if (result)
		return result;
	result = hostcall_issue(s, call);
	t->in_syscall = false;
	if (result == -ERESTARTSYS || result == -ERESTARTNOHAND)
		result = -EINTR; /* no signal handler runs here to restart it */
	int err = hostcall_copy_out(vm, call, result);
	return err ? err : result;
}

/* True when s's task is to stop serving: the host has no more requests, or (any task but
 * the first, which stays for the host) it exited or its group is ending (proc_lock held). */
static bool hostcall_leaving(const struct hostcall_slot *s)
{
	return hostcall.stopping || (s->task != hostcall.first && task_leaving(s->task));
}

/* The served task's wait (a task_wait_event callback): a request came, or it leaves. */
static bool hostcall_has_work(void *ctx)
{
	const struct hostcall_slot *s = ctx;

	return s->call || hostcall_leaving(s);
}

/* Waits until s's task has a request, which it returns; NULL when it is to leave. */
static struct plat_hostcall *hostcall_wait_request(struct hostcall_slot *s)
{
	task_wait_event_killable(hostcall_has_work, s, UINT64_MAX);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct plat_hostcall *call = s->call;
	spin_unlock_irqrestore(&proc_lock, flags);
	return call;
}

/* Ends s's request with result, for the host to find at its next still point. */
static void hostcall_finish(struct hostcall_slot *s, struct plat_hostcall *call, long result)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	call->result = result;
	call->done = true;
	s->call = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Takes a slot for t: slot 0 for the first task, the lowest free other one for a clone's
 * child. NULL when every slot is taken. */
static struct hostcall_slot *hostcall_take_slot(struct task *t)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct hostcall_slot *s = NULL;

	for (unsigned i = t == hostcall.first ? 0 : 1; i < PLAT_HOSTCALL_TASKS && !s; i++) {
		if (!hostcall.slot[i].task)
			s = &hostcall.slot[i];
	}
	if (s)
		s->task = t;
	spin_unlock_irqrestore(&proc_lock, flags);
	return s;
}

/* A served task's body: requests until the host has none, or (not the first) it exits. */
static void hostcall_loop(struct task *t)
{
	struct hostcall_slot *s = hostcall_take_slot(t);
	struct plat_hostcall *call;

	if (!s)
		return; /* every slot is taken: a child no request can reach ends at once */
	while ((call = hostcall_wait_request(s)) != NULL)
		hostcall_finish(s, call, hostcall_run(s, call));
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	s->task = NULL;
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Fills the host's view of the slots (proc_lock held). */
static void hostcall_publish(void)
{
	for (unsigned i = 0; i < PLAT_HOSTCALL_TASKS; i++) {
		const struct hostcall_slot *s = &hostcall.slot[i];
		struct plat_hostcall_task *v = &hostcall.view[i];
		v->tid = s->task ? s->task->tid : 0;
		v->pid = s->task ? s->task->proc->pid : 0;
		v->busy = s->call != NULL;
	}
}

/* Hands call to the task of the slot it names, which wakes; a call naming no task or a
 * busy one fails at once (-ESRCH, -EBUSY). True when a task woke (proc_lock held). */
static bool hostcall_hand(struct plat_hostcall *call)
{
	struct hostcall_slot *s = call->task < PLAT_HOSTCALL_TASKS ? &hostcall.slot[call->task] : NULL;

	if (!s || !s->task || s->call) {
		call->result = !s || !s->task ? -ESRCH : -EBUSY;
		call->done = true;
		return false;
	}
	s->call = call;
	thread_wake(s->task->kthread);
	return true;
}

/* Ends every served task but the first, as exit(0) would, waking those that wait or block
 * (proc_lock held). */
static void hostcall_end_tasks(void)
{
	for (unsigned i = 1; i < PLAT_HOSTCALL_TASKS; i++) {
		struct task *t = hostcall.slot[i].task;
		if (!t)
			continue;
		t->exit_code = 0;
		atomic_store_relaxed(&t->exiting, true);
		task_kick(t);
	}
}

/* The host has no more requests: every served task leaves (proc_lock held). */
static void hostcall_stop(void)
{
	hostcall.stopping = true;
	for (unsigned i = 0; i < PLAT_HOSTCALL_TASKS; i++) {
		if (hostcall.slot[i].task)
			task_kick(hostcall.slot[i].task);
	}
}

/* CPU 0's idle hook: the machine is still, so the host runs until it says what it wants;
 * true when that made work. */
static bool hostcall_still(void)
{
	struct plat_hostcall *call = NULL;

	if (hostcall.stopping)
		return false;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	hostcall_publish();
	spin_unlock_irqrestore(&proc_lock, flags);
	enum plat_hostcall_order order = plat_hostcall_still(hostcall.view, &call);
	bool woke = true;
	flags = spin_lock_irqsave(&proc_lock);
	if (order == PLAT_HOSTCALL_ISSUE)
		woke = hostcall_hand(call);
	else if (order == PLAT_HOSTCALL_END_TASKS)
		hostcall_end_tasks();
	else if (order == PLAT_HOSTCALL_STOP)
		hostcall_stop();
	else
		woke = false;
	spin_unlock_irqrestore(&proc_lock, flags);
	return woke;
}

/* Gives p its descriptors (none open), file-system context and address space with the
 * bounce area. Returns 0 or -ENOMEM (what was made stays in p, for process_files_exit). */
static int hostcall_equip(struct process *p)
{
	p->fds = fd_table_create();
	p->fs = p->fds ? fs_context_create() : NULL;
	p->vm = p->fs ? vm_space_create() : NULL;
	if (!p->vm)
		return -ENOMEM;
	kstrlcpy(p->comm, "hostcall", sizeof(p->comm));
	kstrlcpy(p->exe, "hostcall", sizeof(p->exe));
	return vm_area_add(p->vm, HOSTCALL_BOUNCE_VA, HOSTCALL_BOUNCE_VA + HOSTCALL_BOUNCE_SIZE,
			   VM_READ | VM_WRITE, 0, NULL, 0, 0);
}

/* Starts the served process; NULL (and nothing held) when out of memory or ids. */
static struct process *hostcall_start(void)
{
	struct process *p = process_alloc();
	struct task *t = p ? task_alloc(p) : NULL;
	bool counted = false;

	int err = t ? hostcall_equip(p) : -ENOMEM;
	if (!err)
		err = fork_count_task(p, &t->nproc_uid);
	counted = !err;
	if (!err)
		err = task_attach(t, true);
	if (!err)
		hostcall.first = t;
	if (!err && task_run_served(t, hostcall_loop, 1) < 0) {
		task_unattach(t, true);
		err = -ENOMEM;
	}
	if (!err)
		return p;
	if (counted)
		fork_uncount_task(t->nproc_uid);
	if (p && p->vm)
		vm_space_put(p->vm);
	if (p)
		process_files_exit(p);
	kfree(t);
	kfree(p);
	return NULL;
}

int hostcall_serve(void)
{
	struct process *p = hostcall_start();

	if (!p) {
		kprintf("amphi: cannot start the process serving the host's syscalls\n");
		return 127;
	}
	sched_set_idle_hook(0, hostcall_still);
	int status = process_wait(p);
	sched_set_idle_hook(0, NULL);
	return proc_shell_status(status);
}
