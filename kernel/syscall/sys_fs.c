/* Path syscalls: open, the namespace changes (mkdir, unlink, rename, link, symlink, mknod)
 * and readlink. Each walks its user path under vfs_lock and hands the result to the VFS. */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "sys_fs.h"
#include "syscalls.h"

#define OPEN_KNOWN                                                                           \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |   \
	 O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | \
	 O_SYNC | O_PATH | O_TMPFILE_BIT)

int sys_walk_at(struct process *p, long dirfd, uintptr_t upath, unsigned at_flags,
		unsigned walk, int (*op)(struct vfs_path *found, void *ctx), void *ctx)
{
	struct sys_path sp;
	struct vfs_path found;
	int err = sys_path_get(p, dirfd, upath, at_flags, &sp);

	if (err)
		return err;
	if (at_flags & AT_EMPTY_PATH)
		walk |= WALK_EMPTY;
	if (!(at_flags & AT_SYMLINK_NOFOLLOW))
		walk |= WALK_FOLLOW;
	vfs_lock();
	if (sp.name[0]) {
		err = vfs_walk(p->fs, &sp.start, sp.name, walk, &found);
	} else { /* AT_EMPTY_PATH: the descriptor's own file, which may be no directory */
		found = sp.start;
		vfs_path_get(&found);
	}
	if (!err) {
		err = op(&found, ctx);
		vfs_path_put(&found);
	}
	vfs_unlock();
	sys_path_put(&sp);
	return err;
}

/* Walks to the parent of the user path and runs op on the last component (vfs_lock held). */
static int sys_parent_at(struct process *p, long dirfd, uintptr_t upath,
			 int (*op)(struct vfs_last *last, void *ctx), void *ctx)
{
	struct sys_path sp;
	struct vfs_last last;
	int err = sys_path_get(p, dirfd, upath, 0, &sp);

	if (err)
		return err;
	vfs_lock();
	err = vfs_walk_parent(p->fs, &sp.start, sp.name, &last);
	if (!err) {
		err = op(&last, ctx);
		vfs_path_put(&last.dir);
	}
	vfs_unlock();
	sys_path_put(&sp);
	return err;
}

/* --- open --- */

static long fs_openat(struct process *p, long dirfd, uintptr_t upath, unsigned long flags,
		      unsigned long mode)
{
	struct sys_path sp;
	struct file *f;

	if (flags & O_TMPFILE_BIT)
		return -EOPNOTSUPP;
	flags = (flags & OPEN_KNOWN) | O_LARGEFILE; /* a 64-bit kernel forces it, as Linux */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	unsigned limit = sys_fd_limit(p);
	if (!fd_free_below(p->fds, limit))
		return -EMFILE; /* before the path is looked at or a file made, as Linux */
	int err = sys_path_get(p, dirfd, upath, 0, &sp);
	if (err)
		return err;
	err = vfs_open(p->fs, &sp.start, sp.name, (unsigned)flags, (uint32_t)mode & S_IALLUGO, &f);
	sys_path_put(&sp);
	if (err)
		return err;
	long fd = fd_install(p->fds, f, 0, limit, flags & O_CLOEXEC);
	file_put(f);
	return fd;
}

long sys_openat(struct process *p, const unsigned long *a)
{
	return fs_openat(p, (long)a[0], a[1], a[2], a[3]);
}

long sys_open(struct process *p, const unsigned long *a)
{
	return fs_openat(p, AT_FDCWD, a[0], a[1], a[2]);
}

long sys_creat(struct process *p, const unsigned long *a)
{
	return fs_openat(p, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]);
}

/* --- making names --- */

struct fs_make {
	uint32_t mode;
	uint64_t rdev;
	const char *target;
};

/* sys_parent_at op: vfs_make with the request in ctx. */
static int fs_make_op(struct vfs_last *last, void *ctx)
{
	struct fs_make *m = ctx;

	return vfs_make(last, m->mode, m->rdev, m->target);
}

long sys_mkdirat(struct process *p, const unsigned long *a)
{
	struct fs_make m = {S_IFDIR | ((uint32_t)a[2] & 01777 & ~p->fs->umask), 0, NULL};

	return sys_parent_at(p, (long)a[0], a[1], fs_make_op, &m);
}

long sys_mkdir(struct process *p, const unsigned long *a)
{
	const unsigned long args[3] = {(unsigned long)AT_FDCWD, a[0], a[1]};
	return sys_mkdirat(p, args);
}

long sys_mknodat(struct process *p, const unsigned long *a)
{
	uint32_t mode = (uint32_t)a[2];
	uint32_t type = mode & S_IFMT;
	unsigned dev = (unsigned)a[3]; /* the old 32-bit encoding: major 12 bits, minor 20 */
	struct fs_make m = {0, VFS_DEV((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)),
			    NULL};

	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM; /* mkdir makes directories */
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	m.mode = type | (mode & S_IALLUGO & ~p->fs->umask);
	return sys_parent_at(p, (long)a[0], a[1], fs_make_op, &m);
}

long sys_mknod(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {(unsigned long)AT_FDCWD, a[0], a[1], a[2]};
	return sys_mknodat(p, args);
}

long sys_symlinkat(struct process *p, const unsigned long *a)
{
	char *target = kmalloc(VFS_PATH_MAX);

	if (!target)
		return -ENOMEM;
	long n = vm_copy_string(p->vm, target, a[0], VFS_PATH_MAX);
	struct fs_make m = {S_IFLNK | 0777, 0, target};
	int err = n < 0 ? (int)n : n == 0 ? -ENOENT : sys_parent_at(p, (long)a[1], a[2], fs_make_op, &m);
	kfree(target);
	return err;
}

