/*
 * libamphi: the hosted Amphi kernel inside a host program, without user mode.
 *
 * amphi_boot starts the machine (RAM, CPUs, disks) in the calling process; from then on the
 * amphi_sys_* calls are syscalls of one kernel process, the served process (root, its
 * working directory "/", no descriptor open at first), with Linux's semantics: each returns
 * what the syscall returns, a negative errno on failure (never setting errno). Buffers are
 * the caller's own memory; the library copies them into the served process's user memory
 * and back, so the kernel checks them as it checks any user pointer. Numbers, flags and
 * structures are those of the guest ISA's Linux ABI, which for the `hosted` build is the
 * x86_64 host's own (<fcntl.h>, struct stat, struct linux_dirent64, struct timespec).
 *
 * One machine per process, and every call from the thread that booted it: that thread
 * runs the kernel during a call, and the machine stands still between calls (its clock
 * too). Buffers must be valid host memory of the sizes given (the kernel reads and writes
 * them as memcpy would). Each call returns when it ended, so one that blocks for ever keeps
 * the caller waiting, but when the machine is left with nothing at all to do (no thread to
 * run, no timer armed) the process ends with a message instead. A kernel panic ends the process with status 3, as `amphi` does, and a machine
 * that cannot start its served process powers off with status 127.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AMPHI_DISK_MAX 8
#define AMPHI_IO_MAX (1u << 20) /* read and write move at most this much per call */

/* The machine to boot. */
struct amphi_config {
	uint64_t mem_size; /* bytes of RAM (default 256 MiB) */
	unsigned cpus;	   /* simulated CPUs (default 1) */
	uint64_t seed;	   /* of the deterministic schedule */
	bool real_time;	   /* the host's clock instead of the virtual one (default off) */
	int console_fd;	   /* where the kernel's console goes (default -1: nowhere) */
	bool verbose;	   /* the boot log too, not only warnings */
	bool lock_checker; /* the kernel's lock checker (default on; off: faster, as lockdep=off) */
	const char *cmdline_extra; /* more words for the kernel's command line (default none) */
};

/* Fills c with the defaults. */
void amphi_config_init(struct amphi_config *c);

/* Adds a virtio-blk disk backed by the host file path (as `amphi --disk`), read-only when
 * readonly; the kernel names them /dev/vda, /dev/vdb... in order. Before amphi_boot only.
 * Returns its index, -EBUSY after boot, -ENOSPC past AMPHI_DISK_MAX, -ENOENT or another
 * errno when the file cannot be opened (checked at once). */
int amphi_add_disk(const char *path, bool readonly);

/* Boots the machine. Returns 0, -EINVAL for a bad configuration, -EALREADY when booted,
 * -ENOMEM when the host refused memory. */
int amphi_boot(const struct amphi_config *c);

/* Writes every file system's changes back (sync) and stops the machine: later calls
 * return -ESHUTDOWN. Unmount what you mounted first to leave images clean. */
void amphi_halt(void);

/* One buffer of amphi_syscall: argument number arg becomes its address in user memory. */
struct amphi_buf {
	void *host;
	size_t len;
	unsigned arg;	/* 0..5 */
	unsigned flags; /* AMPHI_BUF_* */
};
#define AMPHI_BUF_IN 1u		/* copied in before the call */
#define AMPHI_BUF_OUT 2u	/* copied back after it, len bytes */
#define AMPHI_BUF_OUT_RESULT 4u /* copied back after it, as many bytes as it returned */
#define AMPHI_BUFS_MAX 3

/* Any syscall by the guest ISA's number: args as given, but for the arguments nbufs
 * buffers stand for (at most AMPHI_BUFS_MAX, 4 MiB together). Returns its result;
 * -E2BIG when the buffers do not fit. */
long amphi_syscall(long nr, const long args[6], const struct amphi_buf *bufs, unsigned nbufs);

/* The syscalls, as Linux's (the `*at` forms take AT_FDCWD and AT_* flags; utimensat with a
 * NULL path sets the times of dirfd itself, as futimens). */
long amphi_sys_openat(int dirfd, const char *path, int flags, mode_t mode);
long amphi_sys_close(int fd);
long amphi_sys_read(int fd, void *buf, size_t count);
long amphi_sys_write(int fd, const void *buf, size_t count);
long amphi_sys_pread64(int fd, void *buf, size_t count, off_t offset);
long amphi_sys_pwrite64(int fd, const void *buf, size_t count, off_t offset);
long amphi_sys_lseek(int fd, off_t offset, int whence);
long amphi_sys_ftruncate(int fd, off_t length);
long amphi_sys_fsync(int fd);
long amphi_sys_mkdirat(int dirfd, const char *path, mode_t mode);
long amphi_sys_newfstatat(int dirfd, const char *path, void *statbuf, int flags);
long amphi_sys_fstat(int fd, void *statbuf);
long amphi_sys_getdents64(int fd, void *dirp, size_t count);
long amphi_sys_symlinkat(const char *target, int newdirfd, const char *linkpath);
long amphi_sys_readlinkat(int dirfd, const char *path, char *buf, size_t bufsiz);
long amphi_sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		      int flags);
long amphi_sys_unlinkat(int dirfd, const char *path, int flags);
long amphi_sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
long amphi_sys_fchmodat(int dirfd, const char *path, mode_t mode);
long amphi_sys_fchmod(int fd, mode_t mode);
long amphi_sys_fchown(int fd, uid_t owner, gid_t group);
long amphi_sys_fchownat(int dirfd, const char *path, uid_t owner, gid_t group, int flags);
long amphi_sys_utimensat(int dirfd, const char *path, const void *times, int flags);
long amphi_sys_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev);
long amphi_sys_mount(const char *source, const char *target, const char *fstype,
		     unsigned long flags, const void *data);
long amphi_sys_umount2(const char *target, int flags);
long amphi_sys_chdir(const char *path);
long amphi_sys_sync(void);
long amphi_sys_umask(mode_t mask);
