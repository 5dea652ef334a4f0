/* syscall.h: what a platform that traps syscalls without leaving user mode (the hosted
 * CPU model's hook) may ask of the kernel. Platforms that return to the kernel for every
 * syscall use syscall_dispatch (proc.h) alone. */
#pragma once

#include <amphi/types.h>

/* What syscall_fast did. */
enum syscall_fast_result {
	SYSCALL_FAST_NO,	  /* nothing: stop for syscall_dispatch */
	SYSCALL_FAST_DONE,	  /* ran it; user code may go on */
	SYSCALL_FAST_DONE_SIGNAL, /* ran it, and a signal is now due: return to the kernel */
};

/* Runs syscall nr of the calling task at once, storing its result in *result, when it is
 * one that never sleeps, never changes mappings and changes no register but the result.
 * Called with interrupts masked, from the task's kernel thread. */
enum syscall_fast_result syscall_fast(unsigned long nr, const unsigned long *args,
				      long *result);
