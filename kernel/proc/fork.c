/*
 * clone, fork and vfork: a new thread in the caller's process (CLONE_THREAD), or a new
 * process with a copy-on-write copy of the address space (or the same space, CLONE_VM),
 * the caller's signal actions and files. RLIMIT_NPROC bounds each user's tasks (root's
 * only through threads-max).
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define CLONE_SIGNAL_MASK 0xfful
/* what Amphi implements; CLONE_SYSVSEM, CLONE_IO, CLONE_DETACHED and CLONE_UNTRACED ask
 * for nothing it has, as on a Linux without them */
#define CLONE_KNOWN                                                                        \
	(CLONE_SIGNAL_MASK | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | \
	 CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |    \
	 CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO)

/* Linux's threads-max: it binds root too; RLIMIT_NPROC's default is half of it. */
#define FORK_THREADS_MAX 8192
#define FORK_USERS 64 /* users with tasks at once */

/* Tasks charged to one user (real uid), against RLIMIT_NPROC. */
struct fork_user {
	unsigned uid, tasks; /* tasks 0: a free slot */
};

static unsigned fork_tasks;			/* tasks alive (proc_lock) */
static struct fork_user fork_users[FORK_USERS]; /* (proc_lock) */

/* Linux's rules on flag combinations: -EINVAL when broken. */
static int clone_check_flags(unsigned long flags)
{
	if (flags & ~CLONE_KNOWN)
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && (flags & CLONE_SIGNAL_MASK))
		return -EINVAL;
	if ((flags & CLONE_SIGNAL_MASK) > PROC_NSIG)
		return -EINVAL;
	return 0;
}

/* The slot of uid's tasks, a free one when it has none, or NULL when every slot is in use
 * (proc_lock held). */
static struct fork_user *fork_user(unsigned uid)
{
	struct fork_user *free = NULL;

	for (unsigned i = 0; i < FORK_USERS; i++) {
		struct fork_user *u = &fork_users[i];
		if (u->tasks && u->uid == uid)
			return u;
		if (!u->tasks && !free)
			free = u;
	}
	if (free)
		free->uid = uid;
	return free;
}

/* Moves one task's charge from user `from` to user `to` (proc_lock held; to's slot
 * exists). */
static void fork_move_charge(unsigned from, unsigned to)
{
	struct fork_user *u = fork_user(from);

	if (!u || !u->tasks)
		panic("fork_move_charge: uid %u has no task charged", from);
	u->tasks--;
	fork_user(to)->tasks++;
}

int fork_count_task(struct process *p, unsigned *uid)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct fork_user *u = fork_tasks < FORK_THREADS_MAX ? fork_user(p->uid) : NULL;
	/* Linux lets root (its real or effective uid 0) past RLIMIT_NPROC */
	bool exempt = p->uid == 0 || proc_privileged(p);
	int err = !u || (!exempt && u->tasks >= rlimit_cur(p, RLIMIT_NPROC)) ? -EAGAIN : 0;

	if (!err) {
		u->tasks++;
		fork_tasks++;
		*uid = p->uid;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return err;
}

void fork_uncount_task(unsigned uid)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	struct fork_user *u = fork_user(uid);

	if (!u || !u->tasks)
		panic("fork_uncount_task: uid %u has no task charged", uid);
	u->tasks--;
	fork_tasks--;
	spin_unlock_irqrestore(&proc_lock, flags);
}

int proc_set_user(struct process *p, unsigned uid)
{
	struct list_node *pos;

	if (!fork_user(uid))
		return -EAGAIN;
	list_for_each(pos, &p->tasks)
	{
		struct task *t = list_entry(pos, struct task, node);
		fork_move_charge(t->nproc_uid, uid);
		t->nproc_uid = uid;
	}
	atomic_store_relaxed(&p->uid, uid);
	return 0;
}

/* The child's registers: the caller's, returning 0 from clone, on the new stack and TLS
 * when given. */
