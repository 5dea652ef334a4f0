/*
 * execve: find the program (exec_open), follow "#!" lines to an interpreter (as Linux's
 * binfmt_script, up to EXEC_SCRIPT_DEPTH deep), end the process's other threads, load the
 * image, and reset what a new program does not inherit: handled signals, the alternate
 * signal stack, close-on-exec descriptors; a vfork parent is let go.
 */
#include <amphi/atomic.h>
#include <amphi/elf.h>
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define EXEC_SCRIPT_DEPTH 4
#define EXEC_ARGV_MAX 4096 /* pointers in a rewritten argv */

/* A program to run: its file and the argv it gets. */
struct exec_target {
	struct vm_object *file;
	char path[PROC_PATH_MAX];
	char interp[EXEC_SCRIPT_DEPTH][PROC_PATH_MAX];
	char arg[EXEC_SCRIPT_DEPTH][PROC_PATH_MAX];
	const char *argv[EXEC_ARGV_MAX];
};

/* Reads the first line of file into interp and arg when it is a script. Returns 0 for a
 * script, -ENOEXEC for anything else, -ENAMETOOLONG, -ENOMEM. */
static int exec_script(struct vm_object *file, char *interp, char *arg)
{
	char head[ELF_SCRIPT_LINE_MAX];

	memset(head, 0, sizeof(head));
	long got = vm_object_read(file, 0, head, sizeof(head));
	if (got < 2 || head[0] != '#' || head[1] != '!')
		return -ENOEXEC;
	return elf_script_parse(head, (size_t)got, interp, PROC_PATH_MAX, arg, PROC_PATH_MAX);
}

/* Puts interp [arg] script in front of argv[1...] in x->argv (argv may be x->argv
 * itself). Returns 0 or -E2BIG. */
static int exec_prepend(struct exec_target *x, const char *interp, const char *arg,
			const char *script, const char *const *argv)
{
	size_t m = 0, k = *arg ? 3 : 2;

	while (argv[0] && argv[m + 1])
		m++;
	if (m + k + 1 > EXEC_ARGV_MAX)
		return -E2BIG;
	memmove(&x->argv[k], argv + 1, m * sizeof(*argv));
	x->argv[0] = interp;
	if (*arg)
		x->argv[1] = arg;
	x->argv[k - 1] = script;
	x->argv[k + m] = NULL;
	return 0;
}

/* Opens the program at path for p, following #! lines; x gets the file to load and its
 * argv. Returns 0 or a negative errno. */
static int exec_resolve(struct process *p, struct exec_target *x, const char *path,
			const char *const *argv)
{
	const char *name = path;
	int err;

	for (int depth = 0;; depth++) {
		err = exec_open(p, name, &x->file);
		if (err)
			return err;
		/* /proc/self/exe names the program it links to */
		kstrlcpy(x->path, strcmp(name, "/proc/self/exe") ? name : p->exe, sizeof(x->path));
		if (depth == EXEC_SCRIPT_DEPTH)
			return 0; /* too deep: the ELF loader refuses it with ENOEXEC */
		err = exec_script(x->file, x->interp[depth], x->arg[depth]);
		if (err == -ENOEXEC)
			return 0;
		if (!err)
			err = exec_prepend(x, x->interp[depth], x->arg[depth],
					   depth ? x->interp[depth - 1] : path,
					   depth ? x->argv : argv);
		vm_object_put(x->file);
		x->file = NULL;
		if (err)
			return err;
		name = x->interp[depth];
		argv = x->argv;
	}
}

/* The condition of exec's wait for the other threads (a task_wait_event callback): they
 * are gone, or the caller is being killed too. */
static bool exec_alone(void *ctx)
{
	struct task *t = ctx;

	return t->proc->live_tasks == 1 || t->exiting || t->proc->group_exit;
}

/* Ends every thread of t's process but t and waits until they are gone; t then takes the
 * process's pid as its tid. Returns 0, or -EINTR when t itself is being killed. */
static int exec_kill_others(struct task *t)
{
	struct process *p = t->proc;
	struct list_node *pos;

	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	list_for_each(pos, &p->tasks)
	{
		struct task *o = list_entry(pos, struct task, node);
		if (o != t) {
			atomic_store_relaxed(&o->exiting, true);
			task_kick(o);
		}
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	task_wait_event_killable(exec_alone, t, UINT64_MAX);
	if (t->exiting || p->group_exit)
		return -EINTR;
	flags = spin_lock_irqsave(&proc_lock);
	if (t->tid != p->pid) {
		pid_detach(t);
		t->tid = p->pid;
		pid_reattach(t);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return 0;
}

/* What a task keeps and loses across a successful exec. */
static void exec_reset(struct task *t)
{
	irqflags_t flags = spin_lock_irqsave(&proc_lock);

	signal_exec_reset(t);
	t->altstack_sp = 0;
	t->altstack_size = 0;
	t->clear_child_tid = 0;
	t->robust_list = 0;
	task_vfork_release(t);
	struct process *p = t->proc;
	if (p->vfork_parent) {
		p->vfork_done = true;
		task_kick(p->vfork_parent);
		p->vfork_parent = NULL;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	process_files_exec(t->proc);
}

/* Resolves path (following #! lines) and loads it into t: for execve (first ending t's
 * other threads and then resetting what a new program loses) or the first process. */
static int exec_run(struct task *t, const char *path, const char *const *argv,
		    const char *const *envp, bool replace, const char **why)
{
	struct exec_target *x = kzalloc(sizeof(*x));

	if (!x)
		return -ENOMEM;
	int err = exec_resolve(t->proc, x, path, argv);
	const char *const *args = x->argv[0] ? x->argv : argv;
	if (!err && replace)
		err = exec_kill_others(t);
	if (!err)
		err = exec_image(t, x->file, x->path, args, envp, why);
	if (!err && replace)
		exec_reset(t);
	if (x->file)
		vm_object_put(x->file);
	kfree(x);
	return err;
}

long task_execve(struct task *t, const char *path, const char *const *argv,
		 const char *const *envp)
{
	return exec_run(t, path, argv, envp, true, NULL);
}

int exec_first(struct task *t, const char *path, const char *const *argv,
	       const char *const *envp, const char **why)
{
	return exec_run(t, path, argv, envp, false, why);
}
