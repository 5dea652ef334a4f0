/* Processes: the thread that runs a user program and what ends it. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/vm.h>

static unsigned proc_next_pid = 1;

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
			      const char *const *argv, const char *const *envp, int *err,
			      const char **why)
{
	struct process *p = process_alloc();

	*err = -ENOMEM;
	if (!p)
		return NULL;
	*err = exec_image(p, file, path, argv, envp, why);
	if (!*err) {
		p->thread = thread_create(p->comm, process_main, p, 0, 0);
		*err = p->thread ? 0 : -ENOMEM;
	}
	if (!*err)
		return p;
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
