/*
 * Futexes: tasks sleeping on a user word until another task wakes that word. Waiters are
 * keyed by (address space, user address), so private futexes and those of threads sharing
 * a space (CLONE_VM) meet; process-shared futexes over MAP_SHARED memory need a key by
 * memory object and offset, which arrives with shared file mappings. One list under
 * proc_lock: waking a task takes that lock anyway.
 */
#include <amphi/errno.h>
#include <amphi/proc.h>
#include <amphi/vm.h>

/* One sleeping task; lives on its stack. */
struct futex_waiter {
	struct list_node node;
	struct vm_space *vm;
	uintptr_t uaddr;
	uint32_t bitset;
	struct task *task;
	bool woken;
};

static struct list_node futex_waiters = LIST_INIT(futex_waiters);

int futex_wake(struct vm_space *vm, uintptr_t uaddr, int n, uint32_t bitset)
{
	struct list_node *pos, *next;
	int woken = 0;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	for (pos = futex_waiters.next; pos != &futex_waiters && woken < n; pos = next) {
		next = pos->next;
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
		if (w->vm != vm || w->uaddr != uaddr || !(w->bitset & bitset))
			continue;
		list_del(&w->node);
		w->woken = true;
		task_kick(w->task);
		woken++;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return woken;
}

/* The waiter's condition (a task_wait_event callback). */
static bool futex_woken(void *ctx)
{
	return ((struct futex_waiter *)ctx)->woken;
}

int futex_wait(struct task *t, uintptr_t uaddr, uint32_t val, uint64_t deadline_ns,
	       uint32_t bitset)
{
	struct futex_waiter w = {.vm = t->proc->vm, .uaddr = uaddr, .bitset = bitset, .task = t};
	uint32_t cur;

	if (uaddr & 3)
		return -EINVAL;
	/* the word is read under the lock wakers take: a wake after the read finds w queued */
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	int err = vm_copy_from_user(w.vm, &cur, uaddr, sizeof(cur));
	if (!err && cur != val)
		err = -EAGAIN;
	if (!err)
		list_add_tail(&futex_waiters, &w.node);
	spin_unlock_irqrestore(&proc_lock, flags);
	if (err)
		return err;
	err = task_wait_event(futex_woken, &w, deadline_ns);
	flags = spin_lock_irqsave(&proc_lock);
	if (!w.woken)
		list_del(&w.node);
	else
		err = 0; /* a wake that raced with a signal or the timeout counts */
	spin_unlock_irqrestore(&proc_lock, flags);
	return err == -EINTR ? (deadline_ns == UINT64_MAX ? -ERESTARTSYS : -EINTR) : err;
}

int futex_requeue(struct vm_space *vm, uintptr_t uaddr, uintptr_t uaddr2, int nwake,
		  int nrequeue, bool cmp, uint32_t val)
{
	struct list_node *pos, *next;
	int done = 0, moved = 0;
	uint32_t cur;

	if ((uaddr & 3) || (uaddr2 & 3) || nwake < 0 || nrequeue < 0)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	int err = cmp ? vm_copy_from_user(vm, &cur, uaddr, sizeof(cur)) : 0;
	if (!err && cmp && cur != val)
		err = -EAGAIN;
	for (pos = futex_waiters.next; !err && pos != &futex_waiters; pos = next) {
		next = pos->next;
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
		if (w->vm != vm || w->uaddr != uaddr)
			continue;
		if (done < nwake) {
			list_del(&w->node);
			w->woken = true;
			task_kick(w->task);
			done++;
		} else if (moved < nrequeue) {
			w->uaddr = uaddr2;
			moved++;
		} else {
			break;
		}
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err ? err : done + moved;
}
