/* Attribute syscalls: the stat family, getdents64, chmod, chown, utimensat, truncate,
 * access, the working directory, umask, statfs and mount. */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "sys_fs.h"
#include "syscalls.h"

#define STATX_BASIC_STATS 0x7ffu
#define STATX__RESERVED 0x80000000u
#define AT_STATX_FORCE_SYNC 0x2000
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#define GETDENTS_BUF 65536
#define ST_RDONLY 0x0001
#define ST_VALID 0x0020
#define ST_RELATIME 0x0400
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_MGC_MSK 0xffff0000ul
#define MS_MGC_VAL 0xc0ed0000ul

/* --- stat --- */

/* Fills a struct stat of the guest ISA from inode. */
static void fs_fill_stat(struct inode *i, struct uapi_stat *st)
{
	uint64_t size = inode_size(i);

	memset(st, 0, sizeof(*st));
	st->st_dev = i->sb ? i->sb->dev : 0;
	st->st_ino = i->ino;
	st->st_nlink = i->nlink;
	st->st_mode = i->mode;
	st->st_uid = i->uid;
	st->st_gid = i->gid;
	st->st_rdev = i->rdev;
	st->st_size = (int64_t)size;
	st->st_blksize = PAGE_SIZE;
	st->st_blocks = (int64_t)(ALIGN_UP(size, PAGE_SIZE) / 512);
	st->st_atime_sec = i->atime.sec;
	st->st_atime_nsec = i->atime.nsec;
	st->st_mtime_sec = i->mtime.sec;
	st->st_mtime_nsec = i->mtime.nsec;
	st->st_ctime_sec = i->ctime.sec;
	st->st_ctime_nsec = i->ctime.nsec;
}

static int fs_stat_op(struct vfs_path *found, void *ctx)
{
	fs_fill_stat(found->inode, ctx);
	return 0;
}

long sys_newfstatat(struct process *p, const unsigned long *a)
{
	struct uapi_stat st;

	if (a[3] & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	int err = sys_walk_at(p, (long)a[0], a[1], (unsigned)a[3], 0, fs_stat_op, &st);
	return err ? err : vm_copy_to_user(p->vm, a[2], &st, sizeof(st));
}

long sys_stat(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {(unsigned long)AT_FDCWD, a[0], a[1], 0};
	return sys_newfstatat(p, args);
}

long sys_lstat(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {(unsigned long)AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW};
	return sys_newfstatat(p, args);
}

long sys_fstat(struct process *p, const unsigned long *a)
{
	struct uapi_stat st;
	struct file *f = sys_file(p, a[0]);

	if (!f)
		return -EBADF;
	vfs_lock();
	fs_fill_stat(f->path.inode, &st);
	vfs_unlock();
	file_put(f);
	return vm_copy_to_user(p->vm, a[1], &st, sizeof(st));
}

/* struct statx (the same on every ISA). */
struct uapi_statx_time {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};

struct uapi_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct uapi_statx_time atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare[12];
};
_Static_assert(sizeof(struct uapi_statx) == 256, "struct statx is 256 bytes");

static int fs_statx_op(struct vfs_path *found, void *ctx)
{
	struct uapi_statx *sx = ctx;
	struct uapi_stat st;

	fs_fill_stat(found->inode, &st);
	memset(sx, 0, sizeof(*sx));
	sx->mask = STATX_BASIC_STATS;
	sx->blksize = (uint32_t)st.st_blksize;
	sx->nlink = (uint32_t)st.st_nlink;
	sx->uid = st.st_uid;
	sx->gid = st.st_gid;
	sx->mode = (uint16_t)st.st_mode;
	sx->ino = st.st_ino;
	sx->size = (uint64_t)st.st_size;
	sx->blocks = (uint64_t)st.st_blocks;
	sx->atime = (struct uapi_statx_time){st.st_atime_sec, (uint32_t)st.st_atime_nsec, 0};
	sx->mtime = (struct uapi_statx_time){st.st_mtime_sec, (uint32_t)st.st_mtime_nsec, 0};
	sx->ctime = (struct uapi_statx_time){st.st_ctime_sec, (uint32_t)st.st_ctime_nsec, 0};
	sx->rdev_major = VFS_MAJOR(st.st_rdev);
	sx->rdev_minor = VFS_MINOR(st.st_rdev);
	sx->dev_major = VFS_MAJOR(st.st_dev);
	sx->dev_minor = VFS_MINOR(st.st_dev);
	return 0;
}

