/* plat/hostcall.h: syscalls issued by the host of the machine instead of by user code.
 *
 * The hosted platform can run the kernel as a library (lib/): the host program asks for
 * syscalls, and a kernel process, the served process, issues each one through the real
 * dispatcher in its own context, its buffers copied into the process's user memory first,
 * so that every pointer the syscall sees is a user pointer, checked and copied as any other.
 * Platforms with no host to serve return NULL at once, and the served process ends. */
#pragma once

#include <amphi/types.h>

#define PLAT_HOSTCALL_BUFS 3

/* How a buffer of a request travels (flags of struct plat_hostcall_buf). */
#define PLAT_HOSTCALL_IN 1u	     /* copied into user memory before the call */
#define PLAT_HOSTCALL_OUT 2u	     /* copied back after it, len bytes */
#define PLAT_HOSTCALL_OUT_RESULT 4u /* copied back after it, as many bytes as it returned */

/* One buffer: the syscall's argument number arg becomes its user address. */
struct plat_hostcall_buf {
	void *host; /* kernel-reachable memory holding it (NULL: unused) */
	size_t len;
	unsigned arg;
	unsigned flags;
};

#define PLAT_HOSTCALL_TASKS 8 /* served tasks at once: the first and those clones made */

/* One request: a syscall number of the guest ISA, its arguments and its buffers, for one
 * served task. */
struct plat_hostcall {
	unsigned long nr;
	unsigned long args[6];
	struct plat_hostcall_buf buf[PLAT_HOSTCALL_BUFS];
	/* when set, the served task calls kfn(karg) in its context instead of a syscall (the
	 * fuzz targets of kernel parsers; nr, args and buf are then unused) */
	long (*kfn)(void *karg);
	void *karg;
	/* a blocking call still waiting after this much monotonic time ends with -EINTR, as
	 * if a signal came (0: no limit) */
	uint64_t timeout_ns;
	unsigned task; /* the served task that issues it: an index of the tasks' table */
	long result;   /* written by the kernel: the syscall's result or -errno */
	bool done;     /* written by the kernel once result holds */
};

/* A served task as the host sees it: slot 0 is the served process's first task, which
 * stays as long as the host serves; a clone, fork or vfork issued by a served task makes
 * a served task of its child in the lowest free slot (none when all are taken: the child
 * then ends at once), and a served task other than the first leaves when it exits. */
struct plat_hostcall_task {
	unsigned tid, pid; /* 0: no task in this slot */
	bool busy;	   /* serving a request */
};

/* What the host wants when the machine is still (plat_hostcall_still). */
enum plat_hostcall_order {
	PLAT_HOSTCALL_ISSUE,	 /* hand *call to its task (free, or the call fails at once) */
	PLAT_HOSTCALL_RUN,	 /* let the machine go on (time passes) until it is still again */
	PLAT_HOSTCALL_END_TASKS, /* end every served task but the first, then go on */
	PLAT_HOSTCALL_STOP,	 /* no more requests: the served tasks end */
};

/* Called by the kernel on CPU 0, interrupts masked, when nothing there can run: every
 * served task waits for a request or is blocked in one. Hands control to the host, which
 * sees tasks (PLAT_HOSTCALL_TASKS of them), until it says what it wants; the machine stands
 * still meanwhile. The kernel writes each request's result and done flag when it ends, so
 * the host learns at a later still point which of its calls ended, and which blocked.
 * Platforms with no host to serve return PLAT_HOSTCALL_STOP at once. */
enum plat_hostcall_order plat_hostcall_still(const struct plat_hostcall_task *tasks,
					     struct plat_hostcall **call);
