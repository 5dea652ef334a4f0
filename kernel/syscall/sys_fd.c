/* Descriptor syscalls: read and write in their forms, lseek, close, dup, fcntl, ioctl,
 * pipes, sendfile and the sync family. */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/planted.h>
#include <amphi/vm.h>

#include "sys_fs.h"
#include "syscalls.h"

#define IOV_MAX 1024
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_SETLK 6
#define F_SETLKW 7
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ 1032
#define FD_CLOEXEC 1
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define FIOASYNC 0x5452
#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

/* Planted (planted.h): reads a stream (a pipe) without holding a reference to f while it
 * may sleep, then reads f's flags: freed memory when another task closed the descriptor
 * meanwhile. Takes the caller's reference. */
static __attribute__((noinline)) long planted_read_unref(struct file *f, struct vfs_io *io,
							 size_t len)
{
	file_put(f);
	long r = vfs_read(f, io, len, NULL);
	unsigned flags = *(volatile unsigned *)&f->flags;
	return r == -EAGAIN && !(flags & O_NONBLOCK) ? -EINTR : r;
}

/* read or write (write set) of len bytes at user buf on fd, at *off when off is set. */
static long fd_rw(struct process *p, unsigned long fd, uintptr_t buf, size_t len,
		  const int64_t *off, bool write)
{
	struct file *f = sys_file(p, fd);
	struct vfs_io io = sys_io(p, buf);

	if (!f)
		return -EBADF;
	long r = 0;
	if (off && f->ops && f->ops->stream)
		r = -ESPIPE;
	else if (off && *off < 0)
		r = -EINVAL;
	else if ((long)len < 0)
		r = -EINVAL;
	len = MIN(len, SYS_RW_MAX);
	if (!r && planted_armed(PLANTED_READ_UNREF) && !write && !off && f->ops && f->ops->stream)
		return planted_read_unref(f, &io, len);
	if (!r)
		r = write ? vfs_write(f, &io, len, (const uint64_t *)off)
			  : vfs_read(f, &io, len, (const uint64_t *)off);
	file_put(f);
	return r;
}

long sys_read(struct process *p, const unsigned long *a)
{
	return fd_rw(p, a[0], a[1], a[2], NULL, false);
}

long sys_write(struct process *p, const unsigned long *a)
{
	return fd_rw(p, a[0], a[1], a[2], NULL, true);
}

long sys_pread64(struct process *p, const unsigned long *a)
{
	int64_t off = (int64_t)a[3];
	return fd_rw(p, a[0], a[1], a[2], &off, false);
}

long sys_pwrite64(struct process *p, const unsigned long *a)
{
	int64_t off = (int64_t)a[3];
	return fd_rw(p, a[0], a[1], a[2], &off, true);
}

/* readv and writev (and their p- forms when off is set): each vector in turn, stopping at
 * a short transfer. */
static long fd_rwv(struct process *p, unsigned long fd, uintptr_t iov, unsigned long n,
		   int64_t *off, bool write)
{
	uint64_t v[2];
	long total = 0;

	if (n > IOV_MAX)
		return -EINVAL;
	struct file *f = sys_file(p, fd);
	if (!f)
		return -EBADF;
	file_put(f);
	for (unsigned long i = 0; i < n; i++) {
		if (vm_copy_from_user(p->vm, v, iov + i * sizeof(v), sizeof(v)) < 0)
			return total ? total : -EFAULT;
		long sum;
		if ((int64_t)v[1] < 0 || __builtin_add_overflow(total, (long)v[1], &sum))
			return total ? total : -EINVAL;
		if (!v[1])
			continue;
		long r = fd_rw(p, fd, v[0], v[1], off, write);
		if (r < 0)
			return total ? total : r;
		total += r;
		if (off)
			*off += r;
		if ((uint64_t)r < v[1])
			break;
	}
	return total;
}

long sys_readv(struct process *p, const unsigned long *a)
{
	return fd_rwv(p, a[0], a[1], a[2], NULL, false);
}

long sys_writev(struct process *p, const unsigned long *a)
{
	return fd_rwv(p, a[0], a[1], a[2], NULL, true);
}

long sys_preadv(struct process *p, const unsigned long *a)
{
	int64_t off = (int64_t)a[3];
	return off < 0 ? -EINVAL : fd_rwv(p, a[0], a[1], a[2], &off, false);
}

long sys_pwritev(struct process *p, const unsigned long *a)
{
	int64_t off = (int64_t)a[3];
	return off < 0 ? -EINVAL : fd_rwv(p, a[0], a[1], a[2], &off, true);
}

/* The new position of an lseek on f, or an errno. */
static int64_t fd_seek_to(struct file *f, int64_t off, unsigned whence)
{
	int64_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		if (f->ops && f->ops->size)
			base = (int64_t)f->ops->size(f);
		else
			base = f->path.inode ? (int64_t)inode_size(f->path.inode) : 0;
		break;
	default:
		return -EINVAL;
	}
	int64_t to;
	if (__builtin_add_overflow(base, off, &to))
		return -EINVAL; /* Linux's answer: the sum wraps negative there */
	return to < 0 ? -EINVAL : to;
}

