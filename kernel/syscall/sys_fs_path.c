/* User paths and descriptors for the file syscalls (sys_fs.h). */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/vm.h>

#include "sys_fs.h"

struct file *sys_file(struct process *p, unsigned long fd)
{
	return fd > (unsigned long)INT32_MAX ? NULL : fd_get(p->fds, (int)fd);
}

/* The directory of descriptor dirfd (or the cwd for AT_FDCWD) into *start, referenced. */
static int sys_path_start(struct process *p, long dirfd, bool empty_ok, struct vfs_path *start)
{
	struct vfs_path root;

	if ((int)dirfd == AT_FDCWD) {
		fs_context_paths(p->fs, &root, start);
		vfs_path_put(&root);
		return 0;
	}
	struct file *f = sys_file(p, (unsigned long)(unsigned)dirfd);
	if (!f)
		return -EBADF;
	int err = f->path.inode && (S_ISDIR(f->path.inode->mode) || empty_ok) ? 0 : -ENOTDIR;
	if (!err && !f->path.mnt)
		err = empty_ok ? 0 : -ENOTDIR; /* a pipe: only AT_EMPTY_PATH may name it */
	if (!err) {
		*start = f->path;
		vfs_path_get(start);
	}
	file_put(f);
	return err;
}

int sys_path_get(struct process *p, long dirfd, uintptr_t upath, unsigned at_flags,
		 struct sys_path *sp)
{
	sp->start = (struct vfs_path){0};
	sp->name = kmalloc(VFS_PATH_MAX);
	if (!sp->name)
		return -ENOMEM;
	long n = vm_copy_string(p->vm, sp->name, upath, VFS_PATH_MAX);
	int err = n < 0 ? (int)n : 0;
	if (!err && n == 0 && !(at_flags & AT_EMPTY_PATH))
		err = -ENOENT;
	if (!err)
		err = sys_path_start(p, sp->name[0] == '/' ? AT_FDCWD : dirfd, n == 0, &sp->start);
	if (err) {
		kfree(sp->name);
		sp->name = NULL;
	}
	return err;
}

void sys_path_put(struct sys_path *sp)
{
	if (sp->start.inode)
		vfs_path_put(&sp->start);
	kfree(sp->name);
	sp->name = NULL;
}
