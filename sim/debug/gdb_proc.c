/*
 * What the gdbstub needs to know of the kernel's processes. Apart from the stub itself:
 * the kernel's signal names (amphi/proc.h) clash with the host's, which sim.h brings in.
 */
#include <amphi/proc.h>

/* Declared in sim.h, which this file cannot include. */
bool sim_gdb_current_process(unsigned *pid, const char **comm, const char **exe, void **vm);

bool sim_gdb_current_process(unsigned *pid, const char **comm, const char **exe, void **vm)
{
	struct task *t = task_current();

	if (!t || !t->proc)
		return false;
	*pid = t->proc->pid;
	*comm = t->proc->comm;
	*exe = t->proc->exe;
	*vm = t->proc->vm;
	return true;
}