long sys_symlink(struct process *p, const unsigned long *a)
{
	const unsigned long args[3] = {a[0], (unsigned long)AT_FDCWD, a[1]};
	return sys_symlinkat(p, args);
}

/* --- removing names --- */

static int fs_unlink_op(struct vfs_last *last, void *ctx)
{
	(void)ctx;
	return vfs_unlink(last);
}

static int fs_rmdir_op(struct vfs_last *last, void *ctx)
{
	(void)ctx;
	return vfs_rmdir(last);
}

long sys_unlinkat(struct process *p, const unsigned long *a)
{
	if (a[2] & ~(unsigned long)AT_REMOVEDIR)
		return -EINVAL;
	return sys_parent_at(p, (long)a[0], a[1], (a[2] & AT_REMOVEDIR) ? fs_rmdir_op : fs_unlink_op,
			     NULL);
}

long sys_unlink(struct process *p, const unsigned long *a)
{
	return sys_parent_at(p, AT_FDCWD, a[0], fs_unlink_op, NULL);
}

long sys_rmdir(struct process *p, const unsigned long *a)
{
	return sys_parent_at(p, AT_FDCWD, a[0], fs_rmdir_op, NULL);
}

/* --- link and rename: two paths --- */

struct fs_two {
	struct process *p;
	long dirfd;
	uintptr_t upath;
	unsigned flags;
	struct vfs_path old;   /* link: what the first path names */
	struct vfs_last *last; /* rename: the first path's parent and name */
};

/* Second half of rename: the new name's parent is known. */
static int fs_rename_op(struct vfs_last *new, void *ctx)
{
	struct fs_two *t = ctx;

	return vfs_rename(t->last, new, t->flags);
}

/* Walks the second path of t to its parent and runs op on its last component, with what
 * the first path found still held (vfs_lock held). */
static int fs_second_path(struct fs_two *t, int (*op)(struct vfs_last *last, void *ctx))
{
	struct sys_path sp;
	struct vfs_last last;
	int err = sys_path_get(t->p, t->dirfd, t->upath, 0, &sp);

	if (err)
		return err;
	err = vfs_walk_parent(t->p->fs, &sp.start, sp.name, &last);
	if (!err) {
		err = op(&last, t);
		vfs_path_put(&last.dir);
	}
	sys_path_put(&sp);
	return err;
}

/* First half of rename: the first path's parent and name. */
static int fs_rename_first(struct vfs_last *old, void *ctx)
{
	struct fs_two *t = ctx;

	t->last = old;
	return fs_second_path(t, fs_rename_op);
}

long sys_renameat2(struct process *p, const unsigned long *a)
{
	struct fs_two t = {p, (long)a[2], a[3], (unsigned)a[4], {0}, NULL};

	return sys_parent_at(p, (long)a[0], a[1], fs_rename_first, &t);
}

long sys_renameat(struct process *p, const unsigned long *a)
{
	const unsigned long args[5] = {a[0], a[1], a[2], a[3], 0};
	return sys_renameat2(p, args);
}

long sys_rename(struct process *p, const unsigned long *a)
{
	const unsigned long args[5] = {(unsigned long)AT_FDCWD, a[0], (unsigned long)AT_FDCWD, a[1],
				       0};
	return sys_renameat2(p, args);
}

static int fs_link_op(struct vfs_last *last, void *ctx)
{
	struct fs_two *t = ctx;

	return vfs_link(&t->old, last);
}

/* First half of link: what the first path names. */
static int fs_link_first(struct vfs_path *old, void *ctx)
{
	struct fs_two *t = ctx;

	t->old = *old;
	return fs_second_path(t, fs_link_op);
}

long sys_linkat(struct process *p, const unsigned long *a)
{
	struct fs_two t = {p, (long)a[2], a[3], 0, {0}, NULL};

	if (a[4] & ~(unsigned long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	unsigned at = (a[4] & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW;
	return sys_walk_at(p, (long)a[0], a[1], at | (unsigned)(a[4] & AT_EMPTY_PATH), 0,
			   fs_link_first, &t);
}

long sys_link(struct process *p, const unsigned long *a)
{
	const unsigned long args[5] = {(unsigned long)AT_FDCWD, a[0], (unsigned long)AT_FDCWD, a[1],
				       0};
	return sys_linkat(p, args);
}

/* --- readlink --- */

struct fs_readlink {
	char *buf;
	long len;
};

static int fs_readlink_op(struct vfs_path *found, void *ctx)
{
	struct fs_readlink *r = ctx;
	struct inode *inode = found->inode;

	if (!S_ISLNK(inode->mode) || !inode->ops || !inode->ops->readlink)
		return -EINVAL;
	r->len = inode->ops->readlink(inode, r->buf, VFS_PATH_MAX);
	return r->len < 0 ? (int)r->len : 0;
}

long sys_readlinkat(struct process *p, const unsigned long *a)
{
	struct fs_readlink r = {kmalloc(VFS_PATH_MAX), 0};

	if (!r.buf)
		return -ENOMEM;
	int err = (long)a[3] <= 0 ? -EINVAL : 0;
	if (!err)
		err = sys_walk_at(p, (long)a[0], a[1], AT_SYMLINK_NOFOLLOW, 0, fs_readlink_op, &r);
	long n = MIN(r.len, (long)a[3]);
	if (!err && vm_copy_to_user(p->vm, a[2], r.buf, (size_t)n) < 0)
		err = -EFAULT;
	kfree(r.buf);
	return err ? err : n;
}

long sys_readlink(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {(unsigned long)AT_FDCWD, a[0], a[1], a[2]};
	return sys_readlinkat(p, args);
}
