/*
 * libamphi: the hosted machine of sim/ booted inside the calling program, its syscalls
 * issued through the served process (kernel/proc/hostcall.c, sim/machine/hostcall.c).
 * Each wrapper describes its buffers (what goes in, what comes back) and lets the kernel
 * copy them through user memory; it never touches kernel state itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amphi/plat.h>
#include <amphi/arch.h>

#include "amphi.h"
#include "sim.h"

#define SYSCALL(nr, name) AMPHI_NR_##name = nr,
enum amphi_nr {
#include GUEST_SYSCALLS
};
#undef SYSCALL

#define AMPHI_PATH_MAX 4096 /* the kernel's, NUL included */

static struct {
	struct sim_options opts;
	bool booted;
	bool halted;
} amphi = {.opts = {.cmdline = ""}};

void amphi_config_init(struct amphi_config *c)
{
	*c = (struct amphi_config){
	    .mem_size = 256ULL << 20, .cpus = 1, .seed = SIM_SEED_DEFAULT, .console_fd = -1,
	    .lock_checker = true};
}

int amphi_add_disk(const char *path, bool readonly)
{
	struct stat st;

	if (amphi.booted)
		return -EBUSY;
	if (amphi.opts.disk_count == SIM_DISK_MAX)
		return -ENOSPC;
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? 0 : -EINVAL;
	close(fd);
	if (err)
		return err;
	amphi.opts.disk[amphi.opts.disk_count] = (struct sim_disk_opt){path, readonly, -1};
	return amphi.opts.disk_count++;
}

/* Checks c and turns it into the machine's options. Returns 0 or -EINVAL. */
static int amphi_options(const struct amphi_config *c)
{
	struct sim_options *o = &amphi.opts;

	if (c->mem_size < SIM_MEM_MIN || c->mem_size > SIM_MEM_MAX ||
	    c->mem_size % SIM_PAGE_SIZE || c->cpus < 1 || c->cpus > SIM_MAX_CPUS)
		return -EINVAL;
	o->mem_size = c->mem_size;
	o->cpus = c->cpus;
	o->seed = c->seed;
	/* deterministic: the machine must stand still while the host program runs */
	o->sched = SIM_SCHED_DETERMINISTIC;
	o->time = c->real_time ? SIM_TIME_REAL : SIM_TIME_VIRTUAL;
	o->watchdog_s = 0; /* host time between calls is no hang */
	o->builtin_initramfs = false;
	static char cmdline[512];
	const char *extra = c->cmdline_extra ? c->cmdline_extra : "";
	int n = snprintf(cmdline, sizeof(cmdline), "%shostcalls%s %s", c->verbose ? "" : "quiet ",
			 c->lock_checker ? "" : " lockdep=off", extra);
	if (n < 0 || (size_t)n >= sizeof(cmdline) || strstr(extra, "--"))
		return -EINVAL; /* too long, or words for an init program there is none of */
	o->cmdline = cmdline;
	return 0;
}

/* The start-up of sim/main.c, without the console's terminal and user programs. */
int amphi_boot(const struct amphi_config *c)
{
	if (amphi.booted)
		return -EALREADY;
	int err = amphi_options(c);
	if (err)
		return err;
	amphi.booted = true;
	sim_console_claim_std_fds();
	sim_console_set_output(c->console_fd);
	sim_symbolize_init();
	sim_ram_init(amphi.opts.mem_size);
	sim_rng_init(&amphi.opts);
	sim_blk_init(&amphi.opts);
	void *dtb = sim_boot_place_dtb(&amphi.opts);
	sim_cpus_init(&amphi.opts);
	sim_sched_init(amphi.opts.seed);
	sim_gic_init(amphi.opts.cpus);
	sim_time_init(amphi.opts.time);
	sim_irq_init();
	sim_fault_init();
	sim_user_init();
	return sim_hostcall_boot(dtb);
}

void amphi_halt(void)
{
	if (!amphi.booted || amphi.halted)
		return;
	amphi_sys_sync();
	sim_hostcall_stop();
	amphi.halted = true;
}

long amphi_syscall(long nr, const long args[6], const struct amphi_buf *bufs, unsigned nbufs)
{
	struct plat_hostcall call = {.nr = (unsigned long)nr};

	if (!amphi.booted)
		return -ESHUTDOWN;
	if (nbufs > PLAT_HOSTCALL_BUFS)
		return -E2BIG;
	for (unsigned i = 0; i < 6; i++)
		call.args[i] = (unsigned long)args[i];
	for (unsigned i = 0; i < nbufs; i++)
		call.buf[i] = (struct plat_hostcall_buf){bufs[i].host, bufs[i].len, bufs[i].arg,
							 bufs[i].flags};
	return sim_hostcall(&call);
}

