/* Processes: the thread that runs a user program and what ends it. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/vm.h>

static unsigned proc_next_pid = 1;
static struct spinlock proc_list_lock = SPINLOCK_INIT("proc_list");
static struct list_node proc_list = LIST_INIT(proc_list);

void proc_for_each(int (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct list_node *pos;
	irqflags_t irq = spin_lock_irqsave(&proc_list_lock);

	list_for_each(pos, &proc_list)
	{
		if (fn(list_entry(pos, struct process, proc_node), ctx))
			break;
	}
	spin_unlock_irqrestore(&proc_list_lock, irq);
}

/* Adds p to or removes it from the list of live processes. */
static void process_list(struct process *p, bool add)
{
	irqflags_t irq = spin_lock_irqsave(&proc_list_lock);

	if (add)
		list_add_tail(&proc_list, &p->proc_node);
	else
		list_del(&p->proc_node);
	spin_unlock_irqrestore(&proc_list_lock, irq);
}

/* Drops what a process holds besides its address space: descriptors and fs context. */
static void process_release_files(struct process *p)
{
	if (p->fds)
		fd_table_put(p->fds);
	if (p->fs)
		fs_context_put(p->fs);
	p->fds = NULL;
	p->fs = NULL;
}

struct process *process_current(void)
{
	struct thread *t = thread_current();

	return t ? t->process : NULL;
}

void process_exit(struct process *p, int status)
{
	if (p->exiting)
		return;
	p->exiting = true;
	p->wait_status = status;
}

/* What a fault that the address space refused means for the process: SIGSEGV (or SIGILL),
 * the default action, with a line on the console as Linux's show_unhandled_signals. */
static void process_fault(struct process *p, const struct plat_user_fault *f)
{
	kprintf("amphi: pid %u (%s): %s at %#lx (%s), pc %#lx: SIGSEGV\n", p->pid, p->comm,
		f->error == -EFAULT ? "unmapped address" : "access not allowed",
		(unsigned long)f->addr,
		f->access == VM_WRITE ? "write" : f->access == VM_EXEC ? "execute" : "read",
		(unsigned long)arch_user_pc(&p->regs));
	process_exit(p, SIGSEGV);
}

/* The process's thread: runs its program until it exits. */
static void process_main(void *arg)
{
	struct process *p = arg;
	struct plat_user_fault fault;

	thread_current()->process = p;
	while (!p->exiting) {
		switch (plat_user_run(p->vm, &p->regs, &fault)) {
		case PLAT_USER_SYSCALL:
			syscall_dispatch(p);
			break;
		case PLAT_USER_FAULT:
			process_fault(p, &fault);
			break;
		case PLAT_USER_ILLEGAL:
			kprintf("amphi: pid %u (%s): illegal instruction at %#lx: SIGILL\n", p->pid,
				p->comm, (unsigned long)arch_user_pc(&p->regs));
			process_exit(p, SIGILL);
			break;
		default: /* an interrupt: taken already; preemption happened if due */
			break;
		}
	}
	process_list(p, false);
	process_release_files(p); /* pipes see their ends close as the process ends */
	complete_all(&p->exited);
}

/* A new process with no program. */
static struct process *process_alloc(void)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->pid = atomic_fetch_add(&proc_next_pid, 1);
	completion_init(&p->exited, "process_exited");
	return p;
}

struct process *process_start(struct vm_object *file, const char *path,
			      const char *const *argv, const char *const *envp,
			      struct fd_table *fds, struct fs_context *fs, int *err,
			      const char **why)
{
	struct process *p = process_alloc();

	*err = -ENOMEM;
	if (!p) {
		fd_table_put(fds);
		fs_context_put(fs);
		return NULL;
	}
	p->fds = fds;
	p->fs = fs;
	*err = exec_image(p, file, path, argv, envp, why);
	if (!*err) {
		process_list(p, true);
		p->thread = thread_create(p->comm, process_main, p, 0, 0);
		*err = p->thread ? 0 : -ENOMEM;
		if (*err)
			process_list(p, false);
	}
	if (!*err)
		return p;
	process_release_files(p);
	if (p->vm)
		vm_space_put(p->vm);
	kfree(p);
	return NULL;
}

int process_wait(struct process *p)
{
	wait_for_completion(&p->exited);
	thread_join(p->thread);
	int status = p->wait_status;
	vm_space_put(p->vm);
	kfree(p);
	return status;
}