long sys_lseek(struct process *p, const unsigned long *a)
{
	struct file *f = sys_file(p, a[0]);

	if (!f)
		return -EBADF;
	int64_t r = -ESPIPE;
	if (f->ops && !f->ops->stream) {
		mutex_lock(&f->pos_lock);
		r = fd_seek_to(f, (int64_t)a[1], (unsigned)a[2]);
		if (r >= 0)
			f->pos = (uint64_t)r;
		mutex_unlock(&f->pos_lock);
	}
	file_put(f);
	return (long)r;
}

long sys_close(struct process *p, const unsigned long *a)
{
	return a[0] > INT32_MAX ? -EBADF : fd_close(p->fds, (int)a[0]);
}

long sys_close_range(struct process *p, const unsigned long *a)
{
	unsigned first = (unsigned)a[0], last = (unsigned)a[1];

	if (a[2] & ~(unsigned long)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last)
		return -EINVAL;
	fd_close_range(p->fds, first, last, a[2] & CLOSE_RANGE_CLOEXEC);
	return 0;
}

unsigned sys_fd_limit(struct process *p)
{
	return (unsigned)MIN(rlimit_cur(p, RLIMIT_NOFILE), (uint64_t)VFS_FD_MAX);
}

/* Installs a copy of descriptor fd at the lowest free slot >= min: -EINVAL when min is
 * at RLIMIT_NOFILE or past it, -EMFILE when no slot is free below it. */
static long fd_dup_from(struct process *p, unsigned long fd, unsigned long min, bool cloexec)
{
	struct file *f = sys_file(p, fd);
	unsigned limit = sys_fd_limit(p);

	if (!f)
		return -EBADF;
	long r = min >= limit ? -EINVAL : fd_install(p->fds, f, (unsigned)min, limit, cloexec);
	file_put(f);
	return r;
}

long sys_dup(struct process *p, const unsigned long *a)
{
	return fd_dup_from(p, a[0], 0, false);
}

/* Planted (planted.h): drops a reference the fd table still counts on, so the file is
 * freed while descriptor fd names it. */
static __attribute__((noinline)) void planted_dup3_drop_ref(struct process *p, unsigned long fd)
{
	struct file *f = sys_file(p, fd);

	if (f) {
		file_put(f);
		file_put(f);
	}
	__asm__ volatile(""); /* no tail call: reports of the free show this frame */
}

long sys_dup3(struct process *p, const unsigned long *a)
{
	if (planted_armed(PLANTED_DUP3) && a[0] == a[1] && a[2] == O_CLOEXEC)
		planted_dup3_drop_ref(p, a[0]);
	if ((a[2] & ~(unsigned long)O_CLOEXEC) || a[0] == a[1])
		return -EINVAL;
	struct file *f = sys_file(p, a[0]);
	if (!f)
		return -EBADF;
	long r = a[1] >= sys_fd_limit(p)
		     ? -EBADF
		     : fd_install_at(p->fds, (unsigned)a[1], f, a[2] & O_CLOEXEC);
	file_put(f);
	return r;
}

