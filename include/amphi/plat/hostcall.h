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

/* One request: a syscall number of the guest ISA, its arguments and its buffers. */
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
	long result; /* written by the served process: the syscall's result or -errno */
};

/* Hands done (the last request, its result filled in; NULL at first) back to the host and
 * blocks until its next request, which it returns; NULL when there will be none. Called only
 * by the served process's thread, on CPU 0, with interrupts masked: the machine stands still
 * while the host runs. */
struct plat_hostcall *plat_hostcall_next(struct plat_hostcall *done);
