/* procfs's parts: what each inode shows (its kind, pid and descriptor in priv_word). */
#pragma once

#include <amphi/fs.h>
#include <amphi/proc.h>

enum procfs_kind {
	PROCFS_ROOT = 1,
	PROCFS_SELF,
	PROCFS_MEMINFO,
	PROCFS_CPUINFO,
	PROCFS_UPTIME,
	PROCFS_MOUNTS,
	PROCFS_PID_DIR,
	PROCFS_CMDLINE,
	PROCFS_EXE,
	PROCFS_FD_DIR,
	PROCFS_FD,
	PROCFS_PID_MOUNTS,
	PROCFS_STAT,
	PROCFS_STATUS,
	PROCFS_CWD,
	PROCFS_ROOT_LINK,
	PROCFS_FILESYSTEMS,
};

#define PROCFS_KIND(w) ((unsigned)((w)&0xff))
#define PROCFS_FDNUM(w) ((unsigned)(((w) >> 8) & 0xffffff))
#define PROCFS_PID(w) ((unsigned)((w) >> 32))

struct procfs_entry {
	const char *name;
	unsigned kind;
	uint32_t mode;
};

/* Runs fn on the live process pid (under the process list's lock: fn must not sleep).
 * Returns fn's result, or -ENOENT when there is no such process (fn NULL: just checks). */
int procfs_with_process(unsigned pid, int (*fn)(struct process *p, void *ctx), void *ctx);

/* A symlink's target (self, exe, fd/N, mounts) into buf: its length or an errno. */
long procfs_link_text(struct inode *inode, char *buf, size_t size);

/* The file of descriptor fd of process pid with a reference, or NULL. */
struct file *procfs_fd_file(unsigned pid, unsigned fd);

/* Lists the descriptors of process pid from *pos (2 = the first). */
int procfs_fd_readdir(unsigned pid, uint64_t *pos, vfs_filldir_fn fn, void *ctx);
