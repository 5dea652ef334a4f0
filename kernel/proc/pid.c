/*
 * The process table: tasks by tid and processes by pid, in hash buckets, and the id
 * allocator. Ids count up and wrap below PROC_PID_MAX, skipping those in use (as
 * Linux does), so a recently freed id is not handed out again at once.
 */
#include <amphi/errno.h>
#include <amphi/proc.h>

#define PID_BUCKETS 256
#define PID_WRAP 300 /* where ids start again after PROC_PID_MAX: low ones stay reserved */

struct spinlock proc_lock = SPINLOCK_INIT("proc");
static struct list_node task_table[PID_BUCKETS];
static struct list_node proc_table[PID_BUCKETS];
static unsigned pid_last;
static unsigned pid_processes;
static bool pid_ready;

/* Makes the buckets empty on first use (proc_lock held). */
static void pid_init(void)
{
	if (pid_ready)
		return;
	for (unsigned i = 0; i < PID_BUCKETS; i++) {
		list_init(&task_table[i]);
		list_init(&proc_table[i]);
	}
	pid_ready = true;
}

struct task *pid_task(unsigned id)
{
	struct list_node *pos;

	pid_init();
	list_for_each(pos, &task_table[id % PID_BUCKETS])
	{
		struct task *t = list_entry(pos, struct task, hash);
		if (t->tid == id)
			return t;
	}
	return NULL;
}

struct process *pid_process(unsigned id)
{
	struct list_node *pos;

	pid_init();
	list_for_each(pos, &proc_table[id % PID_BUCKETS])
	{
		struct process *p = list_entry(pos, struct process, hash);
		if (p->pid == id)
			return p;
	}
	return NULL;
}

/* True when id names no task and no process (a zombie keeps its pid). */
static bool pid_free(unsigned id)
{
	return !pid_task(id) && !pid_process(id);
}

int pid_attach(struct task *t, bool leader)
{
	unsigned id = pid_last;

	pid_init();
	for (unsigned tries = 0; tries < PROC_PID_MAX; tries++) {
		id = id + 1 < PROC_PID_MAX ? id + 1 : PID_WRAP;
		if (!pid_free(id))
			continue;
		pid_last = id;
		t->tid = id;
		list_add_tail(&task_table[id % PID_BUCKETS], &t->hash);
		if (leader) {
			t->proc->pid = id;
			list_add_tail(&proc_table[id % PID_BUCKETS], &t->proc->hash);
			pid_processes++;
		}
		return (int)id;
	}
	return -EAGAIN;
}

void pid_reattach(struct task *t)
{
	list_add_tail(&task_table[t->tid % PID_BUCKETS], &t->hash);
}

void pid_detach(struct task *t)
{
	list_del(&t->hash);
}

void pid_detach_process(struct process *p)
{
	list_del(&p->hash);
	pid_processes--;
}

int pid_for_each(int (*fn)(struct process *p, void *ctx), void *ctx)
{
	pid_init();
	for (unsigned i = 0; i < PID_BUCKETS; i++) {
		struct list_node *pos, *next;
		for (pos = proc_table[i].next; pos != &proc_table[i]; pos = next) {
			next = pos->next;
			struct process *p = list_entry(pos, struct process, hash);
			int r = p->state == PROC_LIVE ? fn(p, ctx) : 0;
			if (r)
				return r;
		}
	}
	return 0;
}

unsigned pid_count_processes(void)
{
	return pid_processes;
}
