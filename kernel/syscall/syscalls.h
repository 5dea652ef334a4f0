/* The syscall handlers: sys_<name>(p, args) for every entry of the guest ISA's table,
 * each returning its result or a negative errno, as Linux's do. */
#pragma once

#include <amphi/arch.h>
#include <amphi/kprintf.h>
#include <amphi/proc.h>

#define SYSCALL(nr, name) long sys_##name(struct process *p, const unsigned long *a);
#include GUEST_SYSCALLS
#undef SYSCALL

/* Handlers that only one ISA's table names. */
long sys_arch_prctl(struct process *p, const unsigned long *a);
long sys_readlink(struct process *p, const unsigned long *a);
long sys_time(struct process *p, const unsigned long *a);
long sys_fork(struct process *p, const unsigned long *a);
long sys_vfork(struct process *p, const unsigned long *a);
long sys_pause(struct process *p, const unsigned long *a);
long sys_getpgrp(struct process *p, const unsigned long *a);

/* Reads a struct timespec at user address uaddr as nanoseconds (saturating). Returns 0,
 * -EFAULT, or -EINVAL when it is negative or its nanoseconds are out of range. */
int time_read_timespec(struct process *p, uintptr_t uaddr, uint64_t *ns);

/* The monotonic time ns from now, saturating. */
uint64_t time_deadline(uint64_t ns);

/* The monotonic time at which clock (a valid CLOCK_* id) reads deadline. */
uint64_t time_monotonic_deadline(unsigned long clock, uint64_t deadline);
