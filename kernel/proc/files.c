/*
 * What fork, exec and exit do with a process's files, and where exec finds a program: the
 * one place the descriptor table, the file system context and path lookup meet process
 * code.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

int process_files_fork(struct process *parent, struct process *child, unsigned long clone_flags)
{
	child->fds = NULL;
	child->fs = NULL;
	if (clone_flags & CLONE_FILES) {
		fd_table_get(parent->fds);
		child->fds = parent->fds;
	} else {
		child->fds = fd_table_clone(parent->fds);
	}
	if (clone_flags & CLONE_FS) {
		fs_context_get(parent->fs);
		child->fs = parent->fs;
	} else {
		child->fs = fs_context_clone(parent->fs);
	}
	if (child->fds && child->fs)
		return 0;
	process_files_exit(child);
	return -ENOMEM;
}

void process_files_exec(struct process *p)
{
	fd_table_close_on_exec(p->fds);
}

void process_files_exit(struct process *p)
{
	if (p->fds)
		fd_table_put(p->fds);
	if (p->fs)
		fs_context_put(p->fs);
	p->fds = NULL;
	p->fs = NULL;
}

int exec_open(struct process *p, const char *path, struct vm_object **file)
{
	return vfs_open_exec(p, path, file);
}