long sys_statx(struct process *p, const unsigned long *a)
{
	struct uapi_statx sx;
	unsigned flags = (unsigned)a[2];

	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
				AT_STATX_SYNC_TYPE) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (a[3] & STATX__RESERVED))
		return -EINVAL;
	int err = sys_walk_at(p, (long)a[0], a[1], flags & ~(unsigned)AT_STATX_SYNC_TYPE, 0,
			      fs_statx_op, &sx);
	return err ? err : vm_copy_to_user(p->vm, a[4], &sx, sizeof(sx));
}

/* --- getdents64 --- */

struct fs_dents {
	uint8_t *buf;
	size_t size, used;
	uint64_t pos;
	bool full; /* an entry did not fit */
};

/* A readdir callback: appends struct linux_dirent64 records while they fit. */
static int fs_dents_fill(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next)
{
	struct fs_dents *d = ctx;
	size_t reclen = ALIGN_UP(19 + len + 1, 8);

	if (d->used + reclen > d->size) {
		d->full = true;
		return 1;
	}
	uint8_t *rec = d->buf + d->used;
	uint16_t rl = (uint16_t)reclen;
	int64_t off = (int64_t)next;
	memset(rec, 0, reclen);
	memcpy(rec, &ino, 8);
	memcpy(rec + 8, &off, 8);
	memcpy(rec + 16, &rl, 2);
	rec[18] = (uint8_t)type;
	memcpy(rec + 19, name, len);
	d->used += reclen;
	d->pos = next;
	return 0;
}

long sys_getdents64(struct process *p, const unsigned long *a)
{
	struct file *f = sys_file(p, a[0]);

	if (!f)
		return -EBADF;
	struct fs_dents d = {NULL, MIN((size_t)a[2], (size_t)GETDENTS_BUF), 0, 0, false};
	long r = !f->ops || !f->ops->readdir ? -ENOTDIR : 0;
	if (!r)
		d.buf = kmalloc(d.size ? d.size : 1);
	if (!r && !d.buf)
		r = -ENOMEM;
	if (!r) {
		mutex_lock(&f->pos_lock);
		vfs_lock();
		d.pos = f->pos;
		r = f->ops->readdir(f, &d.pos, fs_dents_fill, &d);
		vfs_unlock();
		if (!r && d.used == 0 && d.full)
			r = -EINVAL; /* the buffer cannot hold the next entry */
		if (!r)
			r = vm_copy_to_user(p->vm, a[1], d.buf, d.used) < 0 ? -EFAULT : (long)d.used;
		if (r >= 0)
			f->pos = d.pos;
		mutex_unlock(&f->pos_lock);
	}
	kfree(d.buf);
	file_put(f);
	return r;
}

/* --- chmod, chown, utimensat, truncate --- */

static int fs_chmod_op(struct vfs_path *found, void *ctx)
{
	struct inode *i = found->inode;

	if (vfs_path_writable(found))
		return -EROFS;
	i->mode = (i->mode & S_IFMT) | (*(uint32_t *)ctx & S_IALLUGO);
	i->ctime = vfs_now();
	return 0;
}

long sys_fchmodat(struct process *p, const unsigned long *a)
{
	uint32_t mode = (uint32_t)a[2];

	return sys_walk_at(p, (long)a[0], a[1], 0, 0, fs_chmod_op, &mode);
}

long sys_chmod(struct process *p, const unsigned long *a)
{
	const unsigned long args[3] = {(unsigned long)AT_FDCWD, a[0], a[1]};
	return sys_fchmodat(p, args);
}

