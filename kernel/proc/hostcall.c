/*
 * The served process: syscalls issued by the host of the machine (plat/hostcall.h), as the
 * hosted kernel-as-a-library issues them. It is a process like any other (pid, descriptors,
 * root and working directory, an address space), whose one task runs a loop instead of user
 * code: for each request it copies the host's buffers into a bounce area of its own user
 * memory, issues the syscall through the dispatcher with those user addresses (so every
 * pointer is checked and copied as for user code), and copies the results back. Its thread
 * stays on CPU 0, where the host hands requests in.
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

/* The timeout of the request being served. */
static struct {
	struct ktimer timer;
	struct task *task;
} hostcall_deadline;

/* Timer callback: the request outlived its timeout; its wait ends as for a signal. */
static void hostcall_expired(struct ktimer *kt)
{
	(void)kt;
	atomic_store_relaxed(&hostcall_deadline.task->call_expired, true);
	thread_wake(hostcall_deadline.task->kthread);
}

/* Issues call's syscall in t's context, bounded by its timeout. */
static long hostcall_issue(struct task *t, struct plat_hostcall *call)
{
	if (call->timeout_ns) {
		hostcall_deadline.task = t;
		ktimer_init(&hostcall_deadline.timer, hostcall_expired);
		ktimer_start(&hostcall_deadline.timer, plat_time_ns() + call->timeout_ns);
	}
	long result = call->kfn ? call->kfn(call->karg) : syscall_issue(t, call->nr, call->args);
	if (call->timeout_ns) {
		ktimer_cancel(&hostcall_deadline.timer);
		atomic_store_relaxed(&t->call_expired, false);
	}
	return result;
}

/* Runs one request in t's context; its result. */
static long hostcall_run(struct task *t, struct plat_hostcall *call)
{
	struct vm_space *vm = t->proc->vm;
	long result = call->kfn ? 0 : hostcall_copy_in(vm, call);

	if (result)
		return result;
	result = hostcall_issue(t, call);
	t->in_syscall = false;
	if (result == -ERESTARTSYS || result == -ERESTARTNOHAND)
		result = -EINTR; /* no signal handler runs here to restart it */
	int err = hostcall_copy_out(vm, call, result);
	return err ? err : result;
}

/* The served task's body: requests until the host has none. */
static void hostcall_loop(struct task *t)
{
	struct plat_hostcall *call = NULL;
	irqflags_t flags = plat_irq_save();

	while ((call = plat_hostcall_next(call)) != NULL) {
		plat_irq_restore(flags);
		call->result = hostcall_run(t, call);
		flags = plat_irq_save();
	}
	plat_irq_restore(flags);
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
	return proc_shell_status(process_wait(p));
}
