/* I/O syscalls over the console, the only file until the VFS lands: descriptors 0, 1 and 2
 * are the console for reading and writing; close releases them; /proc/self/exe reads as
 * the program's path. */
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "syscalls.h"

#define IO_CHUNK 512
#define IOV_MAX 1024

/* True when fd is an open console descriptor of p. */
static bool io_fd_open(struct process *p, unsigned long fd)
{
	return fd < 3 && !(p->closed_fds & (1u << fd));
}

/* Writes len bytes from user address buf to the console. */
static long io_console_write(struct process *p, uintptr_t buf, size_t len)
{
	char chunk[IO_CHUNK];
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));
		if (vm_copy_from_user(p->vm, chunk, buf + done, n) < 0)
			return done ? (long)done : -EFAULT;
		irqflags_t flags = console_lock();
		plat_console_write(chunk, n);
		console_unlock(flags);
		done += n;
	}
	return (long)done;
}

long sys_write(struct process *p, const unsigned long *a)
{
	if (!io_fd_open(p, a[0]))
		return -EBADF;
	if ((long)a[2] < 0)
		return -EINVAL;
	return io_console_write(p, a[1], a[2]);
}

long sys_writev(struct process *p, const unsigned long *a)
{
	uint64_t iov[2];
	long total = 0;

	if (!io_fd_open(p, a[0]))
		return -EBADF;
	if (a[2] > IOV_MAX)
		return -EINVAL;
	for (unsigned long i = 0; i < a[2]; i++) {
		if (vm_copy_from_user(p->vm, iov, a[1] + i * sizeof(iov), sizeof(iov)) < 0)
			return total ? total : -EFAULT;
		if ((long)iov[1] < 0)
			return -EINVAL;
		long n = io_console_write(p, iov[0], iov[1]);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

/* Reads what console input has, at least one byte (up to a newline), into user buf. */
long sys_read(struct process *p, const unsigned long *a)
{
	char chunk[IO_CHUNK];
	size_t n = 0, len = MIN(a[2], sizeof(chunk));

	if (!io_fd_open(p, a[0]))
		return -EBADF;
	if ((long)a[2] < 0)
		return -EINVAL;
	while (n < len) {
		int c = n ? plat_console_getc() : console_getc();
		if (c < 0)
			break;
		chunk[n++] = (char)c;
		if (c == '\n')
			break;
	}
	return vm_copy_to_user(p->vm, a[1], chunk, n) < 0 ? -EFAULT : (long)n;
}

long sys_close(struct process *p, const unsigned long *a)
{
	if (!io_fd_open(p, a[0]))
		return -EBADF;
	p->closed_fds |= 1u << a[0];
	return 0;
}

/* The console is not a terminal yet: the tty and its ioctls arrive with the line discipline. */
long sys_ioctl(struct process *p, const unsigned long *a)
{
	return io_fd_open(p, a[0]) ? -ENOTTY : -EBADF;
}

#define AT_FDCWD (-100)

/* readlink of path (a user string) into buf of size bytes: only /proc/self/exe exists. */
static long io_readlink(struct process *p, uintptr_t path, uintptr_t buf, long size)
{
	char name[PROC_PATH_MAX];
	long n = vm_copy_string(p->vm, name, path, sizeof(name));

	if (n < 0)
		return n;
	if (size <= 0)
		return -EINVAL;
	if (strcmp(name, "/proc/self/exe") != 0)
		return -ENOENT;
	size_t len = MIN(strlen(p->exe), (size_t)size);
	return vm_copy_to_user(p->vm, buf, p->exe, len) < 0 ? -EFAULT : (long)len;
}

long sys_readlink(struct process *p, const unsigned long *a)
{
	return io_readlink(p, a[0], a[1], (long)a[2]);
}

long sys_readlinkat(struct process *p, const unsigned long *a)
{
	if ((int)a[0] != AT_FDCWD)
		return -EBADF;
	return io_readlink(p, a[1], a[2], (long)a[3]);
}
