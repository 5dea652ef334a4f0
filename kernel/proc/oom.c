/*
 * The out-of-memory killer. When no page can be had for a task's user memory, the process
 * using the most memory (resident pages, as Linux's badness counts them) is killed with
 * SIGKILL and a console line naming it, and the task that ran out waits for that memory
 * to come back before it tries again. init (pid 1) is picked only when no other process
 * is left, and while a victim is still on its way out, nobody else is killed.
 */
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
	size_t pages;
	bool dying; /* the victim was killed already and still holds its memory */
};

/* The resident pages of p's address space (proc_lock held: p->vm stays). */
static size_t oom_pages(struct process *p)
{
	irqflags_t irq = spin_lock_irqsave(&p->vm->lock);
	size_t pages = p->vm->resident;

	spin_unlock_irqrestore(&p->vm->lock, irq);
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
 * is already dying with its memory. */
static int oom_consider(struct process *p, void *ctx)
{
	struct oom_choice *c = ctx;

	if (!p->vm)
		return 0;
	if (p->group_exit) {
		*c = (struct oom_choice){p, oom_pages(p), true};
		return 1;
	}
	size_t pages = oom_pages(p);
	if (oom_better(c, p, pages)) {
		c->victim = p;
		c->pages = pages;
	}
	return 0;
}

/* True when the victim (ctx) gave its memory back (a task_wait_event condition). */
static bool oom_victim_gone(void *ctx)
{
	const struct process *v = ctx;

	return !v->vm || v->state != PROC_LIVE;
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

void oom_kill(struct task *t)
{
	struct oom_choice c = {0};
	size_t total_kb = 0;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	pid_for_each(oom_consider, &c);
	struct process *v = c.victim ? c.victim : t->proc;
	if (!c.dying) {
		total_kb = v->vm ? v->vm->total_vm / 1024 : 0;
		process_exit_group_locked(v, SIGKILL);
	}
	v->refs++;
	unsigned pid = v->pid, uid = v->uid;
	char comm[PROC_COMM_MAX];
	memcpy(comm, v->comm, sizeof(comm));
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!c.dying)
		kprintf_err(
		    "Out of memory: Killed process %u (%s) total-vm:%zukB, rss:%zukB, UID:%u\n",
		    pid, comm, total_kb, c.pages * (PAGE_SIZE / 1024), uid);
	if (v != t->proc)
		oom_wait(v);
	flags = spin_lock_irqsave(&proc_lock);
	process_put_locked(v);
	spin_unlock_irqrestore(&proc_lock, flags);
}