/* A path argument: its bytes with the NUL, or one byte more than the kernel takes when it
 * is too long (so the kernel says ENAMETOOLONG, as for user code). */
static struct amphi_buf amphi_path(const char *path, unsigned arg)
{
	size_t n = strnlen(path, AMPHI_PATH_MAX);

	return (struct amphi_buf){(void *)path, n + 1, arg, AMPHI_BUF_IN};
}

/* A syscall with no buffer. */
static long amphi_call0(long nr, long a0, long a1, long a2, long a3)
{
	const long args[6] = {a0, a1, a2, a3};

	return amphi_syscall(nr, args, NULL, 0);
}

/* A syscall whose argument path_arg is a path, with optional second buffer b. */
static long amphi_call_path(long nr, const long args[6], const char *path, unsigned path_arg,
			    const struct amphi_buf *b)
{
	struct amphi_buf bufs[2] = {amphi_path(path, path_arg)};

	if (b)
		bufs[1] = *b;
	return amphi_syscall(nr, args, bufs, b ? 2 : 1);
}

/* A syscall with two path arguments (a0 at pa, a1 at pb). */
static long amphi_call_paths(long nr, const long args[6], const char *a, unsigned pa,
			     const char *b, unsigned pb)
{
	struct amphi_buf bufs[2] = {amphi_path(a, pa), amphi_path(b, pb)};

	return amphi_syscall(nr, args, bufs, 2);
}

long amphi_sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	const long args[6] = {dirfd, 0, flags, mode};

	return amphi_call_path(AMPHI_NR_openat, args, path, 1, NULL);
}

long amphi_sys_close(int fd)
{
	return amphi_call0(AMPHI_NR_close, fd, 0, 0, 0);
}

/* read/write-like calls: fd, buffer (argument 1), count clamped to AMPHI_IO_MAX, more. */
static long amphi_io(long nr, int fd, void *buf, size_t count, long a3, unsigned flags)
{
	if (count > AMPHI_IO_MAX)
		count = AMPHI_IO_MAX; /* a short count, as Linux may give */
	const long args[6] = {fd, 0, (long)count, a3};
	struct amphi_buf b = {buf, count, 1, flags};

	return amphi_syscall(nr, args, &b, 1);
}

long amphi_sys_read(int fd, void *buf, size_t count)
{
	return amphi_io(AMPHI_NR_read, fd, buf, count, 0, AMPHI_BUF_OUT_RESULT);
}

long amphi_sys_write(int fd, const void *buf, size_t count)
{
	return amphi_io(AMPHI_NR_write, fd, (void *)buf, count, 0, AMPHI_BUF_IN);
}

long amphi_sys_pread64(int fd, void *buf, size_t count, off_t offset)
{
	return amphi_io(AMPHI_NR_pread64, fd, buf, count, offset, AMPHI_BUF_OUT_RESULT);
}

long amphi_sys_pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
	return amphi_io(AMPHI_NR_pwrite64, fd, (void *)buf, count, offset, AMPHI_BUF_IN);
}

long amphi_sys_lseek(int fd, off_t offset, int whence)
{
	return amphi_call0(AMPHI_NR_lseek, fd, offset, whence, 0);
}

long amphi_sys_ftruncate(int fd, off_t length)
{
	return amphi_call0(AMPHI_NR_ftruncate, fd, length, 0, 0);
}

long amphi_sys_fsync(int fd)
{
	return amphi_call0(AMPHI_NR_fsync, fd, 0, 0, 0);
}

long amphi_sys_mkdirat(int dirfd, const char *path, mode_t mode)
{
	const long args[6] = {dirfd, 0, mode};

	return amphi_call_path(AMPHI_NR_mkdirat, args, path, 1, NULL);
}

long amphi_sys_newfstatat(int dirfd, const char *path, void *statbuf, int flags)
{
	const long args[6] = {dirfd, 0, 0, flags};
	struct amphi_buf b = {statbuf, sizeof(struct stat), 2, AMPHI_BUF_OUT};

	return amphi_call_path(AMPHI_NR_newfstatat, args, path, 1, &b);
}

long amphi_sys_fstat(int fd, void *statbuf)
{
	const long args[6] = {fd};
	struct amphi_buf b = {statbuf, sizeof(struct stat), 1, AMPHI_BUF_OUT};

	return amphi_syscall(AMPHI_NR_fstat, args, &b, 1);
}