/* Runs op on the file of descriptor fd (vfs_lock held), as the f- forms do. */
static long fs_on_fd(struct process *p, unsigned long fd,
		     int (*op)(struct vfs_path *found, void *ctx), void *ctx)
{
	struct file *f = sys_file(p, fd);

	if (!f)
		return -EBADF;
	vfs_lock();
	int err = f->flags & O_PATH ? -EBADF : op(&f->path, ctx);
	vfs_unlock();
	file_put(f);
	return err;
}

long sys_fchmod(struct process *p, const unsigned long *a)
{
	uint32_t mode = (uint32_t)a[1];

	return fs_on_fd(p, a[0], fs_chmod_op, &mode);
}

static int fs_chown_op(struct vfs_path *found, void *ctx)
{
	const uint32_t *ids = ctx;
	struct inode *i = found->inode;

	if (vfs_path_writable(found))
		return -EROFS;
	if (ids[0] != (uint32_t)-1)
		i->uid = ids[0];
	if (ids[1] != (uint32_t)-1)
		i->gid = ids[1];
	if (!S_ISDIR(i->mode) && (ids[0] != (uint32_t)-1 || ids[1] != (uint32_t)-1)) {
		i->mode &= ~S_ISUID; /* as Linux: a new owner loses the set-id bits */
		if (i->mode & 010)
			i->mode &= ~S_ISGID;
	}
	i->ctime = vfs_now();
	return 0;
}

