/*
 * The out-of-memory killer. When no page can be had for a task's user memory, the process
 * using the most memory (resident pages, as Linux's badness counts them) is killed with
 * SIGKILL and a console line naming it, and the task that ran out waits for that memory
 * to come back before it tries again. init (pid 1) is picked only when no other process
 * is left, and while a victim is still on its way out, nobody else is killed.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/sync.h>
#include <amphi/vm.h>

#define OOM_WAIT_SLICE_NS 10000000ULL /* how often the wait looks at the victim */
#define OOM_WAIT_MAX_NS 2000000000ULL /* the longest wait for one victim before trying again */

/* What the search found: the process to kill (or one already dying), and its size. */
struct oom_choice {
	struct process *victim;
	size_t pages, total; /* resident pages, address-space bytes */
	bool dying;	     /* the victim is ending already: its memory is on its way back */
};

/* The resident pages of p's address space, and its size in *total (bytes), 0 for none
 * (proc_lock held: p->vm stays). */
static size_t oom_pages(struct process *p, size_t *total)
{
	struct vm_space *vm = p->vm;

	*total = 0;
	if (!vm)
		return 0;
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
	size_t pages = vm->resident;
	*total = vm->total_vm;
	spin_unlock_irqrestore(&vm->lock, irq);
	return pages;
}

/* True when p should be picked before c's victim: not init unless that is init too, more
 * pages, and for equal pages the higher pid, so that the pick does not depend on the
 * table's order. */
static bool oom_better(const struct oom_choice *c, const struct process *p, size_t pages)
{
	const struct process *v = c->victim;

	if (!v)
		return true;
	if ((v->pid == INIT_PID) != (p->pid == INIT_PID))
		return v->pid == INIT_PID;
	return pages > c->pages || (pages == c->pages && p->pid > v->pid);
}

/* Looks at one live process for the search (a pid_for_each callback); stops at one that
 * is already being killed (it gives its memory back before it becomes a zombie). */
static int oom_consider(struct process *p, void *ctx)
{
	struct oom_choice *c = ctx;
	size_t total, pages = oom_pages(p, &total);

	if (p->group_exit) {
		*c = (struct oom_choice){p, pages, total, true};
		return 1;
	}
	if (p->vm && oom_better(c, p, pages))
		*c = (struct oom_choice){p, pages, total, false};
	return 0;
}

/* True when the victim (ctx) gave its memory back: it is a zombie or gone (a
 * task_wait_event condition). */
static bool oom_victim_gone(void *ctx)
{
	const struct process *v = ctx;

	return v->state != PROC_LIVE;
}

/* Waits until victim v has released its memory, a signal comes for the caller, or
 * OOM_WAIT_MAX_NS pass. May block. */
static void oom_wait(struct process *v)
{
	uint64_t end = plat_time_ns() + OOM_WAIT_MAX_NS;

	for (uint64_t now = plat_time_ns(); now < end; now = plat_time_ns()) {
		int err = task_wait_event(oom_victim_gone, v, MIN(end, now + OOM_WAIT_SLICE_NS));
		if (err != -ETIMEDOUT)
			return;
	}
}

/* Kills victim v (a reference held), unless it ended meanwhile. */
static void oom_send_kill(struct process *v)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	if (v->state == PROC_LIVE)
		process_exit_group_locked(v, SIGKILL);
	spin_unlock_irqrestore(&proc_lock, flags);
}

void oom_kill(struct task *t)
{
	struct oom_choice c = {0};
	char comm[PROC_COMM_MAX];

	if (atomic_load_relaxed(&t->proc->group_exit))
		return; /* being killed: the task leaves, and its memory comes back */
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	pid_for_each(oom_consider, &c);
	struct process *v = c.victim ? c.victim : t->proc;
	v->refs++;
	unsigned pid = v->pid, uid = v->uid;
	memcpy(comm, v->comm, sizeof(comm));
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!c.dying) {
		/* the line comes first, so that it precedes whatever the kill makes happen */
		kprintf_err(
		    "Out of memory: Killed process %u (%s) total-vm:%zukB, rss:%zukB, UID:%u\n",
		    pid, comm, c.total / 1024, c.pages * (PAGE_SIZE / 1024), uid);
		oom_send_kill(v);
	}
	if (v != t->proc)
		oom_wait(v);
	flags = spin_lock_irqsave(&proc_lock);
	process_put_locked(v);
	spin_unlock_irqrestore(&proc_lock, flags);
}