long sys_dup2(struct process *p, const unsigned long *a)
{
	if (a[0] != a[1]) {
		const unsigned long args[3] = {a[0], a[1], 0};
		return sys_dup3(p, args);
	}
	struct file *f = sys_file(p, a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	return (long)a[1];
}

/* F_SETFL: only the flags Linux lets change. */
static long fd_setfl(struct file *f, unsigned long flags)
{
	f->flags = (f->flags & ~(unsigned)SETFL_MASK) | ((unsigned)flags & SETFL_MASK);
	return 0;
}

long sys_fcntl(struct process *p, const unsigned long *a)
{
	struct file *f = sys_file(p, a[0]);
	long r;

	if (!f)
		return -EBADF;
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = fd_dup_from(p, a[0], a[2], a[1] == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = fd_cloexec(p->fds, (int)a[0], -1);
		break;
	case F_SETFD:
		r = fd_cloexec(p->fds, (int)a[0], (a[2] & FD_CLOEXEC) ? 1 : 0);
		r = r < 0 ? r : 0;
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		r = fd_setfl(f, a[2]);
		break;
	case F_SETLK:
	case F_SETLKW:
		r = 0; /* one process at a time so far: every lock is granted */
		break;
	case F_GETPIPE_SZ:
		r = S_ISFIFO(f->path.inode ? f->path.inode->mode : 0) ? 65536 : -EBADF;
		break;
	default:
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

/* FIONBIO and FIOASYNC, which every descriptor understands: 0 or an errno, or 1 for
 * another command (the file's own). */
static long fd_ioctl_generic(struct process *p, struct file *f, unsigned cmd, uintptr_t arg)
{
	int on;

	switch (cmd) {
	case FIONBIO:
	case FIOASYNC:
		if (vm_copy_from_user(p->vm, &on, arg, sizeof(on)) < 0)
			return -EFAULT;
		if (on)
			f->flags |= cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
		else
			f->flags &= ~(unsigned)(cmd == FIONBIO ? O_NONBLOCK : O_ASYNC);
		return 0;
	default:
		return 1;
	}
}

long sys_ioctl(struct process *p, const unsigned long *a)
{
	struct file *f = sys_file(p, a[0]);
	unsigned cmd = (unsigned)a[1];

	if (!f)
		return -EBADF;
	long r;
	if (cmd == FIOCLEX || cmd == FIONCLEX)
		r = fd_cloexec(p->fds, (int)a[0], cmd == FIOCLEX) < 0 ? -EBADF : 0;
	else
		r = fd_ioctl_generic(p, f, cmd, a[2]);
	if (r == 1)
		r = f->ops && f->ops->ioctl ? f->ops->ioctl(f, cmd, a[2]) : -ENOTTY;
	file_put(f);
	return r;
}

long sys_pipe2(struct process *p, const unsigned long *a)
{
	struct file *rd, *wr;
	int fds[2];

	if (a[1] & ~(unsigned long)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	int err = pipe_create((unsigned)a[1], &rd, &wr);
	if (err)
		return err;
	bool cloexec = a[1] & O_CLOEXEC;
	unsigned limit = sys_fd_limit(p);
	fds[0] = fd_install(p->fds, rd, 0, limit, cloexec);
	fds[1] = fds[0] < 0 ? fds[0] : fd_install(p->fds, wr, 0, limit, cloexec);
	err = fds[1] < 0 ? fds[1] : vm_copy_to_user(p->vm, a[0], fds, sizeof(fds));
	if (err) {
		if (fds[0] >= 0)
			fd_close(p->fds, fds[0]);
		if (fds[1] >= 0)
			fd_close(p->fds, fds[1]);
	}
	file_put(rd);
	file_put(wr);
	return err;
}

long sys_pipe(struct process *p, const unsigned long *a)
{
	const unsigned long args[2] = {a[0], 0};
	return sys_pipe2(p, args);
}

/* sendfile: from in (at *off when off is set) to out, through a kernel chunk. */
static long fd_sendfile(struct file *out, struct file *in, int64_t *off, size_t count)
{
	uint8_t *chunk = kmalloc(PAGE_SIZE);
	long total = 0;

	if (!chunk)
		return -ENOMEM;
	while ((size_t)total < count) {
		struct vfs_io kio = {NULL, (uintptr_t)chunk};
		size_t n = MIN(count - (size_t)total, (size_t)PAGE_SIZE);
		long got = vfs_read(in, &kio, n, (const uint64_t *)off);
		if (got <= 0) {
			total = total ? total : got;
			break;
		}
		long put = vfs_write(out, &kio, (size_t)got, NULL);
		if (put <= 0) {
			total = total ? total : put;
			break;
		}
		total += put;
		if (off)
			*off += put;
		if (put < got)
			break;
	}
	kfree(chunk);
	return total;
}

long sys_sendfile(struct process *p, const unsigned long *a)
{
	struct file *out = sys_file(p, a[0]), *in = sys_file(p, a[1]);
	int64_t off = 0;
	long r = 0;

	if (!out || !in)
		r = -EBADF;
	else if ((out->flags & O_ACCMODE) == O_RDONLY || (in->flags & O_ACCMODE) == O_WRONLY)
		r = -EBADF;
	else if (a[2] && vm_copy_from_user(p->vm, &off, a[2], sizeof(off)) < 0)
		r = -EFAULT;
	else if ((a[2] && off < 0) || (long)a[3] < 0)
		r = -EINVAL;
	else if (a[2] && in->ops && in->ops->stream)
		r = -ESPIPE;
	if (!r)
		r = fd_sendfile(out, in, a[2] ? &off : NULL, MIN(a[3], SYS_RW_MAX));
	if (a[2] && r >= 0 && vm_copy_to_user(p->vm, a[2], &off, sizeof(off)) < 0)
		r = -EFAULT;
	if (out)
		file_put(out);
	if (in)
		file_put(in);
	return r;
}

/* fsync and fdatasync of fd: through the file's own fsync when it has one (a file of a
 * disk file system, a block device); files that live in memory have nothing to write. */
static long fd_fsync(struct process *p, unsigned long fd, bool datasync)
{
	struct file *f = sys_file(p, fd);

	if (!f)
		return -EBADF;
	long r = f->ops && f->ops->fsync ? f->ops->fsync(f, datasync) : 0;
	file_put(f);
	return r;
}

long sys_fsync(struct process *p, const unsigned long *a)
{
	return fd_fsync(p, a[0], false);
}

long sys_fdatasync(struct process *p, const unsigned long *a)
{
	return fd_fsync(p, a[0], true);
}

/* sync(2): every file system and device; it cannot fail, as on Linux. */
long sys_sync(struct process *p, const unsigned long *a)
{
	(void)p, (void)a;
	vfs_sync_all();
	return 0;
}

/* syncfs(2): the file system fd is in, with its error (EIO) as Linux reports it. */
long sys_syncfs(struct process *p, const unsigned long *a)
{
	struct file *f = sys_file(p, a[0]);

	if (!f)
		return -EBADF;
	long r = f->path.mnt ? vfs_sync_super(f->path.mnt->sb) : 0;
	file_put(f);
	return r;
}