long sys_fchownat(struct process *p, const unsigned long *a)
{
	uint32_t ids[2] = {(uint32_t)a[2], (uint32_t)a[3]};

	if (a[4] & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return sys_walk_at(p, (long)a[0], a[1], (unsigned)a[4], 0, fs_chown_op, ids);
}

long sys_chown(struct process *p, const unsigned long *a)
{
	const unsigned long args[5] = {(unsigned long)AT_FDCWD, a[0], a[1], a[2], 0};
	return sys_fchownat(p, args);
}

long sys_lchown(struct process *p, const unsigned long *a)
{
	const unsigned long args[5] = {(unsigned long)AT_FDCWD, a[0], a[1], a[2],
				       AT_SYMLINK_NOFOLLOW};
	return sys_fchownat(p, args);
}

long sys_fchown(struct process *p, const unsigned long *a)
{
	uint32_t ids[2] = {(uint32_t)a[1], (uint32_t)a[2]};

	return fs_on_fd(p, a[0], fs_chown_op, ids);
}

/* The times utimensat sets: ts[0] atime, ts[1] mtime, each with UTIME_NOW/UTIME_OMIT. */
static int fs_utimens_op(struct vfs_path *found, void *ctx)
{
	const int64_t *ts = ctx;
	struct inode *i = found->inode;
	struct vfs_time now = vfs_now();

	if (vfs_path_writable(found))
		return -EROFS;
	if (ts[1] != UTIME_OMIT)
		i->atime = ts[1] == UTIME_NOW ? now : (struct vfs_time){ts[0], (uint32_t)ts[1]};
	if (ts[3] != UTIME_OMIT)
		i->mtime = ts[3] == UTIME_NOW ? now : (struct vfs_time){ts[2], (uint32_t)ts[3]};
	i->ctime = now;
	return 0;
}

long sys_utimensat(struct process *p, const unsigned long *a)
{
	int64_t ts[4] = {0, UTIME_NOW, 0, UTIME_NOW};

	if (a[3] & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (a[2] && vm_copy_from_user(p->vm, ts, a[2], sizeof(ts)) < 0)
		return -EFAULT;
	for (int k = 1; k < 4; k += 2) {
		if ((ts[k] < 0 || ts[k] >= 1000000000) && ts[k] != UTIME_NOW && ts[k] != UTIME_OMIT)
			return -EINVAL;
	}
	if (!a[1]) /* Linux's own extension: no path means the descriptor itself */
		return (int)a[0] == AT_FDCWD ? -EFAULT : fs_on_fd(p, a[0], fs_utimens_op, ts);
	return sys_walk_at(p, (long)a[0], a[1], (unsigned)a[3], 0, fs_utimens_op, ts);
}

static int fs_truncate_op(struct vfs_path *found, void *ctx)
{
	if (S_ISREG(found->inode->mode) && vfs_path_writable(found))
		return -EROFS;
	return vfs_truncate_inode(found->inode, *(uint64_t *)ctx);
}

long sys_truncate(struct process *p, const unsigned long *a)
{
	uint64_t size = a[1];

	if ((int64_t)size < 0)
		return -EINVAL;
	return sys_walk_at(p, AT_FDCWD, a[0], 0, 0, fs_truncate_op, &size);
}

long sys_ftruncate(struct process *p, const unsigned long *a)
{
	uint64_t size = a[1];
	struct file *f = sys_file(p, a[0]);

	if (!f)
		return -EBADF;
	long r = (int64_t)size < 0 ? -EINVAL : 0;
	if (!r && ((f->flags & O_ACCMODE) == O_RDONLY || !S_ISREG(f->path.inode->mode)))
		r = (f->flags & O_PATH) ? -EBADF : -EINVAL;
	if (!r) {
		vfs_lock();
		r = vfs_truncate_inode(f->path.inode, size);
		vfs_unlock();
	}
	file_put(f);
	return r;
}

/* --- access --- */

static int fs_access_op(struct vfs_path *found, void *ctx)
{
	int mode = *(int *)ctx;
	struct inode *i = found->inode;

	if ((mode & 2) && (S_ISREG(i->mode) || S_ISDIR(i->mode)) && vfs_path_writable(found))
		return -EROFS;
	return mode ? vfs_permission(i, mode) : 0;
}

long sys_faccessat2(struct process *p, const unsigned long *a)
{
	int mode = (int)a[2];

	if (mode & ~7)
		return -EINVAL;
	if (a[3] & ~(unsigned long)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return sys_walk_at(p, (long)a[0], a[1], (unsigned)a[3] & ~(unsigned)AT_EACCESS, 0,
			   fs_access_op, &mode);
}

long sys_faccessat(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {a[0], a[1], a[2], 0};
	return sys_faccessat2(p, args);
}

long sys_access(struct process *p, const unsigned long *a)
{
	const unsigned long args[4] = {(unsigned long)AT_FDCWD, a[0], a[1], 0};
	return sys_faccessat2(p, args);
}

/* --- working directory and umask --- */

long sys_getcwd(struct process *p, const unsigned long *a)
{
	struct vfs_path root, cwd;
	char *buf = kmalloc(VFS_PATH_MAX);

	if (!buf)
		return -ENOMEM;
	fs_context_paths(p->fs, &root, &cwd);
	vfs_lock();
	long n = vfs_path_name(&root, &cwd, buf, VFS_PATH_MAX);
	vfs_unlock();
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	if (n >= 0 && (size_t)n + 1 > a[1])
		n = -ERANGE;
	if (n >= 0)
		n = vm_copy_to_user(p->vm, a[0], buf, (size_t)n + 1) < 0 ? -EFAULT : n + 1;
	kfree(buf);
	return n;
}

static int fs_chdir_op(struct vfs_path *found, void *ctx)
{
	struct process *p = ctx;

	if (!S_ISDIR(found->inode->mode))
		return -ENOTDIR;
	int err = vfs_permission(found->inode, 1);
	if (!err)
		fs_context_set_cwd(p->fs, found);
	return err;
}

long sys_chdir(struct process *p, const unsigned long *a)
{
	return sys_walk_at(p, AT_FDCWD, a[0], 0, WALK_DIRECTORY, fs_chdir_op, p);
}

long sys_fchdir(struct process *p, const unsigned long *a)
{
	return fs_on_fd(p, a[0], fs_chdir_op, p);
}

static int fs_chroot_op(struct vfs_path *found, void *ctx)
{
	struct process *p = ctx;

	if (!S_ISDIR(found->inode->mode))
		return -ENOTDIR;
	fs_context_set_root(p->fs, found);
	return 0;
}

long sys_chroot(struct process *p, const unsigned long *a)
{
	return sys_walk_at(p, AT_FDCWD, a[0], 0, WALK_DIRECTORY, fs_chroot_op, p);
}

long sys_umask(struct process *p, const unsigned long *a)
{
	uint32_t old = p->fs->umask;

	p->fs->umask = (uint32_t)a[0] & 0777;
	return old;
}

/* --- statfs --- */

struct uapi_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct uapi_statfs) == 120, "struct statfs is 120 bytes");

static int fs_statfs_op(struct vfs_path *found, void *ctx)
{
	struct uapi_statfs *s = ctx;
	struct super_block *sb = found->inode->sb;

	memset(s, 0, sizeof(*s));
	s->f_type = sb ? (int64_t)sb->magic : 0;
	s->f_bsize = s->f_frsize = PAGE_SIZE;
	s->f_namelen = VFS_NAME_MAX;
	s->f_fsid[0] = sb ? (int32_t)VFS_MINOR(sb->dev) : 0;
	s->f_flags = ST_VALID | ST_RELATIME | (vfs_path_writable(found) ? ST_RDONLY : 0);
	if (sb && sb->type && sb->type->statfs) { /* pipes' super block has no type */
		struct vfs_statfs st;
		sb->type->statfs(sb, &st); /* vfs_lock held by the walk */
		s->f_bsize = s->f_frsize = (int64_t)st.bsize;
		s->f_blocks = st.blocks;
		s->f_bfree = st.bfree;
		s->f_bavail = st.bavail;
		s->f_files = st.files;
		s->f_ffree = st.ffree;
	}
	return 0;
}

long sys_statfs(struct process *p, const unsigned long *a)
{
	struct uapi_statfs s;
	int err = sys_walk_at(p, AT_FDCWD, a[0], 0, 0, fs_statfs_op, &s);

	return err ? err : vm_copy_to_user(p->vm, a[1], &s, sizeof(s));
}

long sys_fstatfs(struct process *p, const unsigned long *a)
{
	struct uapi_statfs s;
	int err = (int)fs_on_fd(p, a[0], fs_statfs_op, &s);

	return err ? err : vm_copy_to_user(p->vm, a[1], &s, sizeof(s));
}

/* --- mount --- */

/* Copies an optional user string (NULL when uaddr is 0) into a new buffer. */
static int fs_copy_opt(struct process *p, uintptr_t uaddr, char **out)
{
	*out = NULL;
	if (!uaddr)
		return 0;
	*out = kmalloc(PAGE_SIZE);
	if (!*out)
		return -ENOMEM;
	long n = vm_copy_string(p->vm, *out, uaddr, PAGE_SIZE);
	return n < 0 ? (int)n : 0;
}

long sys_mount(struct process *p, const unsigned long *a)
{
	char *source, *target = NULL, *type = NULL;
	unsigned long flags = a[3];

	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	int err = fs_copy_opt(p, a[0], &source);
	if (!err)
		err = fs_copy_opt(p, a[1], &target);
	if (!err && !target)
		err = -EFAULT;
	if (!err && (flags & (MS_REMOUNT | MS_BIND | MS_MOVE)))
		err = -EINVAL; /* only new mounts so far */
	if (!err)
		err = fs_copy_opt(p, a[2], &type);
	if (!err && !type)
		err = -EFAULT;
	if (!err)
		err = vfs_mount(p->fs, source ? source : "none", target, type, flags & MS_RDONLY,
				NULL);
	kfree(source);
	kfree(target);
	kfree(type);
	return err;
}

long sys_umount2(struct process *p, const unsigned long *a)
{
	char *target;
	int err = fs_copy_opt(p, a[0], &target);

	if (!err && !target)
		err = -EFAULT;
	if (!err)
		err = vfs_umount(p->fs, target, (int)a[1]);
	kfree(target);
	return err;
}
