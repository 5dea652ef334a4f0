/*
 * Futexes: tasks sleeping on a user word until another task wakes that word. A word in a
 * shared mapping (MAP_SHARED memory or file) is keyed by its memory object and offset, so
 * processes mapping it meet there, as Linux's shared futexes; any other word by (address
 * space, user address), so threads sharing a space (CLONE_VM) meet. One list under
 * proc_lock: waking a task takes that lock anyway.
 */
#include <amphi/errno.h>
#include <amphi/proc.h>
#include <amphi/vm.h>

/* What names a futex word: a memory object and offset, or an address space and address. */
struct futex_key {
	const void *base;
	uint64_t off;
};

/* One sleeping task; lives on its stack. */
struct futex_waiter {
	struct list_node node;
	struct futex_key key;
	uint32_t bitset;
	struct task *task;
	bool woken;
};

static struct list_node futex_waiters = LIST_INIT(futex_waiters);

/* The key of the word at uaddr in vm. */
static struct futex_key futex_key_of(struct vm_space *vm, uintptr_t uaddr)
{
	uint64_t off;
	const struct vm_object *obj = vm_shared_object(vm, uaddr, &off);

	return obj ? (struct futex_key){obj, off} : (struct futex_key){vm, uaddr};
}

/* True when keys a and b name the same word. */
static bool futex_key_eq(struct futex_key a, struct futex_key b)
{
	return a.base == b.base && a.off == b.off;
}

int futex_wake(struct vm_space *vm, uintptr_t uaddr, int n, uint32_t bitset)
{
	struct list_node *pos, *next;
	int woken = 0;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct futex_key key = futex_key_of(vm, uaddr);
	for (pos = futex_waiters.next; pos != &futex_waiters && woken < n; pos = next) {
		next = pos->next;
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
		if (!futex_key_eq(w->key, key) || !(w->bitset & bitset))
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
	struct futex_waiter w = {.bitset = bitset, .task = t};
	struct vm_space *vm = t->proc->vm;
	uint32_t cur;

	if (uaddr & 3)
		return -EINVAL;
	/* the word is read under the lock wakers take: a wake after the read finds w queued */
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	w.key = futex_key_of(vm, uaddr);
	int err = vm_copy_from_user(vm, &cur, uaddr, sizeof(cur));
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
	struct futex_key key = futex_key_of(vm, uaddr), key2 = futex_key_of(vm, uaddr2);
	int err = cmp ? vm_copy_from_user(vm, &cur, uaddr, sizeof(cur)) : 0;
	if (!err && cmp && cur != val)
		err = -EAGAIN;
	for (pos = futex_waiters.next; !err && pos != &futex_waiters; pos = next) {
		next = pos->next;
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
		if (!futex_key_eq(w->key, key))
			continue;
		if (done < nwake) {
			list_del(&w->node);
			w->woken = true;
			task_kick(w->task);
			done++;
		} else if (moved < nrequeue) {
			w->key = key2;
			moved++;
		} else {
			break;
		}
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err ? err : done + moved;
}
