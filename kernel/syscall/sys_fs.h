/* What the file syscalls share: user paths resolved against a directory descriptor, and
 * descriptors looked up in the caller's table. */
#pragma once

#include <amphi/fs.h>
#include <amphi/proc.h>

#define SYS_RW_MAX 0x7ffff000UL /* Linux's MAX_RW_COUNT: longer reads and writes are cut */

/* A user path copied in, and where its walk starts. */
struct sys_path {
	char *name;		/* VFS_PATH_MAX bytes, kmalloc'ed */
	struct vfs_path start;	/* referenced: dirfd's directory, or the cwd */
};

/* Copies the path at upath (-EFAULT, -ENAMETOOLONG; an empty one is -ENOENT unless
 * AT_EMPTY_PATH is in at_flags) and finds where it starts: the working directory for
 * AT_FDCWD or an absolute path, else directory dirfd (-EBADF, -ENOTDIR). */
int sys_path_get(struct process *p, long dirfd, uintptr_t upath, unsigned at_flags,
		 struct sys_path *sp);

/* Releases what sys_path_get took. */
void sys_path_put(struct sys_path *sp);

/* The open file of descriptor fd with a reference, or NULL. */
struct file *sys_file(struct process *p, unsigned long fd);

/* The bound on p's descriptor numbers: its RLIMIT_NOFILE soft limit. */
unsigned sys_fd_limit(struct process *p);

/* Walks the user path from dirfd (AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH as at_flags say,
 * WALK_* in walk) and runs op on what it names, all under vfs_lock. Returns op's result or
 * the walk's errno. */
int sys_walk_at(struct process *p, long dirfd, uintptr_t upath, unsigned at_flags,
		unsigned walk, int (*op)(struct vfs_path *found, void *ctx), void *ctx);

/* The vfs_io of user buffer addr in p's space. */
static inline struct vfs_io sys_io(struct process *p, uintptr_t addr)
{
	return (struct vfs_io){p->vm, addr};
}
