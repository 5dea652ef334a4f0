/*
 * What fork, exec and exit do with a process's files, and where exec finds a program: the
 * one place the descriptor table, the working directory and path lookup meet process
 * code. Until the VFS lands, descriptors 0-2 are the console (closed_fds says which are
 * closed) and programs come from the initial RAM disk.
 */
#include <amphi/errno.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

int process_files_fork(struct process *parent, struct process *child, unsigned long clone_flags)
{
	(void)clone_flags; /* CLONE_FILES would share the table; a copy of 3 bits is the same */
	child->closed_fds = parent->closed_fds;
	return 0;
}

void process_files_exec(struct process *p)
{
	(void)p; /* the console descriptors are not close-on-exec */
}

void process_files_exit(struct process *p)
{
	(void)p;
}

int exec_open(struct process *p, const char *path, struct vm_object **file)
{
	if (!*path)
		return -ENOENT;
	if (strlen(path) >= PROC_PATH_MAX)
		return -ENAMETOOLONG;
	if (strcmp(path, "/proc/self/exe") == 0 && p->exe_file) {
		vm_object_get(p->exe_file);
		*file = p->exe_file;
		return 0;
	}
	while (*path == '/')
		path++; /* the RAM disk's names are relative to the root, the only directory */
	return initrd_find(path, file);
}