long amphi_sys_getdents64(int fd, void *dirp, size_t count)
{
	return amphi_io(AMPHI_NR_getdents64, fd, dirp, count, 0, AMPHI_BUF_OUT_RESULT);
}

long amphi_sys_symlinkat(const char *target, int newdirfd, const char *linkpath)
{
	const long args[6] = {0, newdirfd};

	return amphi_call_paths(AMPHI_NR_symlinkat, args, target, 0, linkpath, 2);
}

long amphi_sys_readlinkat(int dirfd, const char *path, char *buf, size_t bufsiz)
{
	if (bufsiz > AMPHI_PATH_MAX)
		bufsiz = AMPHI_PATH_MAX; /* no link is longer */
	const long args[6] = {dirfd, 0, 0, (long)bufsiz};
	struct amphi_buf b = {buf, bufsiz, 2, AMPHI_BUF_OUT_RESULT};

	return amphi_call_path(AMPHI_NR_readlinkat, args, path, 1, &b);
}

long amphi_sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		      int flags)
{
	const long args[6] = {olddirfd, 0, newdirfd, 0, flags};

	return amphi_call_paths(AMPHI_NR_linkat, args, oldpath, 1, newpath, 3);
}

long amphi_sys_unlinkat(int dirfd, const char *path, int flags)
{
	const long args[6] = {dirfd, 0, flags};

	return amphi_call_path(AMPHI_NR_unlinkat, args, path, 1, NULL);
}

long amphi_sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	const long args[6] = {olddirfd, 0, newdirfd};

	return amphi_call_paths(AMPHI_NR_renameat, args, oldpath, 1, newpath, 3);
}

long amphi_sys_fchmodat(int dirfd, const char *path, mode_t mode)
{
	const long args[6] = {dirfd, 0, mode};

	return amphi_call_path(AMPHI_NR_fchmodat, args, path, 1, NULL);
}

long amphi_sys_fchmod(int fd, mode_t mode)
{
	return amphi_call0(AMPHI_NR_fchmod, fd, mode, 0, 0);
}

long amphi_sys_fchown(int fd, uid_t owner, gid_t group)
{
	return amphi_call0(AMPHI_NR_fchown, fd, (long)owner, (long)group, 0);
}

long amphi_sys_fchownat(int dirfd, const char *path, uid_t owner, gid_t group, int flags)
{
	const long args[6] = {dirfd, 0, (long)owner, (long)group, flags};

	return amphi_call_path(AMPHI_NR_fchownat, args, path, 1, NULL);
}

long amphi_sys_utimensat(int dirfd, const char *path, const void *times, int flags)
{
	const long args[6] = {dirfd, 0, 0, flags};
	struct amphi_buf b = {(void *)times, 2 * sizeof(struct timespec), 2, AMPHI_BUF_IN};

	if (!path) /* futimens: the descriptor itself */
		return amphi_syscall(AMPHI_NR_utimensat, args, times ? &b : NULL, times ? 1 : 0);
	return amphi_call_path(AMPHI_NR_utimensat, args, path, 1, times ? &b : NULL);
}

long amphi_sys_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	const long args[6] = {dirfd, 0, mode, (long)dev};

	return amphi_call_path(AMPHI_NR_mknodat, args, path, 1, NULL);
}

long amphi_sys_mount(const char *source, const char *target, const char *fstype,
		     unsigned long flags, const void *data)
{
	const long args[6] = {0, 0, 0, (long)flags};
	struct amphi_buf bufs[3] = {amphi_path(source ? source : "", 0), amphi_path(target, 1),
				    amphi_path(fstype ? fstype : "", 2)};

	if (data) /* file systems take their options as a string */
		return -EINVAL;
	return amphi_syscall(AMPHI_NR_mount, args, bufs, 3);
}

long amphi_sys_umount2(const char *target, int flags)
{
	const long args[6] = {0, flags};

	return amphi_call_path(AMPHI_NR_umount2, args, target, 0, NULL);
}

long amphi_sys_chdir(const char *path)
{
	const long args[6] = {0};

	return amphi_call_path(AMPHI_NR_chdir, args, path, 0, NULL);
}

long amphi_sys_sync(void)
{
	return amphi_call0(AMPHI_NR_sync, 0, 0, 0, 0);
}

long amphi_sys_umask(mode_t mask)
{
	return amphi_call0(AMPHI_NR_umask, mask, 0, 0, 0);
}
