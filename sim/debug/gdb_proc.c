/*
 * What the gdbstub needs to know of the kernel's processes. Apart from the stub itself:
 * the kernel's signal names (amphi/proc.h) clash with the host's, which sim.h brings in.
 */
#include <amphi/proc.h>

/* What sim_gdb_find_process looks for, and found. */
struct gdb_proc_search {
	const char *spec;
	struct process *found;
};

/* True when p is the process spec names (all digits: its pid; else its name or its
 * program's base name). */
static bool gdb_proc_matches(const struct process *p, const char *spec)
{
	const char *base = p->exe, *s;
	unsigned pid = 0;

	for (s = spec; *s >= '0' && *s <= '9'; s++)
		pid = pid * 10 + (unsigned)(*s - '0');
	if (!*s && s != spec)
		return p->pid == pid;
	for (s = p->exe; *s; s++)
		if (*s == '/')
			base = s + 1;
	return __builtin_strcmp(p->comm, spec) == 0 || __builtin_strcmp(base, spec) == 0;
}

/* pid_for_each's callback: stops at the first match. */
static int gdb_proc_visit(struct process *p, void *ctx)
{
	struct gdb_proc_search *search = ctx;

	if (!gdb_proc_matches(p, search->spec) || list_empty(&p->tasks))
		return 0;
	search->found = p;
	return 1;
}

/* Declared in sim.h, which this file cannot include. */
bool sim_gdb_current_process(const char *spec, unsigned *pid, const char **comm, void **vm);
bool sim_gdb_find_process(const char *spec, unsigned *pid, const char **comm, void **vm,
			  void **regs);

bool sim_gdb_find_process(const char *spec, unsigned *pid, const char **comm, void **vm,
			  void **regs)
{
	struct gdb_proc_search search = {.spec = spec};

	/* without proc_lock: every CPU is stopped, and one may be stopped holding it */
	if (!pid_for_each(gdb_proc_visit, &search))
		return false;
	*pid = search.found->pid;
	*comm = search.found->comm;
	*vm = search.found->vm;
	*regs = &list_entry(search.found->tasks.next, struct task, node)->regs;
	return true;
}

bool sim_gdb_current_process(const char *spec, unsigned *pid, const char **comm, void **vm)
{
	struct task *t = task_current();

	if (!t || !t->proc || !gdb_proc_matches(t->proc, spec))
		return false;
	*pid = t->proc->pid;
	*comm = t->proc->comm;
	*vm = t->proc->vm;
	return true;
}