static void clone_regs(struct task *child, const struct task *t, const struct clone_args_k *a)
{
	plat_user_save_fp(); /* the parent's FP registers may still be only in this CPU */
	child->regs = t->regs;
	child->regs.fp_live = 0;
	arch_syscall_set_result(&child->regs, 0);
	if (a->stack)
		arch_user_set_sp(&child->regs, a->stack);
	if (a->flags & CLONE_SETTLS)
		arch_user_set_tls(&child->regs, a->tls);
	child->sigmask = t->sigmask;
	child->altstack_sp = t->altstack_sp;
	child->altstack_size = t->altstack_size;
	if (a->flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = a->child_tid;
}

/* A new process for clone without CLONE_THREAD: the caller's space (shared or copied),
 * actions, files, names and place in the tree. Returns it or NULL with *err set. */
static struct process *clone_process(struct task *t, const struct clone_args_k *a, int *err)
{
	struct process *p = t->proc, *c = process_alloc();

	*err = -ENOMEM;
	if (!c)
		return NULL;
	c->vm = (a->flags & CLONE_VM) ? p->vm : vm_space_clone(p->vm);
	if (c->vm && (a->flags & CLONE_VM))
		vm_space_get(c->vm);
	*err = c->vm ? process_files_fork(p, c, a->flags) : -ENOMEM;
	if (*err) {
		if (c->vm)
			vm_space_put(c->vm);
		kfree(c);
		return NULL;
	}
	memcpy(c->actions, p->actions, sizeof(c->actions));
	memcpy(c->exe, p->exe, sizeof(c->exe));
	memcpy(c->comm, p->comm, sizeof(c->comm));
	c->exe_file = p->exe_file;
	if (c->exe_file)
		vm_object_get(c->exe_file);
	c->exit_signal = (int)(a->flags & CLONE_SIGNAL_MASK);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	memcpy(c->rlim, p->rlim, sizeof(c->rlim));
	c->uid = p->uid;
	c->euid = p->euid;
	c->suid = p->suid;
	spin_unlock_irqrestore(&proc_lock, flags);
	return c;
}

/* Links new process c under its parent, in the caller's group and session (proc_lock
 * held). */
static void clone_link(struct task *t, struct process *c, const struct clone_args_k *a)
{
	struct process *p = t->proc;

	c->parent = (a->flags & CLONE_PARENT) ? p->parent : p;
	c->pgid = p->pgid;
	c->sid = p->sid;
	if (c->parent)
		list_add_tail(&c->parent->children, &c->sibling);
	if (a->flags & CLONE_VFORK)
		c->vfork_parent = t;
}

/* Undoes clone_process for a child that never ran. */
static void clone_discard(struct process *c)
{
	process_files_exit(c);
	vm_space_put(c->vm);
	if (c->exe_file)
		vm_object_put(c->exe_file);
	kfree(c);
}

/* What a vfork parent waits for. */
struct clone_vfork {
	struct task *parent;
	struct process *child; /* the child process, or the parent's own for a thread */
	unsigned thread;       /* the child thread's tid (CLONE_THREAD), else 0 */
};

/* The vfork parent's condition (a task_wait_event callback): the child let it go, or the
 * parent is being killed. */
static bool clone_vfork_done(void *ctx)
{
	struct clone_vfork *v = ctx;
	bool released = v->thread ? v->parent->vfork_released : v->child->vfork_done;

	return released || v->parent->exiting || v->parent->proc->group_exit;
}

/* Waits, deaf to all but fatal signals as Linux's vfork, until the child (process c, or
 * c's thread thread) execs or exits. */
static void clone_vfork_wait(struct task *t, struct process *c, unsigned thread)
{
	struct clone_vfork v = {t, c, thread};

	task_wait_event_killable(clone_vfork_done, &v, UINT64_MAX);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	/* the parent is being killed: the child must not wake it */
	if (c->vfork_parent == t)
		c->vfork_parent = NULL;
	struct task *child = thread ? pid_task(thread) : NULL;
	if (child && child->vfork_parent == t)
		child->vfork_parent = NULL;
	process_put_locked(c);
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Writes the new id where CLONE_PARENT_SETTID and CLONE_CHILD_SETTID ask. */
static void clone_set_tids(struct task *t, struct task *child, const struct clone_args_k *a)
{
	uint32_t id = child->tid;

	if (a->flags & CLONE_PARENT_SETTID)
		vm_copy_to_user(t->proc->vm, a->parent_tid, &id, sizeof(id));
	if (a->flags & CLONE_CHILD_SETTID)
		vm_copy_to_user(child->proc->vm, a->child_tid, &id, sizeof(id));
}

/* Takes c, a process that never ran, out of the tree and frees it. */
static void clone_unlink(struct process *c)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	list_del(&c->sibling);
	spin_unlock_irqrestore(&proc_lock, flags);
	clone_discard(c);
}

/* Starts child, made by t's clone: on user code, or, for a served task's child, on the
 * same served body and CPUs. Returns 0 or -ENOMEM. */
static int clone_run(struct task *t, struct task *child)
{
	if (t->served)
		return task_run_served(child, t->served, t->kthread->affinity);
	return task_run(child);
}

long task_clone(struct task *t, const struct clone_args_k *a)
{
	unsigned uid = 0; /* the user the new task is charged to */
	int err = clone_check_flags(a->flags);

	if (!err)
		err = fork_count_task(t->proc, &uid);
	if (err)
		return err;
	bool thread = a->flags & CLONE_THREAD;
	struct process *c = thread ? t->proc : clone_process(t, a, &err);
	struct task *child = c ? task_alloc(c) : NULL;
	err = child ? task_attach(child, !thread) : c ? -ENOMEM : err;
	if (err) {
		if (child)
			task_free_unstarted(child);
		if (c && !thread)
			clone_discard(c);
		fork_uncount_task(uid);
		return err;
	}
	child->nproc_uid = uid;
	clone_regs(child, t, a);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	if (!thread)
		clone_link(t, c, a);
	if (a->flags & CLONE_VFORK)
		c->refs++; /* the parent's, while it waits */
	if (thread && (a->flags & CLONE_VFORK)) { /* a thread lets it go at its exit or exec */
		child->vfork_parent = t;
		t->vfork_released = false;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	clone_set_tids(t, child, a); /* before the child runs: it may read them at once */
	long id = thread ? (long)child->tid : (long)c->pid;
	if (clone_run(t, child) < 0) {
		task_unattach(child, !thread);
		task_free_unstarted(child);
		if (!thread)
			clone_unlink(c);
		fork_uncount_task(uid);
		return -ENOMEM;
	}
	if (a->flags & CLONE_VFORK)
		clone_vfork_wait(t, c, thread ? (unsigned)id : 0); /* child may be gone */
	return id;
}
