/* In-kernel tests of the process table: ids are unique and looked up by task and by
 * process; a zombie keeps its pid; pid_for_each sees live processes only. */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/proc.h>

#define PID_KTEST_N 8

/* Counts the processes it is called for (a pid_for_each callback). */
static int pid_ktest_count(struct process *p, void *ctx)
{
	(void)p;
	(*(int *)ctx)++;
	return 0;
}

static void pid_attach_lookup_detach(struct ktest *t)
{
	/* too large for a kernel stack on the metal targets */
	struct process *procs = kzalloc(PID_KTEST_N * sizeof(*procs));
	struct task *tasks = kzalloc(PID_KTEST_N * sizeof(*tasks));
	int before = 0, during = 0;

	KTEST_ASSERT(t, procs != NULL && tasks != NULL);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	unsigned nprocs = pid_count_processes();
	pid_for_each(pid_ktest_count, &before);
	for (int i = 0; i < PID_KTEST_N; i++) {
		tasks[i].proc = &procs[i];
		procs[i].state = PROC_LIVE;
		KTEST_EXPECT(t, pid_attach(&tasks[i], i % 2 == 0) > 0);
	}
	for (int i = 0; i < PID_KTEST_N; i++) {
		KTEST_EXPECT(t, pid_task(tasks[i].tid) == &tasks[i]);
		for (int j = 0; j < i; j++)
			KTEST_EXPECT(t, tasks[i].tid != tasks[j].tid);
		bool leader = i % 2 == 0;
		KTEST_EXPECT(t, pid_process(tasks[i].tid) == (leader ? &procs[i] : NULL));
		if (leader)
			KTEST_EXPECT_EQ(t, procs[i].pid, tasks[i].tid);
	}
	KTEST_EXPECT_EQ(t, pid_count_processes(), nprocs + PID_KTEST_N / 2);
	procs[2].state = PROC_ZOMBIE;
	pid_for_each(pid_ktest_count, &during);
	KTEST_EXPECT_EQ(t, during, before + PID_KTEST_N / 2 - 1);
	/* a zombie's task is gone, its pid stays taken */
	unsigned zombie = tasks[2].tid;
	pid_detach(&tasks[2]);
	KTEST_EXPECT(t, pid_task(zombie) == NULL);
	KTEST_EXPECT(t, pid_process(zombie) == &procs[2]);
	for (int i = 0; i < PID_KTEST_N; i++) {
		if (i != 2)
			pid_detach(&tasks[i]);
		if (i % 2 == 0)
			pid_detach_process(&procs[i]);
	}
	KTEST_EXPECT(t, pid_process(zombie) == NULL);
	KTEST_EXPECT_EQ(t, pid_count_processes(), nprocs);
	spin_unlock_irqrestore(&proc_lock, flags);
	kfree(procs);
	kfree(tasks);
}

static const struct ktest_case pid_cases[] = {
	KTEST_CASE(pid_attach_lookup_detach),
	{0},
};
KTEST_SUITE(pid, "pid", pid_cases);
